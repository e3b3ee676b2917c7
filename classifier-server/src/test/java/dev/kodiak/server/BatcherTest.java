package dev.kodiak.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.PreparedImage;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.core.topk.TopKOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The forward-pass workers: every request's future completes, whatever happens to them. */
class BatcherTest {
    static Classifier tiny;
    static PreparedImage image;

    @BeforeAll
    static void open() throws Exception {
        tiny = Classifier.open(Fixtures.tinyBundle());
        image = tiny.stages().prepare(Fixtures.image("png-rgb8.png").bytes());
    }

    @AfterAll
    static void close() {
        tiny.close();
    }

    private static final Batcher.Listener QUIET = (model, size, waits) -> { };

    @Test
    void aWorkerInterruptedWhileCollectingABatchCompletesItsRequests() throws Exception {
        // the worker waits for company: someone is always "being decoded", and max wait is long
        Batcher batcher = new Batcher(new ModelId("tiny", 1), tiny, 1, 8, Duration.ofSeconds(30), 16, QUIET,
                () -> 1);
        CompletableFuture<Batcher.Result> first = batcher.submit(image, TopKOptions.DEFAULT,
                System.nanoTime() + TimeUnit.MINUTES.toNanos(1));
        // the worker takes the request into its batch, then waits for more
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (batcher.queueDepth() > 0 && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        assertThat("the worker took the request", batcher.queueDepth(), is(0));
        batcher.interruptWorkers();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> first.get(10, TimeUnit.SECONDS));
        assertThat(e.getCause(), instanceOf(Batcher.DeadlineException.class));
        assertThat(batcher.drain(Duration.ofSeconds(5)), is(true));
    }

    @Test
    void anImageTheModelFailsOnFailsAloneInItsBatch() throws Exception {
        try (Classifier nan = Classifier.open(Fixtures.bundle("tiny-nan"))) {
            byte[] white = new byte[64];
            java.util.Arrays.fill(white, (byte) 255);
            PreparedImage bright = nan.stages().prepare(new dev.kodiak.core.preprocess.Pixels(8, 8,
                    dev.kodiak.core.preprocess.ColorMode.L, white));
            PreparedImage dark = nan.stages().prepare(new dev.kodiak.core.preprocess.Pixels(8, 8,
                    dev.kodiak.core.preprocess.ColorMode.L, new byte[64]));
            java.util.concurrent.atomic.AtomicInteger batches =
                    new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger largest =
                    new java.util.concurrent.atomic.AtomicInteger();
            // one worker that waits long enough for all three to share its batch
            java.util.concurrent.atomic.AtomicInteger coming =
                    new java.util.concurrent.atomic.AtomicInteger(3);
            Batcher batcher = new Batcher(new ModelId("tiny-nan", 1), nan, 1, 3, Duration.ofSeconds(20), 8,
                    (model, size, waits) -> {
                        batches.incrementAndGet();
                        largest.accumulateAndGet(size, Math::max);
                    }, coming::get);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            java.util.List<CompletableFuture<Batcher.Result>> futures = new java.util.ArrayList<>();
            for (PreparedImage image : java.util.List.of(bright, dark, bright)) {
                futures.add(batcher.submit(image, TopKOptions.DEFAULT, deadline));
                coming.decrementAndGet();
            }
            assertThat(futures.get(0).get(30, TimeUnit.SECONDS).classification().top().label(),
                    is("bright"));
            assertThat(futures.get(2).get(30, TimeUnit.SECONDS).classification().top().label(),
                    is("bright"));
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> futures.get(1).get(30, TimeUnit.SECONDS));
            assertThat(e.getCause(), instanceOf(dev.kodiak.core.infer.InferenceException.class));
            assertThat("the three shared one forward pass", largest.get(), is(3));
            assertThat(batcher.drain(Duration.ofSeconds(5)), is(true));
        }
    }

    @Test
    void severalWorkersAnswerEveryRequestAndStopWhenDrained() throws Exception {
        java.util.Set<String> workers = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.CountDownLatch second = new java.util.concurrent.CountDownLatch(1);
        // a worker holds its batch until another worker has run one: on a busy machine one
        // fast worker could otherwise empty the queue alone, and the test would prove nothing
        Batcher batcher = new Batcher(new ModelId("tiny", 1), tiny, 3, 4, Duration.ZERO, 64,
                (model, size, waits) -> {
                    workers.add(Thread.currentThread().getName());
                    if (workers.size() > 1) {
                        second.countDown();
                    }
                    try {
                        second.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, () -> 0);
        java.util.List<CompletableFuture<Batcher.Result>> futures = new java.util.ArrayList<>();
        for (int i = 0; i < 60; i++) {
            futures.add(batcher.submit(image, TopKOptions.DEFAULT,
                    System.nanoTime() + TimeUnit.MINUTES.toNanos(1)));
        }
        float expected = tiny.classify(Fixtures.image("png-rgb8.png").bytes()).top()
                .probability();
        for (CompletableFuture<Batcher.Result> f : futures) {
            assertThat((double) f.get(30, TimeUnit.SECONDS).classification().top()
                    .probability(), org.hamcrest.Matchers.closeTo(expected, 1e-5));
        }
        assertThat("forward passes ran on several workers: " + workers, workers.size() > 1,
                is(true));
        assertThat(batcher.drain(Duration.ofSeconds(5)), is(true));
        assertThrows(Batcher.OverloadedException.class, () -> batcher.submit(image,
                TopKOptions.DEFAULT, System.nanoTime() + TimeUnit.MINUTES.toNanos(1)));
    }
}
