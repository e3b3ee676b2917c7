package dev.kodiak.bench;

import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.ModelFormat;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.infer.InferenceEngine;
import dev.kodiak.core.infer.InferenceModel;
import dev.kodiak.core.infer.OnnxModel;
import dev.kodiak.core.infer.TorchModel;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Preprocessor;
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
 * A ready input tensor through each engine (ONNX Runtime, libtorch): the floor for this machine,
 * which every other figure is divided by, and the two engines side by side.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class ForwardBench {
    @Param({"resnet18", "efficientnet-b2", "fashion-mnist"})
    public String model;

    @Param({"1", "8"})
    public int batch;

    @Param({"onnxruntime", "pytorch"})
    public String engine;

    private InferenceModel loaded;
    private float[] input;
    private int[] shape;

    /**
     * Loads the model and the tensor of a real 224-px photo.
     *
     * @throws Exception if the bundle cannot be loaded
     */
    @Setup
    public void load() throws Exception {
        float[] one;
        try (Bundle bundle = Bundle.open(Inputs.bundle(model))) {
            InputSpec spec = bundle.manifest().input();
            shape = new int[] {spec.color().channels(), spec.height(), spec.width()};
            loaded = InferenceEngine.parse(engine) == InferenceEngine.ONNXRUNTIME
                    ? OnnxModel.load(bundle.modelFile(ModelFormat.ONNX).orElseThrow(),
                            Engine.SETTINGS)
                    : TorchModel.load(bundle.modelFile(ModelFormat.TORCHSCRIPT).orElseThrow(),
                            Engine.SETTINGS);
            // a real photo's tensor (random values can hit slow denormal paths), once per slot
            one = new Preprocessor(spec).apply(new ImageDecoder().decode(
                    Inputs.image("photo-224x224.jpg"), spec.color()));
        }
        input = new float[batch * one.length];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(one, 0, input, i * one.length, one.length);
        }
    }

    /** Releases the model. */
    @TearDown
    public void close() {
        loaded.close();
    }

    /**
     * One forward pass.
     *
     * @return the scores
     * @throws Exception if the model fails
     */
    @Benchmark
    public float[][] measureForward() throws Exception {
        return loaded.forward(input, batch, shape);
    }
}
