package dev.kodiak.core;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.core.PythonTool.Run;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.bundle.ManifestParser;
import dev.kodiak.core.bundle.ModelCheck;
import dev.kodiak.core.bundle.Probe;
import dev.kodiak.core.infer.InferenceEngine;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Preprocessor;
import dev.kodiak.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tools/export_bundle.py} as a user runs it (Debian's python3 and torch, which
 * {@code tools/install-debian-packages.sh --with-python-tools} installs), and its bundles opened by
 * the real {@link Classifier}: the probe notices an edited input spec even when the model's scores
 * are tiny, says so when it cannot, and the command line answers in one line or a summary.
 */
class ExporterTest {

    @TempDir
    static Path tmp;

    /** The models and probe tensors {@code exporter_fixtures.py} wrote. */
    private static Path fixtures;

    private static Run python(String... args) throws IOException, InterruptedException {
        return PythonTool.run(tmp, args);
    }

    private static Run export(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("tools/export_bundle.py"));
        all.addAll(List.of(args));
        return python(all.toArray(String[]::new));
    }

    private static Run exported(String... args) throws Exception {
        Run run = export(args);
        assertThat(run.err(), run.exit(), is(0));
        return run;
    }

    private static Path labels(String name, String... labels) throws IOException {
        Files.createDirectories(tmp.resolve(name));
        return Files.writeString(tmp.resolve(name).resolve("labels.txt"),
                String.join("\n", labels) + "\n");
    }

    private static JsonObject manifest(Path bundle) throws IOException {
        return JsonParser.parseString(Files.readString(bundle.resolve("kodiak.json")))
                .getAsJsonObject();
    }

    /** A copy of a bundle with its manifest edited after export. */
    private static Path edited(Path bundle, String name, Consumer<JsonObject> edit)
            throws IOException {
        Path copy = Files.createDirectories(tmp.resolve(name));
        for (String file : List.of("model.pt", "model.onnx")) {
            Files.copy(bundle.resolve(file), copy.resolve(file));
        }
        JsonObject m = manifest(bundle);
        edit.accept(m);
        Files.writeString(copy.resolve("kodiak.json"), m.toString());
        return copy;
    }

    private static void meanOfHalf(JsonObject m) {
        m.getAsJsonObject("input").add("mean", JsonParser.parseString("[0.5, 0.5, 0.5]"));
    }

    private static Classifier open(Path bundle, InferenceEngine engine) throws BundleException {
        return Classifier.open(ClassifierConfig.builder(bundle).engine(engine).build());
    }

    @BeforeAll
    static void makeModels() throws Exception {
        fixtures = Files.createDirectories(tmp.resolve("fixtures"));
        Path script = Path.of(ExporterTest.class.getResource("exporter_fixtures.py").toURI());
        Run run = python(script.toString(), fixtures.toString());
        assertThat(run.err(), run.exit(), is(0));
    }

    @Test
    void probeImagesAreTheExportersTensorsForEverySpecForm() throws Exception {
        JsonArray cases = JsonParser.parseString(Files.readString(
                fixtures.resolve("probe-tensors.json"))).getAsJsonArray();
        for (JsonElement element : cases) {
            JsonObject c = element.getAsJsonObject();
            InputSpec spec = ManifestParser.parseInputSpec(c.get("spec").toString());
            JsonArray source = c.getAsJsonArray("source");
            Probe probe = new Probe(new int[] {1, 2}, new Probe.Source(source.get(0).getAsInt(),
                    source.get(1).getAsInt()), 1e-3, new float[][] {{0f}, {0f}}, List.of());
            float[] java = probe.input(new Preprocessor(spec));
            JsonArray python = c.getAsJsonArray("tensor");
            assertThat(spec.toString(), java.length, is(python.size()));
            for (int i = 0; i < java.length; i++) {
                // a pixel one level apart would differ by 1/255/std, above 0.004
                assertThat(spec + " value " + i, (double) java[i],
                        closeTo(python.get(i).getAsFloat(), 1e-6));
            }
        }
    }

    @Test
    void aNearZeroModelsProbeCatchesAnEditedMean() throws Exception {
        Path bundle = tmp.resolve("near").resolve("bundle");
        Run run = exported("--module", fixtures.resolve("near.pt").toString(), "--labels",
                labels("near", "cat", "dog", "bird").toString(), "--size", "32", "--out",
                bundle.toString());
        JsonObject probe = manifest(bundle).getAsJsonObject("probe");
        double largest = 0;
        for (JsonElement row : probe.getAsJsonArray("outputs")) {
            for (JsonElement v : row.getAsJsonArray()) {
                largest = Math.max(largest, Math.abs(v.getAsDouble()));
            }
        }
        assertThat("scores as tiny as a random mobilenet_v3_small's", largest, lessThan(1e-8));
        double tolerance = probe.get("tolerance").getAsDouble();
        assertThat("a tolerance the scores can support", tolerance, lessThan(largest / 10));
        assertThat(probe.getAsJsonArray("misses").size(), is(0));
        assertThat(run.out(), containsString("  probe     2 noise images (52x39, resized), "
                + "tolerance "));
        assertThat(run.out(), containsString("notices an edit of mean, std, invert, rescale, "
                + "size, color, resize, interpolation\n"));
        assertThat(run.err(), not(containsString("WARNING")));

        for (InferenceEngine engine : List.of(InferenceEngine.ONNXRUNTIME,
                InferenceEngine.PYTORCH)) {
            try (Classifier c = open(bundle, engine)) {
                assertThat(c.manifest().probe().orElseThrow().tolerance(), is(tolerance));
            }
            BundleException e = assertThrows(BundleException.class,
                    () -> open(edited(bundle, "near-mean-" + engine, ExporterTest::meanOfHalf),
                            engine));
            assertThat(e.problem(), is(BundleException.Problem.PROBE_MISMATCH));
            assertThat(e.getMessage(), containsString("the input spec in kodiak.json was "
                    + "changed since"));
        }
        // what the issue saw: at the old tolerance the same edit opens as if nothing happened
        Path blind = edited(bundle, "near-mean-1e-3", m -> {
            meanOfHalf(m);
            m.getAsJsonObject("probe").addProperty("tolerance", 1e-3);
        });
        try (Classifier c = open(blind, InferenceEngine.ONNXRUNTIME)) {
            assertThat(c.manifest().input().mean()[0], is(0.5f));
        }
    }

    @Test
    void aProbeThatCannotSeeAFieldSaysSoAtExportAndAtEveryOpen() throws Exception {
        Path bundle = tmp.resolve("constant").resolve("bundle");
        Run run = exported("--module", fixtures.resolve("constant.pt").toString(), "--labels",
                labels("constant", "left", "right").toString(), "--size", "32", "--out",
                bundle.toString());
        String missed = "mean, std, invert, rescale, size, resize, interpolation";
        assertThat(run.err(), containsString("WARNING: the bundle's probe cannot detect an edit "
                + "of " + missed + " in kodiak.json"));
        assertThat(run.out(), containsString("notices an edit of color; MISSES an edit of "
                + missed + " (see the warning above)"));
        List<String> misses = new ArrayList<>();
        manifest(bundle).getAsJsonObject("probe").getAsJsonArray("misses")
                .forEach(f -> misses.add(f.getAsString()));
        assertThat(String.join(", ", misses), is(missed));

        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel() == Level.WARNING) {
                    records.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger(Classifier.class.getName());
        logger.addHandler(handler);
        try (Classifier c = open(edited(bundle, "constant-mean", ExporterTest::meanOfHalf),
                InferenceEngine.AUTO)) {
            // the edit is not noticed, as the warning says
            String warning = ModelCheck.warning(c.manifest()).orElseThrow();
            assertThat(warning, containsString("cannot detect an edit of " + missed));
            assertThat(records.stream().map(LogRecord::getMessage).toList(), contains(warning));
        } finally {
            logger.removeHandler(handler);
        }
    }

    @Test
    void aLabelCountThatDoesNotMatchIsOneLine() throws Exception {
        Path sixLabels = labels("six", "a", "b", "c", "d", "e", "f");
        Run torchvision = export("--torchvision", "resnet18", "--state-dict",
                fixtures.resolve("resnet18-5.pt").toString(), "--labels", sixLabels.toString(),
                "--out", tmp.resolve("six").resolve("resnet").toString());
        assertThat(torchvision.exit(), is(1));
        assertThat(torchvision.out(), is(""));
        assertThat("one line, no traceback", torchvision.err(), is("export_bundle.py: "
                + "labels.txt has 6 lines; the model outputs 5. Give one label per output, one "
                + "per line, in the model's output order\n"));
        Run module = export("--module", fixtures.resolve("near.pt").toString(), "--labels",
                sixLabels.toString(), "--size", "32", "--out",
                tmp.resolve("six").resolve("near").toString());
        assertThat(module.exit(), is(1));
        assertThat(module.err(), containsString("labels.txt has 6 lines; the model outputs 3."));
        assertThat(module.err().lines().count(), is(1L));
        assertThat(Files.exists(tmp.resolve("six").resolve("near")), is(false));
    }

    @Test
    void theSummarySaysWhatWasWrittenAndWarnsOfAModelTooLargeForAuto() throws Exception {
        Path val = tmp.resolve("big").resolve("val");
        Map<String, List<String>> images = Map.of(
                "alpha", List.of("jpeg-baseline.jpg", "png-rgb8.png"),
                "Bravo", List.of("jpeg-exif-6.jpg", "png-palette.png"),
                "charlie", List.of("bmp-rgb24.bmp", "gif-palette.gif", "html-renamed.jpg"));
        for (var folder : images.entrySet()) {
            Files.createDirectories(val.resolve(folder.getKey()));
            for (String image : folder.getValue()) {
                Files.write(val.resolve(folder.getKey()).resolve(image),
                        Fixtures.image(image).bytes());
            }
        }
        Path bundle = tmp.resolve("big").resolve("bundle");
        Run run = exported("--module", fixtures.resolve("big.pt").toString(), "--labels",
                labels("big", "alpha", "bravo", "charlie", "delta", "echo", "foxtrot").toString(),
                "--size", "32", "--name", "big", "--version", "2.0", "--out", bundle.toString(),
                "--validate", val.toString());

        // the accuracy is what Java's classifier gets on the same images
        int correct = 0;
        int total = 0;
        try (Classifier c = open(bundle, InferenceEngine.AUTO)) {
            for (var folder : images.entrySet()) {
                for (String image : folder.getValue()) {
                    if (Fixtures.image(image).error() == null) {
                        total++;
                        String top = c.classify(Fixtures.image(image).bytes()).top().label();
                        correct += top.equalsIgnoreCase(folder.getKey()) ? 1 : 0;
                    }
                }
            }
        }
        JsonObject accuracy = manifest(bundle).getAsJsonObject("provenance")
                .getAsJsonObject("accuracy");
        assertThat(accuracy.get("total").getAsInt(), is(total));
        assertThat(accuracy.get("correct").getAsInt(), is(correct));

        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(0), is("wrote bundle big 2.0 in " + bundle));
        assertThat(lines.get(1), is("  labels    6 (the lines of labels.txt): alpha, bravo, "
                + "charlie, delta, echo, ..."));
        assertThat(lines.get(2), is("  input     RGB 32x32: squish, bilinear; /255, mean 0.485, "
                + "0.456, 0.406, std 0.229, 0.224, 0.225"));
        Matcher files = Pattern.compile("  files     kodiak\\.json [0-9.]+ kB, model\\.pt "
                + "([0-9.]+) MB, model\\.onnx ([0-9.]+) MB").matcher(lines.get(3));
        assertThat(lines.get(3), files.matches(), is(true));
        assertThat(Double.parseDouble(files.group(1)),
                closeTo(Files.size(bundle.resolve("model.pt")) / 1e6, 0.05));
        assertThat(Double.parseDouble(files.group(2)),
                closeTo(Files.size(bundle.resolve("model.onnx")) / 1e6, 0.05));
        assertThat(lines.get(4), is("  runtimes  pytorch, onnxruntime, onnxruntime-web"));
        assertThat(lines.get(5), is("  probe     2 noise images (52x39, resized), tolerance "
                + "0.001; notices an edit of mean, std, invert, rescale, size, color, resize, "
                + "interpolation"));
        assertThat(lines.get(6), is(String.format(java.util.Locale.ROOT,
                "  accuracy  %.1f%% top-1 on folder val: %d of %d images; 1 file PIL cannot "
                + "read left out", 100.0 * correct / total, correct, total)));
        assertThat(lines.size(), is(7));
        assertThat(run.err(), is(String.format(java.util.Locale.ROOT, "WARNING: model.onnx is "
                + "%.1f MB, over the blog widget's 20 MB limit for runtime \"auto\": a page that "
                + "also names a server model asks the server rather than download it into "
                + "readers' browsers; runtime=\"browser\" (or data-max-download-mb) runs it in "
                + "the page anyway\n", Double.parseDouble(files.group(2)))));
    }
}
