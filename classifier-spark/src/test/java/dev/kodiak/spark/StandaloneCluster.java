package dev.kodiak.spark;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on this machine, for tests: a master and workers, each its own JVM,
 * started from Spark's jars as {@code start-master.sh} and {@code start-worker.sh} start them,
 * on 127.0.0.1 with ports the JVMs pick themselves (read back from their logs). Everything goes
 * under one folder: a Spark install ({@code spark-home/jars}, links to the jars), work folders,
 * logs ({@code logs/}) and event logs ({@code events/}). {@link #submit} runs spark-submit's
 * class, {@code SparkSubmit}, in its own JVM.
 *
 * <p>Not thread-safe, but for {@link #close()}, which stops every JVM it started, executors
 * included, and runs at the latest when the JVM exits.
 */
final class StandaloneCluster implements AutoCloseable {
    /** How long a JVM may take to print what it is waited for. */
    private static final Duration START = Duration.ofMinutes(3);
    private static final Pattern MASTER_URL = Pattern.compile(
            "Starting Spark master at (spark://[0-9.]+:[0-9]+)");
    /** The web UI's port (it binds the host it was given, 127.0.0.1). */
    private static final Pattern WEB_UI = Pattern.compile(
            "Successfully started service '(?:MasterUI|SparkUI)' on port ([0-9]+)");
    private static final Pattern EXECUTOR_ID = Pattern.compile("--executor-id (\\S+)");

    private final Path dir;
    private final Path sparkHome;
    private final List<String> jvmArgs;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5)).build();
    /** Every JVM started here, in order. */
    private final List<Process> processes = new ArrayList<>();
    private final List<Process> workers = new ArrayList<>();
    private String masterUrl;
    private URI masterUi;

    private StandaloneCluster(Path dir, List<String> jvmArgs) {
        this.dir = dir;
        this.sparkHome = dir.resolve("spark-home");
        this.jvmArgs = List.copyOf(jvmArgs);
    }

    /**
     * Starts a master and workers of one core each, and waits until every worker registered.
     *
     * @param dir the cluster's folder (created)
     * @param sparkJars Spark's jars and theirs: what a Spark install has in {@code jars/}
     * @param jvmArgs the module openings Spark needs on this JDK
     * @param workerCount how many workers
     * @param workerMemory memory each worker offers executors, e.g. {@code 1g}
     * @return the running cluster; close it
     * @throws IOException if a JVM cannot be started or does not come up in time
     * @throws InterruptedException if interrupted while waiting
     */
    static StandaloneCluster start(Path dir, List<Path> sparkJars, List<String> jvmArgs,
            int workerCount, String workerMemory) throws IOException, InterruptedException {
        StandaloneCluster cluster = new StandaloneCluster(dir, jvmArgs);
        // should the test JVM end without closing it (killed on a timeout), no JVM outlives it
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "cluster-close"));
        try {
            cluster.install(sparkJars);
            cluster.startMaster();
            for (int i = 1; i <= workerCount; i++) {
                cluster.startWorker(i, workerMemory);
            }
            cluster.awaitWorkers(workerCount);
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** @return the master's address, {@code spark://127.0.0.1:port} */
    String masterUrl() {
        return masterUrl;
    }

    /** @return where logs go */
    Path logs() {
        return dir.resolve("logs");
    }

    private void install(List<Path> sparkJars) throws IOException {
        Path jars = Files.createDirectories(sparkHome.resolve("jars"));
        for (Path jar : sparkJars) {
            Path link = jars.resolve(jar.getFileName());
            if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, jar.toAbsolutePath());
            }
        }
        Files.createDirectories(logs());
        Files.createDirectories(dir.resolve("tmp"));
    }

    private void startMaster() throws IOException, InterruptedException {
        Path log = logs().resolve("master.log");
        Process master = launch("master", daemon("256m",
                "-Dspark.master.rest.enabled=false", // a fixed port (6066) otherwise
                "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "0",
                "--webui-port", "0"), Map.of());
        masterUrl = awaitLog(master, log, MASTER_URL, "the master's address");
        masterUi = URI.create("http://127.0.0.1:"
                + awaitLog(master, log, WEB_UI, "the master's web UI"));
    }

    private void startWorker(int n, String memory) throws IOException {
        Path home = Files.createDirectories(dir.resolve("worker-" + n));
        Process worker = launch("worker-" + n, daemon("256m",
                "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--port", "0",
                "--webui-port", "0", "--cores", "1", "--memory", memory, "--work-dir",
                home.resolve("work").toString(), masterUrl),
                Map.of("SPARK_LOCAL_DIRS", home.resolve("local").toString()));
        workers.add(worker);
    }

    private void awaitWorkers(int count) throws IOException, InterruptedException {
        await(() -> {
            JsonObject state = masterState();
            return state != null && state.get("aliveworkers").getAsInt() == count;
        }, START, () -> count + " workers registered with the master; see " + logs());
    }

    /** @return the master's state ({@code /json/}: workers, apps), or null if it does not answer */
    JsonObject masterState() {
        JsonElement json = getJson(masterUi.resolve("/json/"));
        return json == null ? null : json.getAsJsonObject();
    }

    /**
     * Runs spark-submit in its own JVM, in client mode: the driver is that JVM. Its stdout goes
     * to {@code logs/NAME.out}, its log to {@code logs/NAME.log}, its event log to
     * {@code events/NAME/}.
     *
     * @param name the run's name, e.g. {@code run-1}
     * @param jobJar the application jar
     * @param mainClass the class spark-submit runs
     * @param conf Spark settings ({@code --conf}); executor Java options get a temporary
     *     folder under this cluster's folder appended
     * @param args the application's arguments
     * @return the running submission
     * @throws IOException if the JVM cannot be started
     */
    Submission submit(String name, Path jobJar, String mainClass, Map<String, String> conf,
            List<String> args) throws IOException {
        Path events = Files.createDirectories(dir.resolve("events").resolve(name));
        Map<String, String> settings = new LinkedHashMap<>(conf);
        settings.put("spark.driver.host", "127.0.0.1");
        settings.put("spark.driver.bindAddress", "127.0.0.1");
        settings.put("spark.ui.port", "0");
        settings.put("spark.local.dir", Files.createDirectories(dir.resolve("driver-local"))
                .toString());
        settings.put("spark.eventLog.enabled", "true");
        settings.put("spark.eventLog.dir", events.toUri().toString());
        settings.put("spark.eventLog.compress", "false");
        settings.put("spark.eventLog.rolling.enabled", "false"); // one file
        settings.merge("spark.executor.extraJavaOptions", "-Djava.io.tmpdir=" + dir.resolve("tmp"),
                (given, tmp) -> given + " " + tmp);
        List<String> command = new ArrayList<>(jvm("768m"));
        command.addAll(List.of("org.apache.spark.deploy.SparkSubmit", "--master", masterUrl,
                "--deploy-mode", "client", "--name", name, "--class", mainClass));
        settings.forEach((key, value) -> command.addAll(List.of("--conf", key + "=" + value)));
        command.add(jobJar.toString());
        command.addAll(args);
        long start = System.nanoTime();
        Process driver = launch(name, command, Map.of());
        return new Submission(name, driver, start, events);
    }

    /** One spark-submit: its JVM, logs and event log. Closing it kills a driver still running. */
    final class Submission implements AutoCloseable {
        private final String name;
        private final Process process;
        private final long startNanos;
        private final Path events;
        private long endNanos;

        private Submission(String name, Process process, long startNanos, Path events) {
            this.name = name;
            this.process = process;
            this.startNanos = startNanos;
            this.events = events;
        }

        /** Kills the driver and what it started if it still runs (a test that failed). */
        @Override
        public void close() {
            if (process.isAlive()) {
                kill(process.toHandle());
                process.onExit().join();
            }
        }

        /** @return whether the driver still runs */
        boolean isAlive() {
            return process.isAlive();
        }

        /**
         * Waits for the driver's web UI address in its log.
         *
         * @return e.g. {@code http://127.0.0.1:40123}
         * @throws IOException if the driver exits or does not print it in time
         * @throws InterruptedException if interrupted
         */
        URI awaitUi() throws IOException, InterruptedException {
            return URI.create("http://127.0.0.1:"
                    + awaitLog(process, log(), WEB_UI, "the driver's web UI"));
        }

        /**
         * Waits for the job to end.
         *
         * @param timeout how long at most; then the driver is killed and this fails
         * @return the exit code
         * @throws IOException if it did not end in time
         * @throws InterruptedException if interrupted
         */
        int waitFor(Duration timeout) throws IOException, InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(process.toHandle());
                throw new IOException(name + " did not end within " + timeout + "; see "
                        + log());
            }
            if (endNanos == 0) {
                endNanos = System.nanoTime();
            }
            return process.exitValue();
        }

        /** @return seconds from starting the JVM to its exit (once ended) */
        double wallSeconds() {
            return (endNanos - startNanos) / 1e9;
        }

        /** @return the driver's log (stderr) */
        Path log() {
            return logs().resolve(name + ".log");
        }

        /**
         * @return what the job printed on stdout
         * @throws IOException if it cannot be read
         */
        String stdout() throws IOException {
            return Files.readString(logs().resolve(name + ".out"));
        }

        /**
         * @return the last lines of the driver's log, for a failure message
         * @throws IOException if it cannot be read
         */
        String logTail() throws IOException {
            List<String> lines = Files.readAllLines(log());
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40),
                    lines.size()));
        }

        /**
         * @return the event log Spark wrote for this run
         * @throws IOException if there is not exactly one
         */
        Path eventLog() throws IOException {
            try (Stream<Path> files = Files.list(events)) {
                List<Path> logs = files.toList();
                if (logs.size() != 1) {
                    throw new IOException("Expected one event log in " + events + ": " + logs);
                }
                return logs.get(0);
            }
        }
    }

    /**
     * The executor JVM with this id, a child of one of the workers.
     *
     * @param executorId the id Spark gave it, e.g. {@code 1}
     * @return its process, if it runs
     */
    Optional<ProcessHandle> executor(String executorId) {
        return workers.stream().flatMap(w -> w.toHandle().descendants())
                .filter(p -> p.info().commandLine().map(line -> {
                    Matcher m = EXECUTOR_ID.matcher(line);
                    return line.contains("CoarseGrainedExecutorBackend") && m.find()
                            && m.group(1).equals(executorId);
                }).orElse(false))
                .findFirst();
    }

    /**
     * Fetches JSON from one of the cluster's web UIs.
     *
     * @param uri the address
     * @return the document, or null if nothing answers there (yet, or any more)
     */
    JsonElement getJson(URI uri) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return response.statusCode() == 200 ? JsonParser.parseString(response.body())
                    : null;
        } catch (IOException | com.google.gson.JsonParseException e) {
            // not up yet, gone, or a page in place of the document while the UI starts
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Polls a condition every 100 ms until it holds.
     *
     * @param condition what to wait for
     * @param timeout how long at most
     * @param what what was awaited, for the failure message
     * @throws IOException if it did not hold in time
     * @throws InterruptedException if interrupted
     */
    static void await(Supplier<Boolean> condition, Duration timeout, Supplier<String> what)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new IOException("Timed out after " + timeout + " waiting for "
                        + what.get());
            }
            Thread.sleep(100);
        }
    }

    private String awaitLog(Process process, Path log, Pattern pattern, String what)
            throws IOException, InterruptedException {
        String[] found = new String[1];
        await(() -> {
            boolean exited = !process.isAlive();
            found[0] = find(log, pattern); // after the check: it may print it, then exit
            if (found[0] == null && exited) {
                throw new IllegalStateException("The JVM exited (" + process.exitValue()
                        + ") before printing " + what + "; see " + log);
            }
            return found[0] != null;
        }, START, () -> what + " in " + log);
        return found[0];
    }

    private static String find(Path log, Pattern pattern) {
        try {
            Matcher m = pattern.matcher(Files.readString(log, StandardCharsets.ISO_8859_1));
            return m.find() ? m.group(1) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * A Spark daemon's command, as {@code spark-class} builds it; JVM options first. Master and
     * workers mostly wait: the quick compiler and the serial collector leave the cores to the
     * driver and the executors.
     */
    private List<String> daemon(String heap, String... args) {
        List<String> command = new ArrayList<>(jvm(heap));
        command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        command.addAll(List.of(args));
        return command;
    }

    private List<String> jvm(String heap) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-cp", sparkHome.resolve("jars") + "/*", "-Xmx" + heap,
                "-Djava.io.tmpdir=" + dir.resolve("tmp"), "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmArgs);
        return command;
    }

    private Process launch(String name, List<String> command, Map<String, String> env)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(logs().resolve(name + ".out").toFile())
                .redirectError(logs().resolve(name + ".log").toFile());
        // this cluster only: nothing from a Spark or Hadoop set up on the machine
        builder.environment().keySet().removeIf(key -> key.startsWith("SPARK_")
                || key.startsWith("HADOOP_") || key.startsWith("PYSPARK_"));
        builder.environment().put("SPARK_HOME", sparkHome.toString());
        // what bin/load-spark-env.sh exports; the worker's launcher needs it for executors
        builder.environment().put("SPARK_SCALA_VERSION", "2.13");
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        builder.environment().put("TORCH_CPP_LOG_LEVEL", "ERROR");
        builder.environment().putAll(env);
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    /** Kills a process and every process under it (SIGKILL). */
    static void kill(ProcessHandle process) {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process);
        all.forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * Stops every JVM started here: politely first (workers stop their executors), then
     * SIGKILL for anything left after 15 s, executors included. Deletes the copies of the job
     * jar in the workers' folders; logs stay.
     */
    @Override
    public synchronized void close() {
        List<ProcessHandle> all = new ArrayList<>();
        for (Process p : processes.reversed()) {
            all.addAll(p.toHandle().descendants().toList());
            all.add(p.toHandle());
        }
        processes.reversed().forEach(Process::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(Math.max(1, deadline - System.nanoTime()),
                        TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        all.forEach(ProcessHandle::destroyForcibly); // no-op for those that exited
        for (int i = 1; i <= workers.size(); i++) {
            Path work = dir.resolve("worker-" + i).resolve("work");
            if (!Files.isDirectory(work)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(work)) {
                for (Path jar : files.filter(p -> p.toString().endsWith(".jar")).toList()) {
                    Files.deleteIfExists(jar);
                }
            } catch (IOException e) {
                // only disk space: the logs are what matters
            }
        }
    }
}
