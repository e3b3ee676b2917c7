package dev.kodiak.core;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.infer.InferenceEngine;
import dev.kodiak.core.infer.InferenceException;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.topk.TopKOptions;
import dev.kodiak.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Which engine runs a bundle, and the probe that catches a broken export on each. */
class EngineTest {
    @TempDir
    Path tmp;

    static Stream<InferenceEngine> engines() {
        return Stream.of(InferenceEngine.ONNXRUNTIME, InferenceEngine.PYTORCH);
    }

    /** A copy of the tiny bundle, its manifest edited; files the edit drops are not copied. */
    private Path bundleWith(Consumer<JsonObject> edit) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bundle"));
        Path source = Fixtures.tinyBundle();
        JsonObject manifest = JsonParser.parseString(
                Files.readString(source.resolve("kodiak.json"))).getAsJsonObject();
        edit.accept(manifest);
        for (String file : manifest.getAsJsonObject("files").keySet()) {
            Files.copy(source.resolve(file), dir.resolve(file));
        }
        Files.writeString(dir.resolve("kodiak.json"), manifest.toString());
        return dir;
    }

    private static Classifier open(Path bundle, InferenceEngine engine) throws BundleException {
        return Classifier.open(ClassifierConfig.builder(bundle).engine(engine).build());
    }

    private static void withoutOnnx(JsonObject m) {
        m.getAsJsonObject("model").remove("onnx");
        m.remove("runtimes");
        m.getAsJsonObject("files").remove("model.onnx");
    }

    private static void withoutTorchScript(JsonObject m) {
        m.getAsJsonObject("model").remove("file");
        m.getAsJsonObject("model").remove("format");
        m.remove("runtimes");
        m.getAsJsonObject("files").remove("model.pt");
    }

    @Test
    void autoPrefersOnnxRuntime() throws Exception {
        try (Classifier c = open(Fixtures.tinyBundle(), InferenceEngine.AUTO)) {
            assertThat(c.engine(), is(InferenceEngine.ONNXRUNTIME));
        }
    }

    @Test
    void aTorchScriptOnlyBundleRunsOnLibtorch() throws Exception {
        Path bundle = bundleWith(EngineTest::withoutOnnx);
        try (Classifier c = open(bundle, InferenceEngine.AUTO)) {
            assertThat(c.engine(), is(InferenceEngine.PYTORCH));
        }
        BundleException e = assertThrows(BundleException.class,
                () -> open(bundle, InferenceEngine.ONNXRUNTIME));
        assertThat(e.problem(), is(BundleException.Problem.RUNTIME_NOT_SERVED));
        assertThat(e.getMessage(), is("Bundle 'tiny-rgb' does not serve engine onnxruntime (it "
                + "serves [pytorch]); choose engine auto, or re-export it with "
                + "tools/export_bundle.py, which writes both model.pt and model.onnx"));
    }

    @Test
    void anOnnxOnlyBundleRunsOnOnnxRuntime() throws Exception {
        Path bundle = bundleWith(EngineTest::withoutTorchScript);
        try (Classifier c = open(bundle, InferenceEngine.AUTO)) {
            assertThat(c.engine(), is(InferenceEngine.ONNXRUNTIME));
            assertThat(c.classify(Fixtures.image("png-rgb8.png").bytes()).predictions().size(),
                    is(3));
        }
        BundleException e = assertThrows(BundleException.class,
                () -> open(bundle, InferenceEngine.PYTORCH));
        assertThat(e.problem(), is(BundleException.Problem.RUNTIME_NOT_SERVED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void theProbeCatchesScoresThatAreNotWhatWasExported(InferenceEngine engine)
            throws Exception {
        // what a broken export looks like from the outside: the model's answers moved (the
        // edited score, 1.23, is also the largest magnitude the tolerance scales with)
        Path bundle = bundleWith(m -> {
            JsonArray row = m.getAsJsonObject("probe").getAsJsonArray("outputs")
                    .get(1).getAsJsonArray();
            row.set(2, new com.google.gson.JsonPrimitive(row.get(2).getAsFloat() + 0.25f));
        });
        BundleException e = assertThrows(BundleException.class, () -> open(bundle, engine));
        assertThat(e.problem(), is(BundleException.Problem.PROBE_MISMATCH));
        assertThat(e.getMessage(), startsWith(engine + " disagrees with PyTorch on the "
                + "bundle's probe: score 2 of probe image 2 differs by 0.250 (allowed "
                + "0.00123)."));
        assertThat(e.getMessage(), containsString("re-export the bundle"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void theProbeCatchesAnInputSpecEditedAfterExport(InferenceEngine engine) throws Exception {
        Path bundle = bundleWith(m -> {
            JsonArray mean = new JsonArray();
            mean.add(0.5);
            mean.add(0.5);
            mean.add(0.5);
            m.getAsJsonObject("input").add("mean", mean);
        });
        BundleException e = assertThrows(BundleException.class, () -> open(bundle, engine));
        assertThat(e.problem(), is(BundleException.Problem.PROBE_MISMATCH));
        assertThat(e.getMessage(), containsString("the input spec in kodiak.json was changed "
                + "since"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void anImageWithNanScoresFailsAloneInItsBatch(InferenceEngine engine) throws Exception {
        try (Classifier c = open(Fixtures.bundle("tiny-nan"), engine)) {
            byte[] white = new byte[64];
            java.util.Arrays.fill(white, (byte) 255);
            PreparedImage bright = c.stages().prepare(new Pixels(8, 8, ColorMode.L, white));
            PreparedImage dark = c.stages().prepare(new Pixels(8, 8, ColorMode.L, new byte[64]));
            java.util.List<Stages.Outcome> outcomes = c.stages().inferEach(
                    java.util.List.of(bright, dark, bright),
                    java.util.Collections.nCopies(3, TopKOptions.DEFAULT));
            assertThat(outcomes.get(0).get().top().label(), is("bright"));
            assertThat(outcomes.get(2).get().top().label(), is("bright"));
            assertThat(outcomes.get(1).failure().getMessage(), startsWith("Model 'tiny-nan' gave "
                    + "unusable scores for this image (The model produced NaN scores"));
            InferenceException e = assertThrows(InferenceException.class,
                    () -> c.stages().infer(java.util.List.of(bright, dark), TopKOptions.DEFAULT));
            assertThat(e.getMessage(), is(outcomes.get(1).failure().getMessage()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void everyTestBundlePassesItsProbe(InferenceEngine engine) throws Exception {
        for (String name : Fixtures.BUNDLES) {
            try (Classifier c = open(Fixtures.bundle(name), engine)) {
                assertThat(name, c.manifest().probe().isPresent(), is(true));
                assertThat(c.engine(), is(engine));
            }
        }
    }

    @Test
    void aProbeThatMissesSpecFieldsIsWarnedOfAtEveryOpen() throws Exception {
        Path bundle = bundleWith(m -> m.getAsJsonObject("probe").add("misses",
                new com.google.gson.Gson().toJsonTree(java.util.List.of("mean", "std"))));
        java.util.List<LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
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
        try {
            try (Classifier c = open(Fixtures.tinyBundle(), InferenceEngine.AUTO)) {
                assertThat("a probe that misses nothing: no warning", records.stream()
                        .anyMatch(r -> r.getLevel() == Level.WARNING), is(false));
            }
            try (Classifier c = open(bundle, InferenceEngine.AUTO)) {
                assertThat(records.stream().filter(r -> r.getLevel() == Level.WARNING)
                        .map(LogRecord::getMessage).toList(), contains("the probe of bundle "
                        + "'tiny-rgb' cannot detect an edit of mean, std in kodiak.json: the "
                        + "model's scores hardly change with them (measured by "
                        + "tools/export_bundle.py), so opening the bundle does not check them; "
                        + "make sure they are what the model was trained with"));
            }
        } finally {
            logger.removeHandler(handler);
        }
    }
}
