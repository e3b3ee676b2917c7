package dev.kodiak.bench;

import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Interpolation;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Preprocessor;
import dev.kodiak.core.preprocess.ResizeMethod;
import java.util.Locale;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoded pixels to a 224x224 ImageNet tensor, for each resize method and filter, from a
 * 640x480 photo and a 12 MP one.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class PreprocessBench {
    @Param({"squish", "crop", "pad"})
    public String resize;

    @Param({"nearest", "box", "bilinear", "hamming", "bicubic", "lanczos"})
    public String interpolation;

    @Param({"640x480", "4000x3000"})
    public String size;

    private Pixels pixels;
    private Preprocessor preprocessor;

    /**
     * Decodes the photo once and builds the spec.
     *
     * @throws Exception if the photo cannot be decoded
     */
    @Setup
    public void prepare() throws Exception {
        pixels = new ImageDecoder().decode(Inputs.image("photo-" + size + ".jpg"),
                ColorMode.RGB);
        preprocessor = new Preprocessor(InputSpec.builder(224, 224)
                .resize(ResizeMethod.parse(resize)).resizeShorter(256)
                .interpolation(Interpolation.parse(interpolation.toLowerCase(Locale.ROOT)))
                .mean(0.485f, 0.456f, 0.406f).std(0.229f, 0.224f, 0.225f).build());
    }

    /**
     * Resize (PIL-exact) and tensor.
     *
     * @return the CHW tensor
     */
    @Benchmark
    public float[] measurePreprocess() {
        return preprocessor.apply(pixels);
    }
}
