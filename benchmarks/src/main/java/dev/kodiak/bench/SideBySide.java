package dev.kodiak.bench;

import dev.kodiak.server.KodiakServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Kodiak's server next to the endpoint people write today (tools/python_endpoint.py: PIL, the
 * same TorchScript ResNet-18, Python's threading HTTP server), both on loopback, both given the
 * same JSON base64 requests of seed story 002 at {@code /predict}, by 1 and 16 concurrent
 * clients. Writes throughput and p50/p99 latency for both, and their ratios, to
 * {@code benchmarks/results/side-by-side.md}. The servers take turns in {@link #ROUNDS} rounds
 * so that the host's drift (large on shared machines) falls on all of them alike. Bounded: a
 * fixed number of requests per round and at most two minutes each. Run it with
 * {@code ./kodiak bench-python}.
 */
public final class SideBySide {
    static final int[] CONCURRENCY = {1, 16};

    /** The Kodiak configurations compared, by the name their rows carry. */
    private static final Map<String, Map<String, String>> KODIAK = new LinkedHashMap<>();

    static {
        // the defaults (engine auto: ONNX Runtime), then the alternatives they were chosen from
        KODIAK.put("defaults", Map.of());
        KODIAK.put("libtorch", Map.of("KODIAK_ENGINE", "pytorch"));
        // the bundle's model.int8.onnx (issue 22), with the defaults and with the best fp32 row's
        KODIAK.put("int8", Map.of("KODIAK_PRECISION", "int8"));
        KODIAK.put("int8, 2 workers x 1 thread, batches of 1", Map.of("KODIAK_PRECISION",
                "int8", "KODIAK_BATCHING_WORKERS", "2", "KODIAK_THREADS_INTRA_OP", "1",
                "KODIAK_BATCHING_MAX_BATCH_SIZE", "1"));
        KODIAK.put("1 worker x 2 threads, batches of 1", Map.of("KODIAK_BATCHING_WORKERS", "1",
                "KODIAK_THREADS_INTRA_OP", "2", "KODIAK_BATCHING_MAX_BATCH_SIZE", "1"));
        KODIAK.put("2 workers x 1 thread, batches of 1", Map.of("KODIAK_BATCHING_WORKERS", "2",
                "KODIAK_THREADS_INTRA_OP", "1", "KODIAK_BATCHING_MAX_BATCH_SIZE", "1"));
        KODIAK.put("2 workers x 2 threads, batches up to 16", Map.of(
                "KODIAK_BATCHING_WORKERS", "2", "KODIAK_THREADS_INTRA_OP", "2",
                "KODIAK_BATCHING_MAX_BATCH_SIZE", "16"));
        KODIAK.put("2 workers x 2 threads, batches of 1", Map.of(
                "KODIAK_BATCHING_WORKERS", "2", "KODIAK_THREADS_INTRA_OP", "2",
                "KODIAK_BATCHING_MAX_BATCH_SIZE", "1"));
    }

    static final Duration CASE_LIMIT = Duration.ofMinutes(2);
    static final int ROUNDS = 3;
    /** Requests each server answers before any is measured. */
    static final int WARM_UP = 200;

    private SideBySide() {
    }

    /**
     * Runs the comparison.
     *
     * @param args ignored
     * @throws Exception if a server does not start
     */
    public static void main(String[] args) throws Exception {
        Path bundle = Inputs.bundle("resnet18");
        List<byte[]> bodies = new ArrayList<>();
        for (String image : List.of("photo-640x480.jpg", "photo-224x224.jpg")) {
            bodies.add(("{\"image\": \"" + Base64.getEncoder().encodeToString(
                    Inputs.image(image)) + "\"}").getBytes(StandardCharsets.UTF_8));
        }
        int pythonPort = freePort();
        Process python = new ProcessBuilder("/usr/bin/python3",
                Inputs.root().resolve("tools/python_endpoint.py").toString(),
                "--bundle", bundle.toString(), "--port", Integer.toString(pythonPort),
                "--threads", Integer.toString(Engine.THREADS))
                .redirectErrorStream(true).start();
        List<KodiakServer> kodiakServers = new ArrayList<>();
        try {
            String line = new BufferedReader(new InputStreamReader(python.getInputStream(),
                    StandardCharsets.UTF_8)).readLine();
            if (line == null || !line.startsWith("ready")) {
                throw new IllegalStateException("the Python endpoint did not start: " + line);
            }
            URI pythonUri = URI.create("http://127.0.0.1:" + pythonPort + "/predict");
            Map<String, URI> servers = new LinkedHashMap<>();
            servers.put("Python endpoint", pythonUri);
            for (Map.Entry<String, Map<String, String>> config : KODIAK.entrySet()) {
                servers.put("Kodiak, " + config.getKey(),
                        start(kodiakServers, bundle, config.getValue()));
            }
            List<String> rows = new ArrayList<>();
            try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                    .build()) {
                // steady state is compared: each server first answers WARM_UP requests alike
                // (the JVM's JIT needs them; the Python endpoint gets the same count)
                for (URI server : servers.values()) {
                    for (int i = 0; i < WARM_UP; i++) {
                        send(http, server, bodies.get(i % bodies.size()));
                    }
                }
                for (int clients : CONCURRENCY) {
                    int perRound = clients == 1 ? 40 : 160;
                    Map<String, Tally> tallies = new LinkedHashMap<>();
                    for (Map.Entry<String, URI> server : servers.entrySet()) {
                        tallies.put(server.getKey(), new Tally(clients));
                    }
                    // rounds alternate the servers, so the host's drift falls on all of them
                    for (int round = 0; round < ROUNDS; round++) {
                        for (Map.Entry<String, URI> server : servers.entrySet()) {
                            load(http, server.getValue(), bodies, clients, perRound,
                                    tallies.get(server.getKey()));
                        }
                    }
                    Tally pythonTally = tallies.get("Python endpoint");
                    List<String> ratios = new ArrayList<>();
                    for (Map.Entry<String, Tally> t : tallies.entrySet()) {
                        rows.add(row(t.getKey(), t.getValue()));
                        if (t.getValue() != pythonTally) {
                            ratios.add(ratio(t.getKey().replace("Kodiak, ", "Kodiak ")
                                    + " / Python", clients, t.getValue(), pythonTally));
                        }
                    }
                    rows.addAll(ratios);
                }
            }
            write(rows);
        } finally {
            python.destroy();
            kodiakServers.forEach(KodiakServer::stop);
        }
    }

    private static URI start(List<KodiakServer> servers, Path bundle,
            Map<String, String> settings) throws Exception {
        Map<String, String> env = new HashMap<>(settings);
        env.put("KODIAK_MODELS", "resnet18=" + bundle);
        KodiakServer server = BenchServer.startWithDefaults(env);
        servers.add(server);
        return URI.create("http://127.0.0.1:" + server.port() + "/predict");
    }

    private static String ratio(String name, int clients, Tally a, Tally b) {
        return String.format(Locale.ROOT, "| *%s* | %d | | *%.2f×* | *%.2f×* | *%.2f×* | |",
                name, clients, a.throughput() / b.throughput(), a.percentile(0.50)
                        / b.percentile(0.50), a.percentile(0.99) / b.percentile(0.99));
    }

    private static String row(String who, Tally t) {
        return String.format(Locale.ROOT, "| %s | %d | %d | %.1f req/s | %.1f ms | %.1f ms | %d |",
                who, t.clients, t.latencies.size(), t.throughput(), t.percentile(0.50),
                t.percentile(0.99), t.failures.get());
    }

    /** Sends {@code requests} requests from {@code clients} threads; adds what it saw. */
    private static void load(HttpClient http, URI uri, List<byte[]> bodies, int clients,
            int requests, Tally tally) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        AtomicInteger next = new AtomicInteger();
        long deadline = System.nanoTime() + CASE_LIMIT.toNanos();
        long start = System.nanoTime();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                futures.add(pool.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < requests
                            && System.nanoTime() < deadline; ) {
                        long t = System.nanoTime();
                        if (send(http, uri, bodies.get(i % bodies.size())) != 200) {
                            tally.failures.incrementAndGet();
                        }
                        tally.latencies.add((System.nanoTime() - t) / 1e6);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        tally.seconds += (System.nanoTime() - start) / 1e9;
    }

    private static int send(HttpClient http, URI uri, byte[] body) {
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void write(List<String> rows) throws Exception {
        Path out = Files.createDirectories(Inputs.root().resolve("benchmarks/results"));
        String md = "# Kodiak next to a Python endpoint\n\n"
                + "Generated by `./kodiak bench-python` on " + LocalDate.now() + ". Both serve the "
                + "same TorchScript ResNet-18 (random weights) on loopback and get the same "
                + "requests: seed story 002's `{\"image\": \"<base64>\"}` to `/predict`, "
                + "alternating a 640x480 and a 224x224 JPEG. Python: `tools/python_endpoint.py` "
                + "(PIL preprocessing, torch " + "1.13 from Debian, `http.server`, "
                + Engine.THREADS + " torch threads). Kodiak: the server with its defaults "
                + "(engine auto, which is ONNX Runtime for this bundle, and precision fp32), "
                + "with engine libtorch, with the bundle's int8 model (`model.int8.onnx`, "
                + "`kodiak.precision: int8`; Python runs fp32), and with the thread and batching "
                + "choices the defaults were picked from. Each "
                + "server first answers " + WARM_UP + " requests unmeasured (steady state is "
                + "compared). The servers take turns, " + ROUNDS + " rounds each, and each row pools its "
                + "rounds; the load client shares the machine. "
                + "Throughput: higher is better; latencies: lower is better.\n\n"
                + "Machine: " + Results.machine() + ".\n\n"
                + "| server | clients | requests | throughput | p50 | p99 | failures |\n"
                + "|---|---:|---:|---:|---:|---:|---:|\n"
                + String.join("\n", rows) + "\n";
        Files.writeString(out.resolve("side-by-side.md"), md);
        System.out.println(md);
    }
}
