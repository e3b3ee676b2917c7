package dev.kodiak.core;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.core.PythonTool.Run;
import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.bundle.Int8Model;
import dev.kodiak.core.bundle.ModelCheck;
import dev.kodiak.core.bundle.Precision;
import dev.kodiak.core.infer.InferenceEngine;
import dev.kodiak.core.infer.Int8Support;
import dev.kodiak.core.infer.OnnxModel;
import dev.kodiak.core.infer.Threads;
import dev.kodiak.core.preprocess.Preprocessor;
import dev.kodiak.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * int8 bundles end to end: {@code tools/export_bundle.py --quantize int8} run as a user runs it
 * (Debian's torch) on the default model's weights, its {@code model.int8.onnx} opened by the real
 * {@link Classifier} on ONNX Runtime and checked by the int8 probe rule, which refuses a tampered
 * model or probe; and the choice of precision ({@code auto}, {@code fp32}, {@code int8}).
 */
class Int8Test {
    private static final Int8Support FAST = new Int8Support(true, "test CPU has avx512_vnni");
    private static final Int8Support SLOW = new Int8Support(false, "test CPU has no VNNI");

    @TempDir
    static Path tmp;

    private static Path fixtures;
    /** The default model's weights exported with --quantize int8 and --validate. */
    private static Path bundle;
    private static String summary;

    private static Run python(String... args) throws IOException, InterruptedException {
        return PythonTool.run(tmp, args);
    }

    /** export_bundle.py for the FashionNet module {@code module}, with these extra arguments. */
    private static Run export(String module, String out, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("tools/export_bundle.py", "--module",
                fixtures.resolve(module).toString(), "--labels",
                fixtures.resolve("labels.txt").toString(), "--out", tmp.resolve(out).toString(),
                "--size", "28", "--color", "L", "--mean", "0.286", "--std", "0.353"));
        args.addAll(List.of(extra));
        return python(args.toArray(String[]::new));
    }

    @BeforeAll
    static void makeBundle() throws Exception {
        fixtures = Files.createDirectories(tmp.resolve("fixtures"));
        Path script = Path.of(Int8Test.class.getResource("int8_fixtures.py").toURI());
        Run made = python(script.toString(), fixtures.toString());
        assertThat(made.err(), made.exit(), is(0));
        try (Bundle fp32 = Bundle.open(Fixtures.defaultBundle())) {
            Files.write(fixtures.resolve("labels.txt"), fp32.manifest().labels());
        }
        Run run = export("fashion.pt", "fashion", "--quantize", "int8", "--calibration",
                fixtures.resolve("calibration").toString(), "--validate",
                fixtures.resolve("valid").toString());
        assertThat(run.err(), run.exit(), is(0));
        bundle = tmp.resolve("fashion");
        summary = run.out();
    }

    private static JsonObject manifest(Path dir) throws IOException {
        return JsonParser.parseString(Files.readString(dir.resolve("kodiak.json")))
                .getAsJsonObject();
    }

    /** A copy of the bundle, its manifest edited. */
    private static Path copy(String name, Consumer<JsonObject> edit) throws IOException {
        Path copy = Files.createDirectories(tmp.resolve(name));
        try (Stream<Path> files = Files.list(bundle)) {
            for (Path file : files.toList()) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        JsonObject m = manifest(bundle);
        edit.accept(m);
        Files.writeString(copy.resolve("kodiak.json"), m.toString());
        return copy;
    }

    private static Classifier open(Path dir, Precision precision) throws BundleException {
        return Classifier.open(ClassifierConfig.builder(dir).precision(precision)
                .warmupRuns(0).build());
    }

    private static JsonObject int8(JsonObject m) {
        return m.getAsJsonObject("model").getAsJsonObject("int8");
    }

    @Test
    void exporterWritesTheInt8ModelBesideFp32AndMeasuresIt() throws Exception {
        JsonObject m = manifest(bundle);
        JsonObject measured = m.getAsJsonObject("provenance").getAsJsonObject("int8");
        assertThat(measured.get("total").getAsInt(), is(500));
        assertThat(measured.get("agree").getAsInt(), greaterThanOrEqualTo(495));
        assertThat(measured.has("fp32_correct") && measured.has("int8_correct"), is(true));
        assertThat(m.getAsJsonObject("files").has("model.int8.onnx"), is(true));
        assertThat(Files.exists(bundle.resolve("model.onnx")), is(true));
        long fp32 = Files.size(bundle.resolve("model.onnx"));
        long int8 = Files.size(bundle.resolve("model.int8.onnx"));
        assertThat("a third of the size at most", 3 * int8, lessThan(fp32));
        assertThat(summary, containsString("int8      model.int8.onnx"));
        assertThat(summary, containsString("of folder valid; accuracy fp32"));
        try (Bundle b = Bundle.open(bundle)) {
            Int8Model model = b.manifest().int8().orElseThrow();
            assertThat(model.agreement().orElseThrow().agree(),
                    is(measured.get("agree").getAsInt()));
            // an int8 last layer's scores are whole steps apart; a float32 one's are not
            assertThat(model.steps(), is(measured.get("last_layer").getAsString()
                    .equals("int8") ? 3 : 1));
        }
    }

    @Test
    void int8AnswersLikeFp32AndPassesItsProbeOnOnnxRuntime() throws Exception {
        try (Classifier fp32 = open(bundle, Precision.FP32);
                Classifier int8 = open(bundle, Precision.INT8)) {
            assertThat(int8.precision(), is(Precision.INT8));
            assertThat(int8.engine(), is(InferenceEngine.ONNXRUNTIME));
            assertThat(fp32.precision(), is(Precision.FP32));
            int same = 0;
            List<Path> images = new ArrayList<>();
            try (Stream<Path> files = Files.walk(fixtures.resolve("valid"))) {
                files.filter(p -> p.toString().endsWith(".png")).sorted().limit(100)
                        .forEach(images::add);
            }
            for (Path image : images) {
                byte[] bytes = Files.readAllBytes(image);
                same += fp32.classify(bytes).top().label().equals(int8.classify(bytes).top()
                        .label()) ? 1 : 0;
            }
            assertThat(same, greaterThanOrEqualTo(98));
        }
    }

    @Test
    void theInt8RuleMeasuresInOutputSteps() throws Exception {
        Bundle b = Bundle.open(bundle);
        try (b; OnnxModel model = OnnxModel.load(b.directory().resolve("model.int8.onnx"),
                new Threads(1, 1))) {
            ModelCheck check = new ModelCheck(b.manifest(),
                    new Preprocessor(b.manifest().input()), Precision.INT8);
            float[][] scores = model.forward(check.input(), check.batchSize(),
                    new int[] {1, 28, 28});
            ModelCheck.Verdict verdict = check.judge("onnxruntime", "model.int8.onnx", scores);
            System.out.println(verdict.message());
            assertThat(verdict.message(), verdict.ok(), is(true));
            // the fp32 rule would refuse ONNX Runtime's int8 scores: the rules differ for a reason
            ModelCheck.Verdict fp32Rule = new ModelCheck(b.manifest(),
                    new Preprocessor(b.manifest().input())).judge("onnxruntime",
                    "model.int8.onnx", scores);
            assertThat(fp32Rule.ok(), is(false));
        }
    }

    @Test
    void aTamperedInt8ModelIsRefused() throws Exception {
        Run run = export("louder.pt", "louder", "--quantize", "int8", "--calibration",
                fixtures.resolve("calibration").toString(), "--force");
        assertThat(run.err(), run.exit(), is(0));
        Path other = tmp.resolve("louder").resolve("model.int8.onnx");
        String sha = Bundle.sha256(other);
        Path tampered = copy("tampered-model", m -> m.getAsJsonObject("files")
                .addProperty("model.int8.onnx", sha));
        Files.copy(other, tampered.resolve("model.int8.onnx"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        BundleException e = assertThrows(BundleException.class,
                () -> open(tampered, Precision.INT8));
        assertThat(e.problem(), is(BundleException.Problem.PROBE_MISMATCH));
        assertThat(e.getMessage(), containsString("disagrees with PyTorch's int8 model"));
        // the fp32 model of the same bundle still opens
        open(tampered, Precision.FP32).close();
    }

    @Test
    void aTamperedInt8ProbeIsRefused() throws Exception {
        // four steps off in one score: beyond the three allowed
        Path off = copy("probe-off", m -> {
            JsonObject probe = int8(m).getAsJsonObject("probe");
            JsonArray row = probe.getAsJsonArray("outputs").get(0).getAsJsonArray();
            row.set(0, new com.google.gson.JsonPrimitive(row.get(0).getAsDouble()
                    + 4 * probe.get("step").getAsDouble()));
        });
        BundleException e = assertThrows(BundleException.class, () -> open(off, Precision.INT8));
        assertThat(e.problem(), is(BundleException.Problem.PROBE_MISMATCH));
        assertThat(e.getMessage(), containsString("output steps"));
        // another top-1: two scores swapped
        Path swapped = copy("probe-swapped", m -> {
            JsonArray row = int8(m).getAsJsonObject("probe").getAsJsonArray("outputs").get(1)
                    .getAsJsonArray();
            int top = 0;
            for (int i = 1; i < row.size(); i++) {
                top = row.get(i).getAsDouble() > row.get(top).getAsDouble() ? i : top;
            }
            int other = top == 0 ? 1 : 0;
            var a = row.get(top);
            row.set(top, row.get(other));
            row.set(other, a);
        });
        e = assertThrows(BundleException.class, () -> open(swapped, Precision.INT8));
        assertThat(e.getMessage(), containsString("its top score for probe image 2"));
    }

    @Test
    void aCalibrationThatRuinsTheModelIsRefusedUnlessForced() throws Exception {
        Run refused = export("fashion.pt", "ruined", "--quantize", "int8", "--calibration",
                fixtures.resolve("blank").toString(), "--validate",
                fixtures.resolve("valid").toString());
        assertThat(refused.out(), refused.exit(), is(1));
        assertThat(refused.err(), containsString("below the threshold 99%; not writing "
                + "model.int8.onnx"));
        assertThat("nothing written", Files.exists(tmp.resolve("ruined")), is(false));
        Run forced = export("fashion.pt", "ruined", "--quantize", "int8", "--calibration",
                fixtures.resolve("blank").toString(), "--validate",
                fixtures.resolve("valid").toString(), "--force");
        assertThat(forced.err(), forced.exit(), is(0));
        assertThat(forced.err(), containsString("precision auto will not choose it"));
        try (Bundle b = Bundle.open(tmp.resolve("ruined"))) {
            assertThat(Classifier.precision(ClassifierConfig.builder(b.directory())
                    .precision(Precision.AUTO).build(), b, FAST), is(Precision.FP32));
        }
    }

    @Test
    void autoTakesInt8OnlyWhenItHasMeasuredWellAndTheCpuPays() throws Exception {
        try (Bundle b = Bundle.open(bundle)) {
            ClassifierConfig auto = ClassifierConfig.builder(b.directory())
                    .precision(Precision.AUTO).build();
            assertThat("fp32 unless asked", Classifier.precision(ClassifierConfig.builder(
                    b.directory()).build(), b, FAST), is(Precision.FP32));
            assertThat(Classifier.precision(auto, b, FAST), is(Precision.INT8));
            assertThat(Classifier.precision(auto, b, SLOW), is(Precision.FP32));
            assertThat(Classifier.precision(ClassifierConfig.builder(b.directory())
                    .precision(Precision.FP32).build(), b, FAST), is(Precision.FP32));
            assertThat(Classifier.precision(ClassifierConfig.builder(b.directory())
                    .precision(Precision.INT8).build(), b, SLOW), is(Precision.INT8));
            assertThat("pytorch runs fp32", Classifier.precision(ClassifierConfig.builder(
                    b.directory()).engine(InferenceEngine.PYTORCH).precision(Precision.AUTO)
                    .build(), b, FAST),
                    is(Precision.FP32));

        }
        Path low = copy("low-agreement", m -> m.getAsJsonObject("provenance")
                .getAsJsonObject("int8").addProperty("agree", 480));
        try (Bundle b = Bundle.open(low)) {
            assertThat(Classifier.precision(ClassifierConfig.builder(low)
                    .precision(Precision.AUTO).build(), b, FAST), is(Precision.FP32));
        }
        Path none = copy("auto-no-int8", m -> {
            m.getAsJsonObject("model").remove("int8");
            m.getAsJsonObject("files").remove("model.int8.onnx");
        });
        try (Bundle b = Bundle.open(none)) {
            assertThat(Classifier.precision(ClassifierConfig.builder(none)
                    .precision(Precision.AUTO).build(), b, FAST), is(Precision.FP32));
        }
    }

    @Test
    void int8WhereThereIsNoneIsAClearError() throws Exception {
        Path none = copy("no-int8", m -> {
            m.getAsJsonObject("model").remove("int8");
            m.getAsJsonObject("files").remove("model.int8.onnx");
        });
        BundleException e = assertThrows(BundleException.class, () -> open(none, Precision.INT8));
        assertThat(e.problem(), is(BundleException.Problem.RUNTIME_NOT_SERVED));
        assertThat(e.getMessage(), containsString("has no int8 model; choose precision fp32 or "
                + "auto, or add model.int8.onnx with tools/export_bundle.py --upgrade"));
        e = assertThrows(BundleException.class, () -> Classifier.open(ClassifierConfig
                .builder(bundle).precision(Precision.INT8).engine(InferenceEngine.PYTORCH)
                .build()));
        assertThat(e.getMessage(), containsString("runs on ONNX Runtime only"));
    }

    @Test
    void cpuFlagsDecideWhetherInt8Pays() throws Exception {
        Path vnni = Files.writeString(tmp.resolve("cpuinfo-vnni"), "processor\t: 0\n"
                + "model name\t: AMD EPYC\nflags\t\t: fpu sse avx2 avx512f avx512_vnni\n");
        Path avx2 = Files.writeString(tmp.resolve("cpuinfo-avx2"), "processor\t: 0\n"
                + "model name\t: Old EPYC\nflags\t\t: fpu sse avx2 fma\n");
        assertThat(Int8Support.read(vnni).fast(), is(true));
        assertThat(Int8Support.read(vnni).reason(), containsString("AMD EPYC) has avx512_vnni"));
        assertThat(Int8Support.read(avx2).fast(), is(false));
        assertThat(Int8Support.read(tmp.resolve("missing")).fast(), is(false));
    }
}
