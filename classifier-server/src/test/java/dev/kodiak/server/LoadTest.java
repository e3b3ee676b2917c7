package dev.kodiak.server;

import static dev.kodiak.server.TestServer.errorCode;
import static dev.kodiak.server.TestServer.json;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.core.topk.TopKOptions;
import java.net.http.HttpResponse;
import java.util.ArrayList;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Many concurrent clients: batching coalesces them, overload sheds load, nobody is mixed up. */
class LoadTest {
    /** Batched and single forward passes sum in different orders; answers agree this closely. */
    static final double PROBABILITY_TOLERANCE = 1e-5;

    static Classifier fashion;
    /** The fixture images, with every label's probability from core, one at a time. */
    static List<byte[]> images = new ArrayList<>();
    static List<Map<String, Float>> expected = new ArrayList<>();

    @BeforeAll
    static void prepare() throws Exception {
        fashion = Classifier.open(Fixtures.defaultBundle());
        Set<Map<String, Float>> distinct = new java.util.HashSet<>();
        for (Fixtures.Image image : Fixtures.decodable()) {
            byte[] bytes = image.bytes();
            Map<String, Float> probabilities = new java.util.HashMap<>();
            fashion.classify(bytes, TopKOptions.DEFAULT.withK(10)).predictions()
                    .forEach(p -> probabilities.put(p.label(), p.probability()));
            images.add(bytes);
            expected.add(probabilities);
            distinct.add(probabilities);
        }
        assertThat("a mix-up changes the probabilities", distinct.size(), greaterThan(20));
    }

    @AfterAll
    static void close() {
        fashion.close();
    }

    @Test
    void thirtyTwoClientsEachGetTheirOwnAnswerInSharedBatches() throws Exception {
        try (TestServer server = TestServer.start(Map.of(
                "KODIAK_BATCHING_MAX_WAIT", "PT0.02S", "KODIAK_BATCHING_MAX_BATCH_SIZE", "16"))) {
            double[] before = batchSizes(server);
            List<String> wrong = run(server, 32, 6, new AtomicInteger(), new AtomicInteger());
            assertThat(wrong, is(empty()));
            double[] after = batchSizes(server);
            double batches = after[0] - before[0];
            double requests = after[1] - before[1];
            assertThat("requests answered", requests, is(32.0 * 6));
            assertThat("forward passes (fewer than requests means batches > 1)", batches,
                    org.hamcrest.Matchers.lessThan(requests));
        }
    }

    /**
     * With batching off every forward pass still runs on the model's worker (a batch of one),
     * never on a request thread: so none pins a carrier thread, and stopping closes the model
     * only once the worker has finished, not under a request that outlived the grace period.
     */
    @Test
    void batchingOffStillRunsEveryForwardOnTheWorker() throws Exception {
        try (TestServer server = TestServer.start(Map.of("KODIAK_BATCHING_ENABLED", "false"))) {
            double[] before = batchSizes(server);
            List<String> wrong = run(server, 8, 3, new AtomicInteger(), new AtomicInteger());
            assertThat(wrong, is(empty()));
            double[] after = batchSizes(server);
            assertThat("forward passes the worker ran", after[0] - before[0], is(24.0));
            assertThat("each of one image", after[1] - before[1], is(24.0));
        }
    }

    @Test
    void overloadAnswers503NeverFailsAndNeverMixesUp() throws Exception {
        try (TestServer server = TestServer.start(Map.of(
                "KODIAK_BATCHING_QUEUE_CAPACITY", "2", "KODIAK_BATCHING_MAX_BATCH_SIZE", "1",
                "KODIAK_LIMITS_MAX_CONCURRENT_DECODES", "64"))) {
            AtomicInteger busy = new AtomicInteger();
            AtomicInteger ok = new AtomicInteger();
            List<String> wrong = run(server, 48, 4, busy, ok);
            assertThat(wrong, is(empty()));
            assertThat("some requests were shed", busy.get(), greaterThan(0));
            assertThat("some requests were answered", ok.get(), greaterThan(0));
            assertThat(ok.get() + busy.get(), is(48 * 4));
            ApiTestSupport.assertServing(server);
        }
    }

    /**
     * Runs {@code clients} threads sending {@code rounds} requests each; returns every answer that
     * was neither the expected top-1 nor a clean 503 with Retry-After.
     */
    static List<String> run(TestServer server, int clients, int rounds, AtomicInteger busy,
            AtomicInteger ok) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        CountDownLatch go = new CountDownLatch(1);
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                futures.add(pool.submit(() -> {
                    go.await();
                    for (int r = 0; r < rounds; r++) {
                        int i = (client * 7 + r) % images.size();
                        HttpResponse<String> response = server.post(
                                "/api/v1/models/fashion-mnist/classify?top_k=10", "image/png",
                                images.get(i));
                        if (response.statusCode() == 503) {
                            if (response.headers().firstValue("Retry-After").isEmpty()
                                    || !List.of("OVERLOADED", "DEADLINE_EXCEEDED")
                                    .contains(errorCode(response))) {
                                wrong.add("bad 503: " + response.body());
                            }
                            busy.incrementAndGet();
                        } else if (response.statusCode() != 200) {
                            wrong.add(response.statusCode() + ": " + response.body());
                        } else {
                            var predictions = json(response).getJsonArray("predictions");
                            if (predictions.size() != expected.get(i).size()) {
                                wrong.add("image " + i + ": " + predictions.size() + " labels");
                            }
                            for (int p = 0; p < predictions.size(); p++) {
                                var prediction = predictions.getJsonObject(p);
                                Float want = expected.get(i).get(prediction.getString("label"));
                                double got = prediction.getJsonNumber("probability")
                                        .doubleValue();
                                if (want == null
                                        || Math.abs(got - want) > PROBABILITY_TOLERANCE) {
                                    wrong.add("image " + i + " got " + prediction + " not "
                                            + want);
                                }
                            }
                            ok.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return new ArrayList<>(wrong);
    }

    /** The default model's batch-size summary: {count of batches, sum of batch sizes}. */
    static double[] batchSizes(TestServer server) throws Exception {
        String metrics = server.get("/observe/metrics").body();
        double[] result = new double[2];
        String[] suffixes = {"_count", "_sum"};
        for (int i = 0; i < 2; i++) {
            Matcher m = Pattern.compile("kodiak_batch_size" + suffixes[i]
                    + "\\{[^}]*model=\"fashion-mnist\"[^}]*} ([0-9.Ee+-]+)").matcher(metrics);
            result[i] = m.find() ? Double.parseDouble(m.group(1)) : 0;
        }
        return result;
    }

}
