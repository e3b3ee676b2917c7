package dev.kodiak.bench;

import dev.kodiak.server.KodiakServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * HTTP POSTs of a 640x480 JPEG to an in-process server on loopback, by 1, 4 or 16 concurrent
 * clients, with micro-batching on and off, for a large model (ResNet-18, where a forward pass is
 * 30 ms and batching saves nothing on a CPU) and a small one (Fashion-MNIST, where the forward
 * pass is cheap and batching is most of the win). Each invocation sends 16 requests; the figure is the
 * time per request (the inverse of throughput).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class ServerBench {
    static final int REQUESTS = 16;

    @Param({"resnet18", "fashion-mnist"})
    public String model;

    @Param({"1", "4", "16"})
    public int clients;

    @Param({"true", "false"})
    public boolean batching;

    private KodiakServer server;
    private ExecutorService pool;
    private ExecutorService httpPool;
    private HttpClient http;
    private HttpRequest request;

    /**
     * Starts the server and waits until the model is warmed up.
     *
     * @throws Exception if the server does not start
     */
    @Setup
    public void start() throws Exception {
        server = BenchServer.start(Map.of("KODIAK_MODELS", model + "=" + Inputs.bundle(model),
                "KODIAK_BATCHING_ENABLED", Boolean.toString(batching)));
        pool = Executors.newFixedThreadPool(clients);
        httpPool = Executors.newFixedThreadPool(clients);
        http = HttpClient.newBuilder().executor(httpPool).build();
        request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                        + "/api/v1/classify"))
                .header("Content-Type", "image/jpeg")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Inputs.image("photo-640x480.jpg")))
                .build();
    }

    /** Stops the clients and the server. */
    @TearDown
    public void stop() {
        pool.shutdownNow();
        http.close();
        httpPool.shutdownNow();
        server.stop();
    }

    /**
     * Sends 16 requests from {@code clients} concurrent clients.
     *
     * @return the last status (200)
     * @throws Exception if a request fails
     */
    @Benchmark
    @OperationsPerInvocation(REQUESTS)
    public int measureRequests() throws Exception {
        List<Future<Integer>> futures = new ArrayList<>(clients);
        int perClient = REQUESTS / clients;
        for (int c = 0; c < clients; c++) {
            futures.add(pool.submit(() -> {
                int status = 0;
                for (int i = 0; i < perClient; i++) {
                    status = http.send(request, HttpResponse.BodyHandlers.discarding())
                            .statusCode();
                    if (status != 200) {
                        throw new IllegalStateException("HTTP " + status);
                    }
                }
                return status;
            }));
        }
        int last = 0;
        for (Future<Integer> f : futures) {
            last = f.get();
        }
        return last;
    }
}
