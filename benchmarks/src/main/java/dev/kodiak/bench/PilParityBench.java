package dev.kodiak.bench;

import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Interpolation;
import dev.kodiak.core.preprocess.Preprocessor;
import dev.kodiak.core.preprocess.ResizeMethod;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
 * Decode + preprocess of a 12 MP JPEG (upright, and with EXIF orientation 6) by Kodiak and by
 * PIL + torchvision <em>in the same invocations</em>: each call times Kodiak's
 * {@code ImageDecoder.decode} + {@code Preprocessor.apply} on the photo's bytes, then asks a
 * Python process ({@code tools/time_pil_preprocess.py --serve}, Debian's python3) to run
 * {@code export_bundle.preprocess} on the same file and report the nanoseconds it took. The two
 * sums give the ratio the decoding work is judged by (target: at most 1), for each JPEG decoder.
 * The spec is ResNet-18's: 224x224 centre crop of the 256-pixel shorter side, bilinear. Python
 * runs with {@link #PIL_AT_ITS_BEST}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 3)
@Measurement(iterations = 5, time = 4)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class PilParityBench {
    /** The spec Kodiak and Python both apply (ResNet-18's, as tools/time_pil_preprocess.py). */
    static final InputSpec SPEC = InputSpec.builder(224, 224).resize(ResizeMethod.CROP)
            .resizeShorter(256).interpolation(Interpolation.BILINEAR)
            .mean(0.485f, 0.456f, 0.406f).std(0.229f, 0.224f, 0.225f).build();

    /**
     * glibc settings that let PIL reuse the memory of its 16 MB image blocks instead of mapping
     * fresh pages for every image: with glibc's defaults PIL flips between that and twice as
     * slow (page faults), from one run to the next. Kodiak is compared with PIL at its best.
     */
    static final Map<String, String> PIL_AT_ITS_BEST = Map.of(
            "MALLOC_MMAP_THRESHOLD_", String.valueOf(32 << 20),
            "MALLOC_TRIM_THRESHOLD_", String.valueOf(4L << 30));

    @Param({"turbojpeg", "java"})
    public String decoder;

    @Param({"photo-4000x3000.jpg", "photo-4000x3000-exif6.jpg"})
    public String image;

    private byte[] bytes;
    private Path file;
    private ImageDecoder imageDecoder;
    private Preprocessor preprocessor;
    private Process python;
    private Writer toPython;
    private BufferedReader fromPython;

    /** Nanoseconds per side, summed over an iteration (JMH reports them as events). */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Nanos {
        /** Kodiak: bytes to tensor. */
        public long kodiak;
        /** PIL + torchvision: file to tensor, as measured inside Python. */
        public long pil;
        /** Pairs timed: divide a sum by it for nanoseconds per image. */
        public long calls;

        /** Resets the sums for the next iteration. */
        @Setup(Level.Iteration)
        public void reset() {
            kodiak = 0;
            pil = 0;
            calls = 0;
        }
    }

    /**
     * Loads the photo, makes the decoder asked for, and starts Python.
     *
     * @throws Exception if the photo, the decoder or Python is not there
     */
    @Setup
    public void start() throws Exception {
        bytes = Inputs.image(image);
        file = Inputs.root().resolve("benchmarks/images").resolve(image);
        String before = System.getProperty("kodiak.jpeg.decoder");
        System.setProperty("kodiak.jpeg.decoder", decoder);
        try {
            imageDecoder = new ImageDecoder();
        } finally {
            if (before == null) {
                System.clearProperty("kodiak.jpeg.decoder");
            } else {
                System.setProperty("kodiak.jpeg.decoder", before);
            }
        }
        preprocessor = new Preprocessor(SPEC);
        Path script = Inputs.root().resolve("tools/time_pil_preprocess.py");
        ProcessBuilder builder = new ProcessBuilder(List.of("/usr/bin/python3",
                script.toString(), "--serve")).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putAll(PIL_AT_ITS_BEST);
        python = builder.start();
        toPython = new OutputStreamWriter(python.getOutputStream(), StandardCharsets.UTF_8);
        fromPython = new BufferedReader(new InputStreamReader(python.getInputStream(),
                StandardCharsets.UTF_8));
        pil(); // imports and first call outside the measurement
    }

    /**
     * Stops Python.
     *
     * @throws Exception if it does not stop
     */
    @TearDown
    public void stop() throws Exception {
        toPython.close();
        if (!python.waitFor(10, TimeUnit.SECONDS)) {
            python.destroyForcibly();
        }
    }

    /** One preprocess in Python; its own measurement, in nanoseconds. */
    private long pil() throws IOException {
        toPython.write(file + "\n");
        toPython.flush();
        String answer = fromPython.readLine();
        if (answer == null || answer.startsWith("error")) {
            throw new IllegalStateException("tools/time_pil_preprocess.py failed on " + file
                    + ": " + answer + " (needs Debian's python3-torch and python3-torchvision)");
        }
        return Long.parseLong(answer.trim());
    }

    /**
     * Kodiak's decode and preprocess, then PIL's, on the same photo.
     *
     * @param nanos the per-side sums
     * @return Kodiak's tensor
     * @throws Exception if either side fails
     */
    @Benchmark
    public float[] measureKodiakThenPil(Nanos nanos) throws Exception {
        long a = System.nanoTime();
        float[] tensor = preprocessor.apply(imageDecoder.decode(bytes, ColorMode.RGB));
        long b = System.nanoTime();
        nanos.kodiak += b - a;
        nanos.pil += pil();
        nanos.calls++;
        return tensor;
    }
}
