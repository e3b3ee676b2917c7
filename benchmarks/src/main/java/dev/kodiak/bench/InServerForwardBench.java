package dev.kodiak.bench;

import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.ModelFormat;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.infer.InferenceEngine;
import dev.kodiak.core.infer.InferenceModel;
import dev.kodiak.core.infer.OnnxModel;
import dev.kodiak.core.infer.Threads;
import dev.kodiak.core.infer.TorchModel;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Preprocessor;
import dev.kodiak.server.KodiakServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * What a forward pass costs inside the server against the same forward pass standalone, in the
 * same invocations: each call sends one request (a 224-px JPEG, one client, the server's default
 * configuration) and reads the forward pass's time from the answer ({@code timings_ms.inference}),
 * then runs one forward pass of the same model loaded on its own with the same threads. Paired,
 * like {@link OverheadBench}, so the host's drift cancels in the ratio.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 4)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class InServerForwardBench {
    private static final Pattern INFERENCE = Pattern.compile("\"inference\":([0-9.Ee+-]+)");

    @Param({"onnxruntime", "pytorch"})
    public String engine;

    private KodiakServer server;
    private HttpClient http;
    private HttpRequest request;
    private InferenceModel standalone;
    private float[] tensor;
    private int[] shape;

    /** Nanoseconds spent per part, summed over an iteration (JMH reports them as events). */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Nanos {
        /** The forward pass inside the server, as its answer reports it. */
        public long inServer;
        /** The same forward pass, standalone. */
        public long standalone;

        /** Resets the sums for the next iteration. */
        @Setup(Level.Iteration)
        public void reset() {
            inServer = 0;
            standalone = 0;
        }
    }

    /**
     * Starts the server with ResNet-18 and loads the same model on its own.
     *
     * @throws Exception if either fails
     */
    @Setup
    public void start() throws Exception {
        Path bundle = Inputs.bundle("resnet18");
        server = BenchServer.start(Map.of("KODIAK_MODELS", "resnet18=" + bundle,
                "KODIAK_ENGINE", engine));
        http = HttpClient.newHttpClient();
        byte[] jpeg = Inputs.image("photo-224x224.jpg");
        request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/api/v1/classify")).header("Content-Type", "image/jpeg")
                .POST(HttpRequest.BodyPublishers.ofByteArray(jpeg)).build();
        Threads threads = new Threads(Engine.THREADS, 1);
        try (Bundle b = Bundle.open(bundle)) {
            InputSpec spec = b.manifest().input();
            shape = new int[] {spec.color().channels(), spec.height(), spec.width()};
            tensor = new Preprocessor(spec).apply(new ImageDecoder().decode(jpeg, spec.color()));
            standalone = InferenceEngine.parse(engine) == InferenceEngine.ONNXRUNTIME
                    ? OnnxModel.load(b.modelFile(ModelFormat.ONNX).orElseThrow(), threads)
                    : TorchModel.load(b.modelFile(ModelFormat.TORCHSCRIPT).orElseThrow(),
                            threads);
        }
    }

    /** Stops both. */
    @TearDown
    public void stop() {
        server.stop();
        http.close();
        standalone.close();
    }

    /**
     * One request, then one standalone forward pass.
     *
     * @param nanos the per-part sums
     * @return the standalone scores
     * @throws Exception if the request fails
     */
    @Benchmark
    public float[][] measureInServerThenStandalone(Nanos nanos) throws Exception {
        HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
        Matcher m = INFERENCE.matcher(answer.body());
        if (answer.statusCode() != 200 || !m.find()) {
            throw new IllegalStateException("the server answered " + answer.statusCode() + ": "
                    + answer.body());
        }
        nanos.inServer += (long) (Double.parseDouble(m.group(1)) * 1e6);
        long t = System.nanoTime();
        float[][] scores = standalone.forward(tensor, 1, shape);
        nanos.standalone += System.nanoTime() - t;
        return scores;
    }
}
