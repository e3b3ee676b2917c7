package dev.kodiak.bench;

import dev.kodiak.core.decode.DecodeException;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
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

/** Bytes to RGB pixels, PIL-exact, for the formats users upload. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class DecodeBench {
    @Param({"photo-640x480.jpg", "photo-4000x3000.jpg", "photo-640x480.png",
        "photo-640x480.webp"})
    public String image;

    private byte[] bytes;
    private final ImageDecoder decoder = new ImageDecoder();

    /** Loads the photo. */
    @Setup
    public void load() {
        bytes = Inputs.image(image);
    }

    /**
     * Decodes with EXIF orientation and PIL's colour rules.
     *
     * @return the pixels
     * @throws DecodeException never for these photos
     */
    @Benchmark
    public Pixels measureDecode() throws DecodeException {
        return decoder.decode(bytes, ColorMode.RGB);
    }

    /**
     * Copies the bytes: the floor of touching the input once.
     *
     * @return the copy
     */
    @Benchmark
    public byte[] baseline() {
        return bytes.clone();
    }
}
