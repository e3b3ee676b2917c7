package dev.kodiak.bench;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.ClassifierConfig;
import dev.kodiak.core.PreparedImage;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Kodiak's overhead measured against the forward pass <em>in the same invocations</em>: each
 * call times a piece of Kodiak's work and then a raw forward pass of ResNet-18, alternately, and
 * counts both. Their ratio cancels the host's drift (a shared machine slows down and speeds up
 * over seconds), which separate forks of {@link ClassifierBench} and {@link ForwardBench} do
 * not. These are the ratios {@link Guard} enforces. The long warm-up lets the JIT finish with
 * the decoder and resampler, whose first few hundred calls are several times slower.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 8, time = 2)
@Measurement(iterations = 5, time = 4)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class OverheadBench {
    private Classifier classifier;
    private byte[] jpeg224;
    private byte[] jpeg12mp;
    private List<PreparedImage> ready;

    /** Nanoseconds spent per part, summed over an iteration (JMH reports them as events). */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Nanos {
        /** Core end to end: bytes to top-k. */
        public long endToEnd;
        /** Decode and preprocess only. */
        public long prepare;
        /** A raw forward pass of a ready tensor. */
        public long forward;

        /** Resets the sums for the next iteration. */
        @Setup(Level.Iteration)
        public void reset() {
            endToEnd = 0;
            prepare = 0;
            forward = 0;
        }
    }

    /**
     * Opens ResNet-18 and prepares a tensor for the raw passes.
     *
     * @throws Exception if the bundle cannot be opened
     */
    @Setup
    public void open() throws Exception {
        classifier = Classifier.open(ClassifierConfig.builder(Inputs.bundle("resnet18"))
                .intraOpThreads(Engine.THREADS).interOpThreads(1).build());
        jpeg224 = Inputs.image("photo-224x224.jpg");
        jpeg12mp = Inputs.image("photo-4000x3000.jpg");
        ready = List.of(classifier.stages().prepare(jpeg224));
    }

    /** Releases the model. */
    @TearDown
    public void close() {
        classifier.close();
    }

    /**
     * One 224-px JPEG end to end, then one raw forward pass.
     *
     * @param nanos the per-part sums
     * @return the forward's scores
     * @throws Exception if classification fails
     */
    @Benchmark
    public float[][] measureEndToEndThenForward(Nanos nanos) throws Exception {
        long a = System.nanoTime();
        classifier.classify(jpeg224);
        long b = System.nanoTime();
        float[][] scores = classifier.stages().scores(ready);
        long c = System.nanoTime();
        nanos.endToEnd += b - a;
        nanos.forward += c - b;
        return scores;
    }

    /**
     * Decode and preprocess of a 4000x3000 JPEG, then one raw forward pass.
     *
     * @param nanos the per-part sums
     * @return the forward's scores
     * @throws Exception if the image cannot be decoded
     */
    @Benchmark
    public float[][] measurePrepare12mpThenForward(Nanos nanos) throws Exception {
        long a = System.nanoTime();
        classifier.stages().prepare(jpeg12mp);
        long b = System.nanoTime();
        float[][] scores = classifier.stages().scores(ready);
        long c = System.nanoTime();
        nanos.prepare += b - a;
        nanos.forward += c - b;
        return scores;
    }
}
