package dev.kodiak.bench;

import dev.kodiak.core.Classification;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.ClassifierConfig;
import dev.kodiak.core.PreparedImage;
import java.util.Collections;
import java.util.List;
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
 * Bytes to top-k through {@link Classifier}: decode, PIL-exact preprocessing, forward, softmax
 * and ranking. Divided by {@link ForwardBench} it is Kodiak's own overhead.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class ClassifierBench {
    @Param({"resnet18", "efficientnet-b2"})
    public String model;

    @Param({"photo-224x224.jpg", "photo-640x480.jpg", "photo-4000x3000.jpg"})
    public String image;

    private Classifier classifier;
    private byte[] bytes;
    private List<byte[]> eight;

    /**
     * Opens the model.
     *
     * @throws Exception if the bundle cannot be opened
     */
    @Setup
    public void open() throws Exception {
        classifier = Classifier.open(ClassifierConfig.builder(Inputs.bundle(model))
                .intraOpThreads(Engine.THREADS).interOpThreads(1).build());
        bytes = Inputs.image(image);
        eight = Collections.nCopies(8, bytes);
    }

    /** Releases the model. */
    @TearDown
    public void close() {
        classifier.close();
    }

    /**
     * One image, end to end.
     *
     * @return the answer
     * @throws Exception if classification fails
     */
    @Benchmark
    public Classification measureSingle() throws Exception {
        return classifier.classify(bytes);
    }

    /**
     * Eight images, one forward pass; divide by 8 for per-image cost.
     *
     * @return the answers
     * @throws Exception if classification fails
     */
    @Benchmark
    public List<Classification> measureBatchOf8() throws Exception {
        return classifier.classify(eight);
    }

    /**
     * Decode and preprocess only: the CPU work Kodiak adds before the forward pass.
     *
     * @return the tensor
     * @throws Exception if the image cannot be decoded
     */
    @Benchmark
    public PreparedImage measureDecodeAndPreprocess() throws Exception {
        return classifier.stages().prepare(bytes);
    }
}
