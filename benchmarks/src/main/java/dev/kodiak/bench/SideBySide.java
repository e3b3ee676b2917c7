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
import java.util.Collections;
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
 * {@code benchmarks/results/side-by-side.md}. Bounded: a fixed number of requests per case and
 * at most two minutes each. Run it with {@code ./kodiak bench-python}.
 */
public final class SideBySide {
    static final int[] CONCURRENCY = {1, 16};
    static final Duration CASE_LIMIT = Duration.ofMinutes(2);

    private SideBySide() {
    }

    record Figures(int clients, int requests, double seconds, double p50, double p99,
            int failures) {
        double throughput() {
            return requests / seconds;
        }
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
        List<KodiakServer> servers = new ArrayList<>();
        try {
            String line = new BufferedReader(new InputStreamReader(python.getInputStream(),
                    StandardCharsets.UTF_8)).readLine();
            if (line == null || !line.startsWith("ready")) {
                throw new IllegalStateException("the Python endpoint did not start: " + line);
            }
            URI pythonUri = URI.create("http://127.0.0.1:" + pythonPort + "/predict");
            URI batched = start(servers, bundle, true);
            URI unbatched = start(servers, bundle, false);
            List<String> rows = new ArrayList<>();
            for (int clients : CONCURRENCY) {
                int requests = clients == 1 ? 100 : 320;
                Figures p = load(pythonUri, bodies, clients, requests);
                Figures on = load(batched, bodies, clients, requests);
                Figures off = load(unbatched, bodies, clients, requests);
                rows.add(row("Python endpoint", p));
                rows.add(row("Kodiak, batching on", on));
                rows.add(row("Kodiak, batching off", off));
                rows.add(ratio("Kodiak on / Python", clients, on, p));
                rows.add(ratio("Kodiak off / Python", clients, off, p));
            }
            write(rows);
        } finally {
            python.destroy();
            servers.forEach(KodiakServer::stop);
        }
    }

    private static URI start(List<KodiakServer> servers, Path bundle, boolean batching)
            throws Exception {
        KodiakServer server = BenchServer.start(Map.of("KODIAK_MODELS", "resnet18=" + bundle,
                "KODIAK_BATCHING_ENABLED", Boolean.toString(batching)));
        servers.add(server);
        return URI.create("http://127.0.0.1:" + server.port() + "/predict");
    }

    private static String ratio(String name, int clients, Figures a, Figures b) {
        return String.format(Locale.ROOT, "| *%s* | %d | | *%.2f×* | *%.2f×* | *%.2f×* | |",
                name, clients, a.throughput() / b.throughput(), a.p50() / b.p50(),
                a.p99() / b.p99());
    }

    private static String row(String who, Figures f) {
        return String.format(Locale.ROOT, "| %s | %d | %d | %.1f req/s | %.1f ms | %.1f ms | %d |",
                who, f.clients(), f.requests(), f.throughput(), f.p50(), f.p99(), f.failures());
    }

    private static Figures load(URI uri, List<byte[]> bodies, int clients, int requests)
            throws Exception {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .build()) {
            return load(http, uri, bodies, clients, requests);
        }
    }

    private static Figures load(HttpClient http, URI uri, List<byte[]> bodies, int clients,
            int requests) throws Exception {
        for (int i = 0; i < 10; i++) { // warm both up alike
            send(http, uri, bodies.get(i % bodies.size()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
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
                            failures.incrementAndGet();
                        }
                        latencies.add((System.nanoTime() - t) / 1e6);
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
        double seconds = (System.nanoTime() - start) / 1e9;
        List<Double> sorted = new ArrayList<>(latencies);
        sorted.sort(null);
        return new Figures(clients, sorted.size(), seconds, percentile(sorted, 0.50),
                percentile(sorted, 0.99), failures.get());
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

    private static double percentile(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
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
                + "(PIL preprocessing, torch " + "1.13 from Debian, `http.server`). Kodiak: the "
                + "server, with micro-batching (max 16, 5 ms) on and off. All with "
                + Engine.THREADS + " torch threads; the load client shares the machine. "
                + "Throughput: higher is better; latencies: lower is better.\n\n"
                + "Machine: " + Results.machine() + ".\n\n"
                + "| server | clients | requests | throughput | p50 | p99 | failures |\n"
                + "|---|---:|---:|---:|---:|---:|---:|\n"
                + String.join("\n", rows) + "\n";
        Files.writeString(out.resolve("side-by-side.md"), md);
        System.out.println(md);
    }
}
