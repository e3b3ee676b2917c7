package dev.kodiak.bench;

import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.ModelFormat;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.forward.ForwardPass;
import dev.kodiak.core.infer.OnnxModel;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Preprocessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Kodiak's own forward pass ({@link ForwardPass}, plain Java, what the widget runs compiled by
 * TeaVM) against ONNX Runtime's on the same model and tensor, in the same run: the default
 * model (float32) and its int8 QDQ export ({@code testdata/forward/fashion-mnist-qdq.onnx}).
 * The ratio says what a runtime with no natives at all costs on the JVM.
 *
 * <pre>
 * ./kodiak bench --include OwnForwardBench
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class OwnForwardBench {
    @Param({"fashion-mnist", "fashion-mnist-qdq"})
    public String model;

    @Param({"1", "8"})
    public int batch;

    private ForwardPass own;
    private OnnxModel ort;
    private float[] input;
    private int[] shape;

    /**
     * Loads the model into both runtimes and makes the tensor of a real photo (a fixture).
     *
     * @throws Exception if the model cannot be loaded
     */
    @Setup
    public void load() throws Exception {
        Path file;
        float[] one;
        try (Bundle bundle = Bundle.open(Inputs.bundle("fashion-mnist"))) {
            InputSpec spec = bundle.manifest().input();
            shape = new int[] {spec.color().channels(), spec.height(), spec.width()};
            file = model.equals("fashion-mnist")
                    ? bundle.modelFile(ModelFormat.ONNX).orElseThrow()
                    : Inputs.root().resolve("testdata/forward/fashion-mnist-qdq.onnx");
            // a real photo's tensor (random values can hit slow denormal paths)
            one = new Preprocessor(spec).apply(new ImageDecoder().decode(Files.readAllBytes(
                    Inputs.root().resolve("testdata/images/jpeg-baseline.jpg")), spec.color()));
            own = ForwardPass.read(Files.readAllBytes(file), file.getFileName().toString());
            ort = OnnxModel.load(file, Engine.SETTINGS);
        }
        input = new float[batch * one.length];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(one, 0, input, i * one.length, one.length);
        }
    }

    /** Releases ONNX Runtime's session. */
    @TearDown
    public void close() {
        ort.close();
    }

    /**
     * Kodiak's own forward pass.
     *
     * @return the scores
     * @throws Exception if the model fails
     */
    @Benchmark
    public float[] measureOwn() throws Exception {
        return own.forward(input, batch, shape);
    }

    /**
     * ONNX Runtime's forward pass (through DJL), the peer.
     *
     * @return the scores
     * @throws Exception if the model fails
     */
    @Benchmark
    public float[][] measureOnnxRuntime() throws Exception {
        return ort.forward(input, batch, shape);
    }
}
