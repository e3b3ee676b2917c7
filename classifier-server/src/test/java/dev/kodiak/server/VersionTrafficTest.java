package dev.kodiak.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import dev.kodiak.core.testing.Fixtures;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Versions under traffic (issue 19): ten swaps while a load generator runs, with no answer
 * other than a 200 and none from a version that was not serving, readiness true throughout; and
 * a canary split measured over 10,000 requests.
 */
class VersionTrafficTest {
    private static final String TOKEN = "traffic-token-0123456789abcdef";
    @TempDir
    Path repo;
    private TestServer server;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10)).build();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start() throws Exception {
        server = TestServer.start(new HashMap<>(Map.of("KODIAK_MODELS", "",
                "KODIAK_MODEL_REPOSITORY", repo.toString(), "KODIAK_ADMIN_ENABLED", "true",
                "KODIAK_ADMIN_TOKEN", TOKEN)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder classify(byte[] png) {
        return HttpRequest.newBuilder(server.uri("/api/v1/models/pets/classify"))
                .header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(png));
    }

    private HttpRequest.Builder admin(String path, String method, String body) {
        return HttpRequest.newBuilder(server.uri(path)).header("Authorization", "Bearer " + TOKEN)
                .method(method, HttpRequest.BodyPublishers.ofString(body));
    }

    private static String version(HttpResponse<String> r) {
        return TestServer.json(r).getJsonObject("model").getString("model_version");
    }

    /** One answer of the load generator. */
    private record Answer(long start, long end, int status, int version, String body) {
    }

    @Test
    void tenSwapsUnderLoadDropNothingAndAnswerOnlyFromServingVersions() throws Exception {
        Repositories.version(repo, "pets", 1, "tiny-rgb-pad");
        start();
        byte[] png = Fixtures.image("png-rgb8.png").bytes();
        List<Answer> answers = Collections.synchronizedList(new ArrayList<>());
        List<String> unready = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService load = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            clients.add(load.submit(() -> {
                while (running.get()) {
                    long start = System.nanoTime();
                    HttpResponse<String> r = send(classify(png));
                    answers.add(new Answer(start, System.nanoTime(), r.statusCode(),
                            r.statusCode() == 200 ? Integer.parseInt(version(r)) : -1, r.body()));
                }
                return null;
            }));
        }
        clients.add(load.submit(() -> {
            while (running.get()) {
                HttpResponse<String> r = send(HttpRequest.newBuilder(
                        server.uri("/v2/health/ready")).GET());
                if (r.statusCode() != 200) {
                    unready.add(r.statusCode() + " " + r.body());
                }
            }
            return null;
        }));
        // version v took traffic from no earlier than loading[v] and until no later than
        // swapped[v + 1], when the next version's load returned
        Map<Integer, long[]> window = new ConcurrentHashMap<>();
        window.put(1, new long[] {0, Long.MAX_VALUE});
        Repositories.await("traffic on version 1", Duration.ofSeconds(30), () -> answers.size()
                > 20);
        for (int v = 2; v <= 11; v++) {
            Repositories.version(repo, "pets", v, v % 2 == 0 ? "tiny-rgb-squish"
                    : "tiny-rgb-pad");
            long loading = System.nanoTime();
            HttpResponse<String> r = send(admin("/v2/repository/models/pets/load", "POST", ""));
            assertThat(r.body(), r.statusCode(), is(200));
            long swapped = System.nanoTime();
            window.put(v, new long[] {loading, Long.MAX_VALUE});
            window.get(v - 1)[1] = swapped;
            int before = answers.size();
            Repositories.await("traffic on version " + v, Duration.ofSeconds(30),
                    () -> answers.size() > before + 10);
        }
        running.set(false);
        for (Future<?> f : clients) {
            f.get();
        }
        load.close();
        List<String> problems = new ArrayList<>();
        Map<Integer, Integer> perVersion = new HashMap<>();
        for (Answer a : answers) {
            if (a.status() != 200) {
                problems.add("status " + a.status() + ": " + a.body());
                continue;
            }
            perVersion.merge(a.version(), 1, Integer::sum);
            long[] w = window.get(a.version());
            if (w == null || a.end() < w[0] || a.start() > w[1]) {
                problems.add("version " + a.version() + " answered a request outside the time it "
                        + "served");
            }
        }
        assertThat(problems, is(empty()));
        assertThat("readiness stayed true", unready, is(empty()));
        assertThat(perVersion.get(11), greaterThan(0));
        assertThat(answers.size(), greaterThan(100));
    }

    @Test
    void aCanarySplitHoldsWithinTwoPointsOverTenThousandRequests() throws Exception {
        Repositories.version(repo, "pets", 1, "tiny-rgb-pad");
        Repositories.version(repo, "pets", 2, "tiny-rgb-squish");
        Files.writeString(repo.resolve("pets/serving.json"), "{\"version_policy\": \"all\", "
                + "\"traffic\": {\"1\": 90, \"2\": 10}}");
        start();
        byte[] png = Fixtures.image("png-rgb8.png").bytes();
        int requests = 10_000;
        AtomicInteger next = new AtomicInteger();
        Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        Map<String, String> byKey = new ConcurrentHashMap<>();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < 8; c++) {
                clients.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < requests; ) {
                        // every other request carries one of 500 routing keys, each sent 10 times
                        String key = i % 2 == 0 ? "user-" + (i / 2) % 500 : null;
                        HttpRequest.Builder b = classify(png);
                        if (key != null) {
                            b.header("kodiak-routing-key", key);
                        }
                        HttpResponse<String> r = send(b);
                        if (r.statusCode() != 200) {
                            problems.add(r.statusCode() + " " + r.body());
                            continue;
                        }
                        String v = version(r);
                        counts.computeIfAbsent(v, k -> new AtomicInteger()).incrementAndGet();
                        if (key != null) {
                            String first = byKey.putIfAbsent(key, v);
                            if (first != null && !first.equals(v)) {
                                problems.add(key + " got versions " + first + " and " + v);
                            }
                        }
                    }
                    return null;
                });
            }
        }
        assertThat(problems, is(empty()));
        double canary = counts.getOrDefault("2", new AtomicInteger()).get() / (double) requests;
        String report = String.format(java.util.Locale.ROOT, "version 2 answered %.2f%% of %d "
                + "requests (weight 10%%): %s", 100 * canary, requests, counts);
        Files.writeString(Fixtures.root().resolve("classifier-server/target/canary-split.txt"),
                report + "\n");
        assertThat(report, Math.abs(canary - 0.10), lessThanOrEqualTo(0.02));
        long keysOnCanary = byKey.values().stream().filter("2"::equals).count();
        assertThat("routing keys split too: " + keysOnCanary + " of 500",
                Math.abs(keysOnCanary / 500.0 - 0.10), lessThanOrEqualTo(0.05));
    }
}
