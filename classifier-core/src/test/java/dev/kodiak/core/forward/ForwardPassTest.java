package dev.kodiak.core.forward;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.ClassifierConfig;
import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.bundle.ModelCheck;
import dev.kodiak.core.infer.InferenceEngine;
import dev.kodiak.core.infer.OnnxModel;
import dev.kodiak.core.infer.Threads;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.api.Test;

/**
 * Kodiak's own forward pass against ONNX Runtime: the same scores for every bundle of the
 * golden fixtures on every decodable fixture image, the probe's verdict, and the refusals.
 */
class ForwardPassTest {
    static final List<String> BUNDLES = Fixtures.BUNDLES;

    private static byte[] onnx(Path bundle) throws Exception {
        return Files.readAllBytes(bundle.resolve("model.onnx"));
    }

    private static int[] shape(InputSpec spec) {
        return new int[] {spec.color().channels(), spec.height(), spec.width()};
    }

    @ParameterizedTest
    @FieldSource("BUNDLES")
    void scoresAreOnnxRuntimesOnEveryFixtureImage(String name) throws Exception {
        Path bundle = Fixtures.bundle(name);
        ForwardPass pass = ForwardPass.read(onnx(bundle), "model.onnx");
        try (Classifier ort = Classifier.open(ClassifierConfig.builder(bundle)
                .engine(InferenceEngine.ONNXRUNTIME).build())) {
            InputSpec spec = ort.manifest().input();
            List<float[]> tensors = new ArrayList<>();
            for (Fixtures.Image image : Fixtures.decodable()) {
                tensors.add(ort.stages().preprocessor().apply(
                        ort.stages().decoder().decode(image.bytes(), spec.color())));
            }
            int size = spec.tensorSize();
            float[] batch = new float[tensors.size() * size];
            for (int i = 0; i < tensors.size(); i++) {
                System.arraycopy(tensors.get(i), 0, batch, i * size, size);
            }
            float[] own = pass.forward(batch, tensors.size(), shape(spec));
            int classes = own.length / tensors.size();
            assertThat(classes, is(ort.manifest().labels().size()));
            double largest = 0;
            for (int i = 0; i < tensors.size(); i++) {
                float[] theirs = ort.stages().scores(
                        List.of(ort.stages().prepareTensor(tensors.get(i))))[0];
                float[] mine = new float[classes];
                System.arraycopy(own, i * classes, mine, 0, classes);
                float[] p = softmax(mine);
                float[] q = softmax(theirs);
                for (int k = 0; k < classes; k++) {
                    String where = name + ", image " + Fixtures.decodable().get(i).name()
                            + ", score " + k;
                    assertThat(where, (double) Math.abs(mine[k] - theirs[k]),
                            lessThan(1e-5 * Math.max(1, Math.abs(theirs[k]))));
                    assertThat(where + " (probability)", (double) Math.abs(p[k] - q[k]),
                            lessThan(1e-5));
                    largest = Math.max(largest, Math.abs(p[k] - q[k]));
                }
            }
            System.out.println(name + ": " + tensors.size() + " images, largest probability "
                    + "difference from ONNX Runtime " + largest);
        }
    }

    @ParameterizedTest
    @FieldSource("BUNDLES")
    void probeCheckPasses(String name) throws Exception {
        Path bundle = Fixtures.bundle(name);
        try (Classifier ort = Classifier.open(bundle)) {
            Manifest manifest = ort.manifest();
            ModelCheck check = new ModelCheck(manifest, ort.stages().preprocessor());
            ForwardPass pass = ForwardPass.read(onnx(bundle), "model.onnx");
            float[] scores = pass.forward(check.input(), check.batchSize(),
                    shape(manifest.input()));
            ModelCheck.Verdict verdict = check.judge("kodiak", "model.onnx", scores);
            assertTrue(verdict.ok(), verdict.message());
            assertThat(verdict.message(), startsWith("kodiak matches the probe of " + name));
        }
    }

    /**
     * An int8 model in QDQ form ({@code tools/make_forward_fixtures.py}: the default model through
     * PyTorch's eager quantization, opset 13): QuantizeLinear, DequantizeLinear and the shape
     * operators the export adds. This runtime computes each QDQ pair in float as ONNX defines
     * it; ONNX Runtime may fuse them into integer kernels, and still the scores agree to float
     * rounding (measured: identical on every fixture image).
     */
    @Test
    void anInt8QdqModelAnswersAsOnnxRuntime() throws Exception {
        Path file = Fixtures.testdata().resolve("forward/fashion-mnist-qdq.onnx");
        ForwardPass pass = ForwardPass.read(Files.readAllBytes(file), file.getFileName()
                .toString());
        assertThat(pass.operators().contains("QuantizeLinear"), is(true));
        assertThat(pass.operators().contains("DequantizeLinear"), is(true));
        try (Classifier c = Classifier.open(Fixtures.defaultBundle());
                OnnxModel ort = OnnxModel.load(file, Threads.defaults())) {
            InputSpec spec = c.manifest().input();
            double largest = 0;
            int images = 0;
            for (Fixtures.Image image : Fixtures.decodable()) {
                float[] tensor = c.stages().preprocessor().apply(
                        c.stages().decoder().decode(image.bytes(), spec.color()));
                float[] theirs = ort.forward(tensor, 1, shape(spec))[0];
                float[] mine = pass.forward(tensor, 1, shape(spec));
                assertThat(image.name() + ": top-1", argmax(mine), is(argmax(theirs)));
                float[] p = softmax(mine);
                float[] q = softmax(theirs);
                for (int k = 0; k < mine.length; k++) {
                    largest = Math.max(largest, Math.abs(p[k] - q[k]));
                }
                images++;
            }
            System.out.println("fashion-mnist-qdq: " + images + " images, largest probability "
                    + "difference from ONNX Runtime " + largest);
            assertThat(largest, lessThan(1e-5));
        }
    }

    /**
     * The operators and attributes the bundles do not use, in one random network
     * ({@code tools/make_forward_fixtures.py}: unfused BatchNormalization, grouped, dilated and
     * strided Conv, ceil-mode pools with pads, Concat, MatMul, Transpose, the shape operators
     * of a view, Softmax and LogSoftmax, and more), against ONNX Runtime on a batch of four.
     */
    @Test
    void everyOtherOperatorComputesWhatOnnxRuntimeComputes() throws Exception {
        Path file = Fixtures.testdata().resolve("forward/operators.onnx");
        ForwardPass pass = ForwardPass.read(Files.readAllBytes(file), "operators.onnx");
        for (String op : List.of("BatchNormalization", "LeakyRelu", "Sigmoid", "Tanh",
                "Concat", "AveragePool", "MaxPool", "Clip", "Sub", "Div", "Mul", "Transpose",
                "MatMul", "Shape", "Gather", "Unsqueeze", "Reshape", "Softmax", "LogSoftmax")) {
            assertThat(op, pass.operators().contains(op), is(true));
        }
        int[] shape = {3, 16, 16};
        int n = 4;
        float[] batch = new float[n * 3 * 16 * 16];
        java.util.Random random = new java.util.Random(20261203);
        for (int i = 0; i < batch.length; i++) {
            batch[i] = (float) random.nextGaussian();
        }
        try (OnnxModel ort = OnnxModel.load(file, Threads.defaults())) {
            float[][] theirs = ort.forward(batch, n, shape);
            float[] mine = pass.forward(batch, n, shape);
            int classes = theirs[0].length;
            assertThat(mine.length, is(n * classes));
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < classes; k++) {
                    float expected = theirs[i][k];
                    assertThat("image " + i + ", score " + k,
                            (double) Math.abs(mine[i * classes + k] - expected),
                            lessThan(1e-5 * Math.max(1, Math.abs(expected))));
                }
            }
        }
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            best = x[i] > x[best] ? i : best;
        }
        return best;
    }

    @Test
    void anUnsupportedOperatorIsNamed() throws Exception {
        ForwardException e = assertThrows(ForwardException.class,
                () -> ForwardPass.read(onnx(Fixtures.bundle("tiny-nan")), "model.onnx"));
        assertThat(e.problem(), is(ForwardException.Problem.UNSUPPORTED));
        assertThat(e.getMessage(), is("This runtime cannot run model model.onnx: operators "
                + "ReduceMean, Sqrt; run it with ONNX Runtime (the widget does so on its own)"));
    }

    @Test
    void anUnsupportedAttributeIsNamed() throws Exception {
        byte[] model = onnx(Fixtures.defaultBundle());
        // rename Flatten's attribute "axis" to "axes", which Flatten does not have
        byte[] edited = replaceOnce(model, "Flatten", "axis", "axes");
        ForwardException e = assertThrows(ForwardException.class,
                () -> ForwardPass.read(edited, "model.onnx"));
        assertThat(e.problem(), is(ForwardException.Problem.UNSUPPORTED));
        assertThat(e.getMessage(), containsString("cannot run model model.onnx: operator "
                + "Flatten"));
        assertThat(e.getMessage(), containsString("with attribute 'axes'"));
    }

    @Test
    void notOnnxIsMalformed() {
        byte[] junk = "<html>not found</html>".getBytes();
        ForwardException e = assertThrows(ForwardException.class,
                () -> ForwardPass.read(junk, "model.onnx"));
        assertThat(e.problem(), is(ForwardException.Problem.MALFORMED));
        assertThat(e.getMessage(), startsWith("This runtime cannot run model model.onnx: "));
    }

    @Test
    void aTruncatedFileIsMalformed() throws Exception {
        byte[] model = onnx(Fixtures.defaultBundle());
        byte[] cut = java.util.Arrays.copyOf(model, model.length / 2);
        ForwardException e = assertThrows(ForwardException.class,
                () -> ForwardPass.read(cut, "model.onnx"));
        assertThat(e.problem(), is(ForwardException.Problem.MALFORMED));
    }

    /**
     * Damaged files (bytes changed at random places of a real model) are refused with a
     * {@link ForwardException} or run; nothing else escapes, and nothing allocates what the
     * file cannot hold.
     */
    @Test
    void damagedFilesAreRefusedInWords() throws Exception {
        byte[] model = onnx(Fixtures.bundle("tiny-rgb"));
        java.util.Random random = new java.util.Random(20261203);
        int refused = 0;
        for (int i = 0; i < 2000; i++) {
            byte[] damaged = model.clone();
            for (int k = 0; k < 1 + i % 4; k++) {
                damaged[random.nextInt(damaged.length)] = (byte) random.nextInt(256);
            }
            try {
                ForwardPass pass = ForwardPass.read(damaged, "model.onnx");
                pass.forward(new float[3 * 32 * 32], 1, new int[] {3, 32, 32});
            } catch (ForwardException e) {
                assertThat(e.getMessage(), startsWith(e.problem()
                        == ForwardException.Problem.INPUT ? "Model model.onnx" : "This runtime "
                        + "cannot run model model.onnx: "));
                refused++;
            }
        }
        assertThat("some damage must be noticed", refused > 100, is(true));
    }

    @Test
    void anInputOfAnotherSizeIsRefused() throws Exception {
        ForwardPass pass = ForwardPass.read(onnx(Fixtures.defaultBundle()), "model.onnx");
        ForwardException e = assertThrows(ForwardException.class,
                () -> pass.forward(new float[3 * 32 * 32], 1, new int[] {3, 32, 32}));
        assertThat(e.problem(), is(ForwardException.Problem.INPUT));
        assertThat(e.getMessage(), containsString("takes input [-1, 1, 28, 28], not "
                + "[1, 3, 32, 32]"));
    }

    /** The bytes with the first {@code from} after the op type {@code after} replaced. */
    private static byte[] replaceOnce(byte[] data, String after, String from, String to) {
        return replaceAfter(data, after.getBytes(), from.getBytes(), to.getBytes());
    }

    private static byte[] replaceAfter(byte[] data, byte[] marker, byte[] from, byte[] to) {
        int start = indexOf(data, marker, 0);
        int at = indexOf(data, from, start);
        byte[] out = data.clone();
        System.arraycopy(to, 0, out, at, to.length);
        return out;
    }

    private static int indexOf(byte[] data, byte[] what, int from) {
        for (int i = from; i + what.length <= data.length; i++) {
            boolean same = true;
            for (int k = 0; k < what.length && same; k++) {
                same = data[i + k] == what[k];
            }
            if (same) {
                return i;
            }
        }
        throw new AssertionError("not found: " + new String(what));
    }

    private static float[] softmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : x) {
            sum += Math.exp(v - max);
        }
        float[] p = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            p[i] = (float) (Math.exp(x[i] - max) / sum);
        }
        return p;
    }
}
