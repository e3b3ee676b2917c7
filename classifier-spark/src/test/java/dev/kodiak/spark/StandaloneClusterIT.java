package dev.kodiak.spark;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.kodiak.testing.Machine;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The job jar on a real Spark standalone cluster: a master and two workers of one core each,
 * every one its own JVM, and spark-submit's JVM as the driver, all on 127.0.0.1. The bundle is
 * shipped with the job, as by default. The tests run in order and share the output folder:
 * the first run's output is the previous output of the second, whose executor is killed
 * mid-job, and the second's is what the corrupt bundle must leave in place.
 *
 * <p>Everything is under {@code target/cluster-it}: the logs of every JVM in {@code logs/},
 * the executors' logs in {@code worker-N/work/APP/ID/}, event logs in {@code events/}, and the
 * figures of the runs in {@code figures.md}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterIT {
    /** Fashion-MNIST test images, written as PNGs. */
    private static final int IMAGES = 2000;
    /** Files per task: enough tasks that a kill lands with some done and some to do. */
    private static final int FILES_PER_TASK = 100;
    /** Generous: the machine is shared, and a job took 3 minutes under a load of 15. */
    private static final Duration RUN = Duration.ofMinutes(8);
    private static final Pattern SCORED = Pattern.compile(
            "scored (\\d+) files \\((\\d+) not images\\) in ([0-9.]+) s");

    private static Path dir;
    private static Path input;
    private static Path output;
    private static Path bundle;
    private static Path jobJar;
    /** The true label of each image, by file. */
    private static final Map<Path, String> TRUTH = new HashMap<>();
    private static StandaloneCluster cluster;
    private static final List<String> FIGURES = new ArrayList<>();
    /** The load average (1 min) before and after: the machine is shared with other builds. */
    private static final List<String> LOAD = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        LOAD.add(loadAverage());
        dir = Path.of(required("kodiak.cluster.dir")).toAbsolutePath();
        deleteTree(dir);
        input = Files.createDirectories(dir.resolve("images"));
        output = dir.resolve("scores");
        bundle = Path.of(required("kodiak.root"), "models", "fashion-mnist").toAbsolutePath();
        jobJar = Path.of(required("kodiak.spark.job.jar"));
        assertThat("the job jar is built by package, before this test", Files.isRegularFile(
                jobJar), is(true));
        writeImages();
        List<Path> jars = Arrays.stream(required("kodiak.spark.jars").split(
                java.io.File.pathSeparator)).map(Path::of).toList();
        List<String> jvmArgs = List.of(required("kodiak.spark.jvm.args").trim().split("\\s+"));
        cluster = StandaloneCluster.start(dir, jars, jvmArgs, 2, "1g");
    }

    @AfterAll
    static void stop() throws IOException {
        if (cluster != null) {
            cluster.close();
        }
        LOAD.add(loadAverage());
        if (!FIGURES.isEmpty()) {
            Files.writeString(dir.resolve("figures.md"), figures());
            System.out.println(figures());
        }
    }

    @Test
    @Order(1)
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void scoresEveryFileOnceOnTwoWorkers() throws Exception {
        try (StandaloneCluster.Submission run = submit("run-1", List.of())) {
            int exit = run.waitFor(RUN);
            assertThat("exit code; the driver's log ends with:\n" + run.logTail(), exit, is(0));

            List<Score> rows = readScores(output);
            assertOneRowPerFile(rows);
            assertThat(rows.get(0).columns(), hasItem("label_5")); // the default top-k
            assertThat(staging(), is(empty()));
            EventLog events = EventLog.read(run.eventLog());
            assertThat("executors", events.executorsAdded().size(), greaterThanOrEqualTo(2));
            record(run, "scores the folder", events);
        }
    }

    @Test
    @Order(2)
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void survivesAnExecutorKilledMidJob() throws Exception {
        assertThat("needs the first run's output", Files.isDirectory(output), is(true));
        String before = digest(output);
        try (StandaloneCluster.Submission run = submit("run-2-kill", List.of("--top-k", "3"))) {
            URI ui = run.awaitUi();
            Kill kill = killAnExecutorMidJob(run, ui, before);
            assertThat("the job ended before an executor could be killed with some tasks done "
                    + "and some to do; see " + run.log(), kill, is(notNullValue()));
            assertThat("the previous output while the job ran", kill.outputIntact(), is(true));
            assertThat("a staging folder while the job ran", kill.staging(), is(not(empty())));

            int exit = run.waitFor(RUN);
            assertThat("exit code; the driver's log ends with:\n" + run.logTail(), exit, is(0));
            List<Score> rows = readScores(output);
            assertOneRowPerFile(rows);
            assertThat("the new output replaced the old", rows.get(0).columns(),
                    hasItem("label_3"));
            assertThat(rows.get(0).columns(), not(hasItem("label_4")));
            assertThat(digest(output), is(not(before)));
            assertThat(staging(), is(empty()));

            EventLog events = EventLog.read(run.eventLog());
            assertThat("the driver lost the killed executor", events.executorsRemoved(),
                    hasItem(kill.executorId()));
            assertThat("failed tasks that no attempt completed", events.unretried(),
                    is(empty()));
            record(run, "executor " + kill.executorId() + " SIGKILLed after " + kill.done()
                    + " of " + kill.tasks() + " tasks", events);
        }
    }

    @Test
    @Order(3)
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aCorruptBundleExitsWithThreeAndLeavesTheOutput() throws Exception {
        assertThat("needs the earlier runs' output", Files.isDirectory(output), is(true));
        String before = digest(output);
        Path corrupt = Files.createDirectories(dir.resolve("corrupt-bundle"));
        try (Stream<Path> files = Files.list(bundle)) {
            for (Path file : files.toList()) {
                Files.copy(file, corrupt.resolve(file.getFileName()));
            }
        }
        byte[] model = Files.readAllBytes(corrupt.resolve("model.onnx"));
        for (int i = model.length / 2; i < model.length / 2 + 64; i++) {
            model[i] ^= (byte) 0xFF;
        }
        Files.write(corrupt.resolve("model.onnx"), model);

        int apps = applications();
        try (StandaloneCluster.Submission run = cluster.submit("run-3-corrupt", jobJar,
                ScoreImages.class.getName(), conf(), List.of(input.toString(),
                        output.toString(), "--bundle", corrupt.toString()))) {
            int exit = run.waitFor(RUN);
            assertThat("exit code; the driver's log ends with:\n" + run.logTail(), exit, is(3));
            assertThat(Files.readString(run.log()), containsString("score-images: "
                    + corrupt.resolve("model.onnx") + " has sha256 "));
            assertThat("the previous output", digest(output), is(before));
            assertThat(staging(), is(empty()));
            assertThat("applications the cluster ran", applications(), is(apps));
            FIGURES.add(String.format(Locale.ROOT, "| corrupt bundle: exit %d | %.1f s | – | – "
                    + "| none (no application) | – | – | – | – |", exit,
                    run.wallSeconds()));
        }
    }

    /** How many applications the master has seen, running or ended. */
    private static int applications() {
        JsonObject state = cluster.masterState();
        return state.getAsJsonArray("activeapps").size()
                + state.getAsJsonArray("completedapps").size();
    }

    /** The executor killed, and what was seen at that moment. */
    private record Kill(String executorId, long pid, int done, int tasks, boolean outputIntact,
            List<Path> staging) {
    }

    /**
     * Polls the driver's REST API until the scoring job has finished a task and has two left
     * to start, then SIGKILLs an executor that is running one. Checks the previous output at
     * that moment.
     *
     * @return the kill, or null if the job ended first
     */
    private static Kill killAnExecutorMidJob(StandaloneCluster.Submission run, URI ui,
            String before) throws Exception {
        long deadline = System.nanoTime() + RUN.toNanos();
        String app = null;
        while (run.isAlive() && System.nanoTime() < deadline) {
            if (app == null) {
                JsonElement apps = cluster.getJson(ui.resolve("/api/v1/applications"));
                if (apps != null && !apps.getAsJsonArray().isEmpty()) {
                    app = apps.getAsJsonArray().get(0).getAsJsonObject().get("id")
                            .getAsString();
                }
            } else {
                Kill kill = tryKill(ui.resolve("/api/v1/applications/" + app + "/"), before);
                if (kill != null) {
                    return kill;
                }
            }
            Thread.sleep(100);
        }
        return null;
    }

    private static Kill tryKill(URI api, String before) throws Exception {
        JsonElement jobs = cluster.getJson(api.resolve("jobs"));
        if (jobs == null) {
            return null;
        }
        for (JsonElement element : jobs.getAsJsonArray()) {
            JsonObject job = element.getAsJsonObject();
            int tasks = job.get("numTasks").getAsInt();
            int done = job.get("numCompletedTasks").getAsInt();
            int active = job.get("numActiveTasks").getAsInt();
            // the scoring job (the write), with a task done and two not started
            if (!job.get("name").getAsString().startsWith("save at ")
                    || !job.get("status").getAsString().equals("RUNNING") || done < 1
                    || done + active > tasks - 2) {
                continue;
            }
            JsonElement executors = cluster.getJson(api.resolve("executors"));
            if (executors == null) {
                return null;
            }
            for (JsonElement e : executors.getAsJsonArray()) {
                JsonObject executor = e.getAsJsonObject();
                String id = executor.get("id").getAsString();
                if (id.equals("driver") || executor.get("activeTasks").getAsInt() == 0) {
                    continue;
                }
                Optional<ProcessHandle> process = cluster.executor(id);
                if (process.isEmpty()) {
                    continue;
                }
                boolean intact = digest(output).equals(before);
                List<Path> staging = staging();
                process.get().destroyForcibly(); // SIGKILL
                process.get().onExit().get(30, TimeUnit.SECONDS);
                return new Kill(id, process.get().pid(), done, tasks, intact, staging);
            }
        }
        return null;
    }

    private static StandaloneCluster.Submission submit(String name, List<String> options)
            throws IOException {
        List<String> args = new ArrayList<>(List.of(input.toString(), output.toString(),
                "--bundle", bundle.toString()));
        args.addAll(options);
        return cluster.submit(name, jobJar, ScoreImages.class.getName(), conf(), args);
    }

    /** The job's settings: the README's, small executors, and tasks of 100 files. */
    private static Map<String, String> conf() {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("spark.executor.extraJavaOptions",
                "--enable-native-access=ALL-UNNAMED -Dai.djl.offline=true");
        conf.put("spark.executor.memory", "512m");
        // Spark counts each file as its size plus the open cost (4 MB) when packing tasks
        conf.put("spark.sql.files.maxPartitionBytes",
                String.valueOf(FILES_PER_TASK * (4L << 20)));
        return conf;
    }

    /** One output row, as much of it as the assertions read. */
    private record Score(Path path, String label, String error, String model,
            List<String> columns) {
    }

    private static List<Score> readScores(Path folder) throws IOException {
        List<Score> rows = new ArrayList<>();
        Configuration conf = new Configuration();
        List<Path> parts;
        try (Stream<Path> files = Files.list(folder)) {
            parts = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted()
                    .toList();
        }
        for (Path part : parts) {
            try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(),
                    new org.apache.hadoop.fs.Path(part.toUri())).withConf(conf).build()) {
                for (Group row = reader.read(); row != null; row = reader.read()) {
                    List<String> columns = row.getType().getFields().stream()
                            .map(org.apache.parquet.schema.Type::getName).toList();
                    rows.add(new Score(Path.of(URI.create(row.getString("path", 0))),
                            optional(row, "label_1"), optional(row, "error"),
                            row.getString("model_name", 0), columns));
                }
            }
        }
        return rows;
    }

    private static String optional(Group row, String field) {
        return row.getFieldRepetitionCount(field) == 0 ? null : row.getString(field, 0);
    }

    /** One row per input file, none for anything else, every file classified as it should. */
    private static void assertOneRowPerFile(List<Score> rows) {
        Set<Path> seen = new TreeSet<>();
        List<Path> twice = new ArrayList<>();
        for (Score row : rows) {
            if (!seen.add(row.path())) {
                twice.add(row.path());
            }
        }
        assertThat("files with more than one row", twice, is(empty()));
        Set<Path> missing = new TreeSet<>(TRUTH.keySet());
        missing.removeAll(seen);
        Set<Path> extra = new TreeSet<>(seen);
        extra.removeAll(TRUTH.keySet());
        assertThat("files without a row", missing, is(empty()));
        assertThat("rows of no input file", extra, is(empty()));
        assertThat(rows.size(), is(IMAGES));
        long right = 0;
        for (Score row : rows) {
            assertThat(row.path() + ": " + row.error(), row.error(), is((String) null));
            assertThat(row.model(), is("fashion-mnist"));
            right += row.label().equals(TRUTH.get(row.path())) ? 1 : 0;
        }
        // the model is right on 92% of the test set: this is inference, not noise
        assertThat("top-1 right", (double) right / rows.size(), greaterThan(0.85));
    }

    private static List<Path> staging() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith(
                    "." + output.getFileName() + ".kodiak-")).toList();
        }
    }

    /** Names, sizes and contents of every file under a folder, as one string. */
    private static String digest(Path folder) throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                MessageDigest sha = sha256();
                all.append(folder.relativize(file)).append(' ').append(Files.size(file))
                        .append(' ').append(HexFormat.of().formatHex(sha.digest(
                                Files.readAllBytes(file)))).append('\n');
            }
        }
        return all.toString();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void record(StandaloneCluster.Submission run, String what, EventLog events)
            throws IOException {
        Matcher scored = SCORED.matcher(run.stdout());
        assertThat("the job's summary line in " + run.stdout(), scored.find(), is(true));
        assertThat(Integer.parseInt(scored.group(1)), is(IMAGES));
        double jobSeconds = Double.parseDouble(scored.group(3));
        String failures = events.failures().isEmpty() ? "none" : events.failures().toString()
                .replaceAll("[{}]", "").replace("=", " ×") + "; retried and completed: "
                + events.retried().size();
        EventLog.Stage stage = events.first();
        assertThat("the scoring stage in the event log", stage, is(notNullValue()));
        FIGURES.add(String.format(Locale.ROOT, "| %s | %.1f s | %.1f s | %.0f | %d%s, "
                + "ready after %.1f s | %d tasks in %.1f s, warm-up %.1f s | %.0f | %d | %s |",
                what, run.wallSeconds(), jobSeconds, IMAGES / jobSeconds,
                events.executorsAdded().size(), events.executorsRemoved().isEmpty() ? ""
                        : " (lost: " + String.join(", ", events.executorsRemoved()) + ")",
                events.executorsReady(), stage.tasks(), stage.seconds(), stage.warmup(),
                stage.afterWarmup() * ((double) IMAGES / stage.tasks())
                        / stage.afterWarmupSeconds(),
                events.taskAttempts(), failures));
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String figures() {
        return "Generated by `StandaloneClusterIT` (classifier-spark, `./kodiak test`) on "
                + LocalDate.now() + ". Machine: " + Machine.describe() + " (the test's JVM); "
                + "load average (1 min) before / after: " + String.join(" / ", LOAD) + ". "
                + "Cluster: a master and two workers (1 core, 1 GB each), executors of 512 MB, "
                + "the driver in spark-submit's JVM (768 MB), all on 127.0.0.1; " + IMAGES
                + " Fashion-MNIST PNGs (28x28), " + FILES_PER_TASK + " files per task, batches "
                + "of 32, Parquet, the bundle shipped with the job.\n\n"
                + "| run | wall (submit to exit) | job (its own line) | images/s (job) "
                + "| executors | scoring stage | images/s after warm-up "
                + "| task attempts, all stages | failed attempts |\n"
                + "|---|---:|---:|---:|---|---|---:|---:|---|\n"
                + String.join("\n", FIGURES) + "\n";
    }

    private static void writeImages() throws IOException {
        byte[] images = gunzip(Path.of("/usr/share/datasets/fashion-mnist/"
                + "t10k-images-idx3-ubyte.gz"));
        byte[] labels = gunzip(Path.of("/usr/share/datasets/fashion-mnist/"
                + "t10k-labels-idx1-ubyte.gz"));
        List<String> names;
        try (dev.kodiak.core.bundle.Bundle opened = dev.kodiak.core.bundle.Bundle.open(bundle)) {
            names = opened.manifest().labels();
        } catch (dev.kodiak.core.bundle.BundleException e) {
            throw new IOException(e);
        }
        for (int i = 0; i < IMAGES; i++) {
            int label = labels[8 + i];
            Path folder = Files.createDirectories(input.resolve(String.valueOf(label)));
            BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            image.getRaster().setDataElements(0, 0, 28, 28,
                    Arrays.copyOfRange(images, 16 + i * 784, 16 + (i + 1) * 784));
            Path file = folder.resolve(String.format("%05d.png", i));
            ImageIO.write(image, "png", file.toFile());
            TRUTH.put(file, names.get(label));
        }
    }

    private static byte[] gunzip(Path file) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            return in.readAllBytes();
        }
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("System property " + property + " is not set; "
                    + "run this test through Maven (failsafe sets it)");
        }
        return value;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
