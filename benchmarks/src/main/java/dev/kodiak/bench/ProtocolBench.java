package dev.kodiak.bench;

import com.google.protobuf.ByteString;
import dev.kodiak.server.KodiakServer;
import dev.kodiak.server.grpc.GRPCInferenceServiceGrpc;
import dev.kodiak.server.grpc.ModelInferRequest;
import dev.kodiak.server.grpc.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the Open Inference Protocol costs next to Kodiak's own API: the same server, model and
 * images, classified through {@code /api/v1} (the image as the raw body), OIP over REST with
 * JSON (the image in base64, every probability back as JSON numbers), OIP over REST with the
 * binary tensor data extension (tritonclient.http's default), and OIP over gRPC
 * ({@code raw_input_contents}, tritonclient.grpc's way), by 1 and 16 concurrent clients. The
 * protocols take turns in rounds, each round starting with the next one, so that the host's
 * drift falls on all of them alike; each protocol's throughput ratio against {@code /api/v1} is
 * the median of the rounds' ratios, reported with their range. The goal (issue 19): protocol
 * overhead at most 1.05 times {@code /api/v1}'s, a throughput ratio of at least 0.95.
 *
 * <p>Models: ResNet-18 (a forward pass of about 30 ms, as people serve) and the default
 * Fashion-MNIST model (a forward pass of well under a millisecond, where a protocol's cost
 * shows most). Writes {@code benchmarks/results/oip.md}. {@code --smoke}: Fashion-MNIST and the
 * test fixtures only, one short round, written to {@code benchmarks/target/results/oip.md}; it
 * checks that every protocol answers, not how fast.
 *
 * <pre>
 * ./kodiak bench-oip [--smoke]
 * </pre>
 */
public final class ProtocolBench {
    static final int[] CONCURRENCY = {1, 16};
    static final Duration CASE_LIMIT = Duration.ofMinutes(2);
    /** The goal: each protocol's throughput at least this share of /api/v1's. */
    static final double GOAL = 0.95;

    /** The ways of asking, in the order of the report; the first is the reference. */
    enum Protocol {
        /** Kodiak's own API: {@code POST /api/v1/models/{name}/classify}, the raw image. */
        API_V1("/api/v1"),
        /** OIP over REST, JSON: a BYTES input of base64, the probabilities as JSON. */
        OIP_JSON("OIP REST, JSON"),
        /** OIP over REST with the binary tensor data extension, in and out. */
        OIP_BINARY("OIP REST, binary"),
        /** OIP over gRPC: raw_input_contents and raw_output_contents. */
        OIP_GRPC("OIP gRPC");

        final String label;

        Protocol(String label) {
            this.label = label;
        }
    }

    /**
     * One model's run, per concurrency and protocol: the figures pooled over the rounds, and
     * each round's throughput ratio against {@code /api/v1}'s in that round.
     */
    private record Run(String model, int labels, int rounds,
            Map<Integer, Map<Protocol, Tally>> tallies,
            Map<Integer, Map<Protocol, List<Double>>> ratios, Map<Protocol, String> failures) {
    }

    /** Sends request number {@code i}; says why it failed, or returns null when it did not. */
    @FunctionalInterface
    private interface Caller {
        String call(int i) throws Exception;
    }

    private ProtocolBench() {
    }

    /**
     * Runs the comparison.
     *
     * @param args {@code --smoke} for a short check of every protocol
     * @throws Exception if the server does not start
     */
    public static void main(String[] args) throws Exception {
        boolean smoke = List.of(args).contains("--smoke");
        String loadBefore = loadAverage();
        List<Run> runs = new ArrayList<>();
        if (smoke) {
            runs.add(run("fashion-mnist", List.of(fixture("jpeg-444.jpg"),
                    fixture("png-gray8.png")), 1, 8, 16, 16));
        } else {
            List<byte[]> photos = List.of(Inputs.image("photo-640x480.jpg"),
                    Inputs.image("photo-224x224.jpg"));
            // many short rounds: on a shared machine the median of the rounds' ratios holds
            // better than fewer long rounds pooled
            runs.add(run("resnet18", photos, 10, 200, 24, 96));
            runs.add(run("fashion-mnist", photos, 10, 500, 240, 960));
        }
        String report = report(runs, smoke, loadBefore, loadAverage());
        Path out = Files.createDirectories(Inputs.root().resolve(smoke
                ? "benchmarks/target/results" : "benchmarks/results"));
        Files.writeString(out.resolve("oip.md"), report);
        System.out.println(report);
    }

    private static byte[] fixture(String name) throws Exception {
        return Files.readAllBytes(Inputs.root().resolve("testdata/images").resolve(name));
    }

    /**
     * Measures one model.
     *
     * @param warmUp requests each protocol answers unmeasured first
     * @param single requests per round with one client
     * @param many requests per round with 16 clients
     */
    private static Run run(String model, List<byte[]> images, int rounds, int warmUp,
            int single, int many) throws Exception {
        KodiakServer server = BenchServer.start(Map.of("KODIAK_MODELS", model + "="
                + Inputs.bundle(model)));
        ExecutorService httpPool = Executors.newFixedThreadPool(16);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port())
                .usePlaintext().maxInboundMessageSize(64 << 20).build();
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(httpPool).connectTimeout(Duration.ofSeconds(5)).build()) {
            Map<Protocol, Caller> callers = callers(http, channel, server.port(), model, images);
            for (Map.Entry<Protocol, Caller> c : callers.entrySet()) {
                for (int i = 0; i < warmUp; i++) {
                    String failed = c.getValue().call(i);
                    if (failed != null) {
                        throw new IllegalStateException("a warm-up request of " + c.getKey().label
                                + " failed: " + failed);
                    }
                }
            }
            Map<Protocol, String> failures = new java.util.concurrent.ConcurrentHashMap<>();
            Map<Integer, Map<Protocol, Tally>> tallies = new LinkedHashMap<>();
            Map<Integer, Map<Protocol, List<Double>>> ratios = new LinkedHashMap<>();
            for (int clients : CONCURRENCY) {
                Map<Protocol, Tally> byProtocol = new LinkedHashMap<>();
                Map<Protocol, List<Double>> roundRatios = new LinkedHashMap<>();
                for (Protocol p : callers.keySet()) {
                    byProtocol.put(p, new Tally(clients));
                    roundRatios.put(p, new ArrayList<>());
                }
                List<Protocol> order = new ArrayList<>(callers.keySet());
                for (int round = 0; round < rounds; round++) {
                    // each round starts with another protocol: drift within a round (the
                    // host's other work comes and goes) falls on each of them in turn
                    Map<Protocol, Double> throughput = new LinkedHashMap<>();
                    for (Protocol p : order) {
                        throughput.put(p, load(callers.get(p), clients, clients == 1 ? single
                                : many, byProtocol.get(p), why -> failures.putIfAbsent(p, why)));
                    }
                    throughput.forEach((p, t) -> roundRatios.get(p).add(t
                            / throughput.get(Protocol.API_V1)));
                    Collections.rotate(order, 1);
                }
                tallies.put(clients, byProtocol);
                ratios.put(clients, roundRatios);
            }
            return new Run(model, labels(channel, model), rounds, tallies, ratios, failures);
        } finally {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            httpPool.shutdownNow();
            server.stop();
        }
    }

    private static int labels(ManagedChannel channel, String model) {
        return (int) GRPCInferenceServiceGrpc.newBlockingStub(channel).modelMetadata(
                dev.kodiak.server.grpc.ModelMetadataRequest.newBuilder().setName(model).build())
                .getOutputs(0).getShape(1);
    }

    /** Each protocol's request for each image, encoded once, as its clients send it. */
    private static Map<Protocol, Caller> callers(HttpClient http, ManagedChannel channel,
            int port, String model, List<byte[]> images) {
        String base = "http://127.0.0.1:" + port;
        List<HttpRequest> api = new ArrayList<>();
        List<HttpRequest> json = new ArrayList<>();
        List<HttpRequest> binary = new ArrayList<>();
        List<ModelInferRequest> grpc = new ArrayList<>();
        URI infer = URI.create(base + "/v2/models/" + model + "/infer");
        for (byte[] image : images) {
            api.add(HttpRequest.newBuilder(URI.create(base + "/api/v1/models/" + model
                    + "/classify")).header("Content-Type", "image/jpeg")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build());
            // tritonclient sends no Content-Type
            json.add(HttpRequest.newBuilder(infer).POST(HttpRequest.BodyPublishers.ofString(
                    "{\"inputs\": [{\"name\": \"image\", \"datatype\": \"BYTES\", \"shape\": "
                    + "[1], \"data\": [\"" + Base64.getEncoder().encodeToString(image)
                    + "\"]}]}")).build());
            byte[] element = bytesTensor(image);
            byte[] header = ("{\"inputs\": [{\"name\": \"image\", \"datatype\": \"BYTES\", "
                    + "\"shape\": [1], \"parameters\": {\"binary_data_size\": " + element.length
                    + "}}], \"parameters\": {\"binary_data_output\": true}}")
                    .getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.writeBytes(header);
            body.writeBytes(element);
            binary.add(HttpRequest.newBuilder(infer)
                    .header("Inference-Header-Content-Length", Integer.toString(header.length))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build());
            grpc.add(ModelInferRequest.newBuilder().setModelName(model)
                    .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image")
                            .setDatatype("BYTES").addShape(1))
                    .addRawInputContents(ByteString.copyFrom(element)).build());
        }
        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub =
                GRPCInferenceServiceGrpc.newBlockingStub(channel);
        Map<Protocol, Caller> callers = new LinkedHashMap<>();
        callers.put(Protocol.API_V1, i -> failure(http, api.get(i % api.size())));
        callers.put(Protocol.OIP_JSON, i -> failure(http, json.get(i % json.size())));
        callers.put(Protocol.OIP_BINARY, i -> failure(http, binary.get(i % binary.size())));
        callers.put(Protocol.OIP_GRPC, i -> {
            try {
                ModelInferResponse r = stub.withDeadlineAfter(60, TimeUnit.SECONDS)
                        .modelInfer(grpc.get(i % grpc.size()));
                return r.getRawOutputContentsCount() == 1 ? null : "no raw output";
            } catch (io.grpc.StatusRuntimeException e) {
                return e.getStatus().toString();
            }
        });
        return callers;
    }

    /** A BYTES tensor of one element: its 4-byte little-endian length, then the bytes. */
    private static byte[] bytesTensor(byte[] element) {
        return ByteBuffer.allocate(4 + element.length).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(element.length).put(element).array();
    }

    private static String failure(HttpClient http, HttpRequest request) {
        try {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return r.statusCode() == 200 ? null : "HTTP " + r.statusCode() + ": "
                    + new String(r.body(), StandardCharsets.UTF_8);
        } catch (Exception e) {
            return e.toString();
        }
    }

    /**
     * Sends {@code requests} requests from {@code clients} threads; adds what it saw.
     *
     * @return this round's throughput, requests per second
     */
    private static double load(Caller caller, int clients, int requests, Tally tally,
            java.util.function.Consumer<String> failed) throws Exception {
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
                        String why;
                        try {
                            why = caller.call(i);
                        } catch (Exception e) {
                            why = e.toString();
                        }
                        if (why != null) {
                            tally.failures.incrementAndGet();
                            failed.accept(why);
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
        double seconds = (System.nanoTime() - start) / 1e9;
        tally.seconds += seconds;
        return Math.min(requests, next.get()) / seconds;
    }

    private static String report(List<Run> runs, boolean smoke, String loadBefore,
            String loadAfter) {
        StringBuilder md = new StringBuilder("# The Open Inference Protocol next to /api/v1\n\n")
                .append("Generated by `./kodiak bench-oip").append(smoke ? " --smoke" : "")
                .append("` on ").append(LocalDate.now()).append(". One server per model (the "
                        + "benchmarks' settings: ").append(Engine.THREADS).append(" intra-op "
                        + "threads, micro-batching on), on loopback, asked for the same images (")
                .append(smoke ? "two test fixtures" : "a 640x480 and a 224x224 JPEG, "
                        + "alternating").append(") four ways: `/api/v1/models/{name}/classify` "
                        + "with the image as the body (the model's default top-k back); OIP "
                        + "REST JSON (the image in base64, every probability back as JSON); OIP "
                        + "REST binary (tritonclient.http's default: binary tensor data in and "
                        + "out, no Content-Type); OIP gRPC (`raw_input_contents`, one channel "
                        + "for all clients, as one tritonclient.grpc client). REST over HTTP/1.1, "
                        + "a connection per client. The protocols take turns in rounds, each "
                        + "round starting with the next one, after a warm-up; the load client "
                        + "shares the machine. Throughput and latencies pool the rounds. The "
                        + "ratio against `/api/v1` is the median of the rounds' ratios (each "
                        + "round's throughput over `/api/v1`'s in that round), with their range: "
                        + "the goal is at least ").append(GOAL).append(", i.e. a protocol "
                        + "overhead of at most 1.05 times.\n\n")
                .append("Machine: ").append(Results.machine()).append("; load average (1, 5, "
                        + "15 min) ").append(loadBefore).append(" before the run and ")
                .append(loadAfter).append(" after it.\n\n");
        List<String> missed = new ArrayList<>();
        for (Run run : runs) {
            md.append("## ").append(run.model()).append(" (").append(run.labels())
                    .append(" labels, ").append(run.rounds()).append(run.rounds() == 1
                            ? " round" : " rounds").append(")\n\n")
                    .append("| protocol | clients | requests | throughput | p50 | p99 | failures "
                            + "| throughput ÷ /api/v1 | p50 ÷ /api/v1 |\n")
                    .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (Map.Entry<Integer, Map<Protocol, Tally>> c : run.tallies().entrySet()) {
                Tally reference = c.getValue().get(Protocol.API_V1);
                for (Map.Entry<Protocol, Tally> t : c.getValue().entrySet()) {
                    Tally tally = t.getValue();
                    List<Double> rounds = new ArrayList<>(run.ratios().get(c.getKey())
                            .get(t.getKey()));
                    Collections.sort(rounds);
                    double ratio = rounds.get(rounds.size() / 2);
                    boolean isReference = t.getKey() == Protocol.API_V1;
                    md.append(String.format(Locale.ROOT, "| %s | %d | %d | %.1f req/s | %.1f ms "
                            + "| %.1f ms | %d | %s | %s |\n", t.getKey().label, tally.clients,
                            tally.latencies.size(), tally.throughput(), tally.percentile(0.5),
                            tally.percentile(0.99), tally.failures.get(),
                            isReference ? "1" : String.format(Locale.ROOT, "**%.2f** "
                                    + "(%.2f–%.2f)", ratio, rounds.get(0),
                                    rounds.get(rounds.size() - 1)),
                            isReference ? "1" : String.format(Locale.ROOT, "%.2f",
                                    tally.percentile(0.5) / reference.percentile(0.5))));
                    if (!isReference && ratio < GOAL) {
                        missed.add(String.format(Locale.ROOT, "%s, %s, %d client%s: %.2f",
                                run.model(), t.getKey().label, c.getKey(), c.getKey() == 1 ? ""
                                : "s", ratio));
                    }
                }
            }
            md.append('\n');
            run.failures().forEach((p, why) -> md.append("First failure of ").append(p.label)
                    .append(": `").append(why.length() > 300 ? why.substring(0, 300) + "…" : why)
                    .append("`.\n\n"));
        }
        if (smoke) {
            md.append("Smoke mode: a check that every protocol answers; the figures mean "
                    + "nothing.\n");
        } else if (missed.isEmpty()) {
            md.append("**Goal met**: every protocol's throughput is at least ").append(GOAL)
                    .append(" of `/api/v1`'s.\n");
        } else {
            md.append("**Goal missed** (throughput below ").append(GOAL).append(" of "
                    + "`/api/v1`'s): ").append(String.join("; ", missed)).append(".\n");
        }
        return md.toString();
    }

    /** The host's load average, for the report: how much else the machine was doing. */
    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + ", " + parts[1] + ", " + parts[2];
        } catch (java.io.IOException | ArrayIndexOutOfBoundsException e) {
            return "unknown";
        }
    }
}
