package dev.kodiak.bench;

import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.ModelFormat;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.infer.InferenceModel;
import dev.kodiak.core.infer.OnnxModel;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Preprocessor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * A bundle's int8 model ({@code model.int8.onnx}) against its fp32 model ({@code model.onnx}),
 * both on ONNX Runtime with the same threads, <em>in the same invocations</em>: each call times
 * an int8 forward pass and then an fp32 one of the same tensor batch, so their ratio cancels the
 * host's drift, as {@link OverheadBench} does. The benchmark models get their int8 files from
 * {@code tools/make_benchmark_models.py} (random weights: only the speed means anything).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class Int8ForwardBench {
    @Param({"resnet18", "efficientnet-b2"})
    public String model;

    @Param({"1", "8"})
    public int batch;

    private InferenceModel fp32;
    private InferenceModel int8;
    private float[] input;
    private int[] shape;

    /** Nanoseconds spent per precision, summed over an iteration (JMH reports them as events). */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Nanos {
        /** The int8 model's forward passes. */
        public long int8;
        /** The fp32 model's forward passes. */
        public long fp32;

        /** Resets the sums for the next iteration. */
        @Setup(Level.Iteration)
        public void reset() {
            int8 = 0;
            fp32 = 0;
        }
    }

    /**
     * Loads both models and the tensor of a real photo.
     *
     * @throws Exception if the bundle cannot be loaded
     */
    @Setup
    public void load() throws Exception {
        float[] one;
        try (Bundle bundle = Bundle.open(Inputs.bundle(model))) {
            InputSpec spec = bundle.manifest().input();
            shape = new int[] {spec.color().channels(), spec.height(), spec.width()};
            fp32 = OnnxModel.load(bundle.modelFile(ModelFormat.ONNX).orElseThrow(),
                    Engine.SETTINGS);
            int8 = OnnxModel.load(bundle.directory().resolve(bundle.manifest().int8()
                    .orElseThrow(() -> new IllegalStateException(model + " has no int8 model; "
                            + "run tools/make_benchmark_models.py")).file()), Engine.SETTINGS);
            one = new Preprocessor(spec).apply(new ImageDecoder().decode(
                    Inputs.image("photo-640x480.jpg"), spec.color()));
        }
        input = new float[batch * one.length];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(one, 0, input, i * one.length, one.length);
        }
    }

    /** Releases the models. */
    @TearDown
    public void close() {
        fp32.close();
        int8.close();
    }

    /**
     * One int8 forward pass, then one fp32 forward pass of the same batch.
     *
     * @param nanos the per-precision sums
     * @return the fp32 scores
     * @throws Exception if a model fails
     */
    @Benchmark
    public float[][] measureInt8ThenFp32(Nanos nanos) throws Exception {
        long a = System.nanoTime();
        int8.forward(input, batch, shape);
        long b = System.nanoTime();
        float[][] scores = fp32.forward(input, batch, shape);
        long c = System.nanoTime();
        nanos.int8 += b - a;
        nanos.fp32 += c - b;
        return scores;
    }
}
