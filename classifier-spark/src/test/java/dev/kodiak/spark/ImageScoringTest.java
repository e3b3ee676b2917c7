package dev.kodiak.spark;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import dev.kodiak.core.Classification;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.infer.InferenceEngine;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.core.topk.TopKOptions;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Spark in local[2] mode on a few hundred real images and the hostile fixtures. */
class ImageScoringTest {
    @TempDir
    static Path tmp;

    static Path input;
    static SparkSession spark;
    static Classifier classifier;
    /** Expected error reasons of the hostile files, by name. */
    static Map<String, String> hostile = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        input = Files.createDirectories(tmp.resolve("images"));
        JsonObject facts = Fixtures.fashionMnist();
        byte[] images = Fixtures.gunzip(facts.get("images").getAsString());
        Path fashion = Files.createDirectories(input.resolve("fashion"));
        for (int i = 0; i < 300; i++) {
            BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            image.getRaster().setDataElements(0, 0, 28, 28,
                    java.util.Arrays.copyOfRange(images, 16 + i * 784, 16 + (i + 1) * 784));
            ImageIO.write(image, "png", fashion.resolve(String.format("%04d.png", i)).toFile());
        }
        Path photos = Files.createDirectories(input.resolve("photos"));
        for (Fixtures.Image image : Fixtures.images()) {
            Files.copy(image.path(), photos.resolve(image.name()));
            if (image.error() != null) {
                hostile.put(image.name(), image.error());
            }
        }
        spark = SparkSession.builder().master("local[2]").appName("kodiak-test")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
        classifier = Classifier.open(Fixtures.defaultBundle());
    }

    @AfterAll
    static void stop() {
        spark.stop();
        classifier.close();
    }

    private static ScoringOptions options(Path output, int topK, String format) {
        return new ScoringOptions(input.toString(), output.toString(),
                Fixtures.defaultBundle().toString(), true, topK, 0.5f, 16, null, format,
                50_000_000L, InferenceEngine.AUTO);
    }

    private static List<Row> read(Path output, String format) {
        return spark.read().format(format).option("header", "true")
                .option("inferSchema", "true").load(output.toString()).collectAsList();
    }

    @Test
    void aBundleReplacedInPlaceIsOpenedAgain() throws Exception {
        // executors read the bundle where it is (--no-ship); between two jobs it is replaced
        Path bundle = tmp.resolve("replaced-bundle");
        copyTree(Fixtures.defaultBundle(), bundle);
        Path output = tmp.resolve("replaced-scores");
        ScoringOptions options = new ScoringOptions(input.toString(), output.toString(),
                bundle.toString(), false, 1, 0f, 16, "*.png", "csv", 50_000_000L,
                InferenceEngine.AUTO);
        ImageScoring.write(spark, ImageScoring.score(spark, options), options);
        assertThat(read(output, "csv").get(0).<String>getAs("model_name"), is("fashion-mnist"));
        int open = ExecutorClassifiers.openCount(); // local mode: the executor is this JVM

        deleteTree(bundle);
        copyTree(Fixtures.tinyBundle(), bundle);
        ImageScoring.write(spark, ImageScoring.score(spark, options), options);
        assertThat("the replaced model was closed once its tasks ended",
                ExecutorClassifiers.openCount(), is(open));
        List<Row> rows = read(output, "csv");
        java.util.Set<String> tinyLabels = java.util.Set.of("red-ish", "green-ish", "blue-ish");
        String tinySha;
        try (dev.kodiak.core.Classifier tiny = dev.kodiak.core.Classifier.open(bundle)) {
            tinySha = tiny.manifest().modelSha256();
        }
        assertThat(rows.stream().filter(r -> r.getAs("error") == null).count(),
                org.hamcrest.Matchers.greaterThan(3L));
        for (Row row : rows) {
            if (row.getAs("error") != null) {
                continue;
            }
            assertThat(row.<String>getAs("model_sha256"), is(tinySha));
            assertThat(row.<String>getAs("model_precision"), is("fp32"));
            assertThat("scored by the new model, not the cached old one",
                    tinyLabels.contains(row.<String>getAs("label_1")), is(true));
        }
    }

    @Test
    void twoBundlesOfOneNameAreShippedInOneSession() throws Exception {
        // shipped bundles are files named by content: Spark keeps the first file added under
        // a name for the whole session, and a cluster takes no directories at all
        Path first = tmp.resolve("first").resolve("model");
        Path second = tmp.resolve("second").resolve("model");
        copyTree(Fixtures.defaultBundle(), first);
        copyTree(Fixtures.tinyBundle(), second);
        Path output = tmp.resolve("same-name-scores");
        for (Path bundle : List.of(first, second)) {
            ScoringOptions options = new ScoringOptions(input.resolve("fashion").toString(),
                    output.toString(), bundle.toString(), true, 1, 0f, 16, null, "csv",
                    50_000_000L, InferenceEngine.AUTO);
            ImageScoring.write(spark, ImageScoring.score(spark, options), options);
            String name;
            try (Classifier expected = Classifier.open(bundle)) {
                name = expected.manifest().name();
            }
            List<Row> rows = read(output, "csv");
            assertThat(rows.size(), is(300));
            for (Row row : rows) {
                assertThat(row.<String>getAs("model_name"), is(name));
            }
        }
        String[] shipped = (String[]) spark.sparkContext().listFiles().toArray(
                scala.reflect.ClassTag$.MODULE$.apply(String.class));
        assertThat(java.util.Arrays.stream(shipped).filter(f -> f.contains("/model-"))
                .filter(f -> f.endsWith(".zip")).count(), is(2L));
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    @Test
    void everyRowIsWhatCoreAnswersAndBadFilesAreErrorRows() throws Exception {
        Path output = tmp.resolve("scores");
        ScoringOptions options = options(output, 3, "parquet");
        ImageScoring.write(spark, ImageScoring.score(spark, options), options);

        List<Row> rows = read(output, "parquet");
        List<String> names;
        try (Stream<Path> walk = Files.walk(input)) {
            names = walk.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                    .toList();
        }
        int files = names.size();
        java.util.Set<String> seen = new java.util.TreeSet<>();
        rows.forEach(r -> seen.add(Path.of(java.net.URI.create(r.getAs("path"))).getFileName()
                .toString()));
        assertThat("files without a row", names.stream().filter(n -> !seen.contains(n))
                .toList(), is(empty()));
        assertThat(rows.size(), is(files));
        int checked = 0;
        for (Row row : rows) {
            Path path = Path.of(java.net.URI.create(row.getAs("path")));
            String name = path.getFileName().toString();
            assertThat(row.<String>getAs("model_name"), is("fashion-mnist"));
            assertThat(row.<String>getAs("model_sha256"),
                    is(classifier.manifest().modelSha256()));
            if (hostile.containsKey(name)) {
                assertThat(name, row.<String>getAs("error"),
                        org.hamcrest.Matchers.startsWith(hostile.get(name) + ": "));
                assertThat(row.<String>getAs("label_1"), is(nullValue()));
                continue;
            }
            assertThat(name + ": " + row.getAs("error"), row.<String>getAs("error"),
                    is(nullValue()));
            Classification expected = classifier.classify(Files.readAllBytes(path),
                    TopKOptions.DEFAULT.withK(3).withThreshold(0.5f));
            for (int k = 0; k < 3; k++) {
                assertThat(name, row.<String>getAs("label_" + (k + 1)),
                        is(expected.predictions().get(k).label()));
                assertThat((double) row.<Float>getAs("probability_" + (k + 1)),
                        closeTo(expected.predictions().get(k).probability(), 1e-6));
            }
            assertThat(row.<Boolean>getAs("unsure"), is(expected.unsure()));
            checked++;
        }
        assertThat(checked, is(files - hostile.size()));
        assertThat(staging(), is(empty()));
    }

    @Test
    void rerunReplacesTheOutputWholeAndAFailedJobLeavesItUntouched() throws Exception {
        Path output = tmp.resolve("rerun");
        ScoringOptions first = options(output, 2, "csv");
        ImageScoring.write(spark, ImageScoring.score(spark, first), first);
        List<Row> before = read(output, "csv");
        assertThat(before.get(0).schema().fieldNames()[3], is("label_2"));

        ScoringOptions second = options(output, 4, "csv");
        ImageScoring.write(spark, ImageScoring.score(spark, second), second);
        List<Row> after = read(output, "csv");
        assertThat(after.size(), is(before.size()));
        assertThat(List.of(after.get(0).schema().fieldNames()).contains("label_4"), is(true));

        // a bundle whose files match their checksums but whose model no engine can load:
        // the driver accepts it, every executor task fails
        Path broken = Files.createDirectories(tmp.resolve("broken-bundle"));
        byte[] model = "not a model file".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(model));
        Files.write(broken.resolve("model.pt"), model);
        Files.write(broken.resolve("model.onnx"), model);
        String manifest = Files.readString(Fixtures.tinyBundle().resolve("kodiak.json"))
                .replaceAll("\"(model\\.pt|model\\.onnx)\": \"[0-9a-f]{64}\"",
                        "\"$1\": \"" + sha + "\"");
        Files.writeString(broken.resolve("kodiak.json"), manifest);
        ScoringOptions failing = new ScoringOptions(input.toString(), output.toString(),
                broken.toString(), true, 4, 0f, 16, null, "csv", 50_000_000L,
                InferenceEngine.AUTO);
        Exception e = assertThrows(Exception.class,
                () -> ImageScoring.write(spark, ImageScoring.score(spark, failing), failing));
        assertThat(String.valueOf(e.getMessage()), containsString("cannot be opened"));
        assertThat("the previous output is intact", read(output, "csv").size(),
                is(after.size()));
        assertThat(staging(), is(empty()));
    }

    @Test
    void globFilterAndTheCommandLine() throws Exception {
        Path output = tmp.resolve("pngs");
        int exit = new CommandLine(new ScoreImages()).execute(input.toString(),
                output.toString(), "--bundle",
                Fixtures.defaultBundle().toString(), "--glob", "*.png", "--top-k", "1",
                "--format", "csv");
        assertThat(exit, is(0));
        // the job used this test's session and left it running
        assertThat(spark.sparkContext().isStopped(), is(false));
        List<Row> rows = spark.read().option("header", "true").csv(output.toString())
                .collectAsList();
        long pngs;
        try (Stream<Path> walk = Files.walk(input)) {
            pngs = walk.filter(p -> p.toString().endsWith(".png")).count();
        }
        assertThat((long) rows.size(), is(pngs));
    }

    @Test
    void exitCodesAndAnInputPattern() throws Exception {
        String bundle = Fixtures.defaultBundle().toString();
        String out = tmp.resolve("codes").toString();
        java.io.StringWriter err = new java.io.StringWriter();
        CommandLine cli = new CommandLine(new ScoreImages())
                .setErr(new java.io.PrintWriter(err, true));
        assertThat(cli.execute(input.toString(), out, "--bundle", bundle, "--top-k", "0"), is(2));
        assertThat(err.toString(), containsString("Invalid options: top-k 0"));
        assertThat(cli.execute(input.toString(), out, "--bundle", bundle, "--format", "json"),
                is(2));
        assertThat(err.toString(), containsString("use parquet or csv"));
        assertThat(cli.execute(input.toString(), out, "--bundle", tmp.resolve("nowhere")
                .toString()), is(3));
        assertThat(err.toString(), containsString("nowhere"));
        assertThat(cli.execute(input.toString(), out, "--bundle", Fixtures.tinyBundle()
                .toString(), "--precision", "int8"), is(3));
        assertThat(err.toString(), containsString("has no int8 model; choose --precision fp32"));
        assertThat(cli.execute(input.toString(), out, "--bundle", bundle, "--precision", "int4"),
                is(2));
        assertThat(err.toString(), containsString("precision must be auto, fp32 or int8"));
        Path int8 = tmp.resolve("int8");
        assertThat(new CommandLine(new ScoreImages()).execute(input.resolve("fashion")
                .toString(), int8.toString(), "--bundle", bundle, "--precision", "int8",
                "--format", "csv"), is(0));
        List<Row> int8Rows = read(int8, "csv");
        assertThat(int8Rows.size(), is(300));
        assertThat("every row says the int8 model scored it", int8Rows.stream()
                .map(r -> r.<String>getAs("model_precision")).distinct().toList(),
                is(List.of("int8")));

        // INPUT as a pattern, as Spark's load() takes it; --no-ship: executors read the bundle
        Path output = tmp.resolve("pattern");
        assertThat(new CommandLine(new ScoreImages()).execute(input + "/pho*", output.toString(),
                "--bundle", bundle, "--no-ship", "--format", "csv"), is(0));
        long photos;
        try (Stream<Path> walk = Files.walk(input.resolve("photos"))) {
            photos = walk.filter(Files::isRegularFile).count();
        }
        List<Row> rows = read(output, "csv");
        assertThat((long) rows.size(), is(photos));
        assertThat(rows.stream().filter(r -> String.valueOf((Object) r.getAs("error"))
                .startsWith("EMPTY: ")).count(), is(1L));
    }

    private static List<Path> staging() throws Exception {
        try (Stream<Path> list = Files.list(tmp)) {
            return list.filter(p -> p.getFileName().toString().contains(".kodiak-")).toList();
        }
    }
}
