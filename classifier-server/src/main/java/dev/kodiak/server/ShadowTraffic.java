package dev.kodiak.server;

import dev.kodiak.core.Classification;
import dev.kodiak.core.topk.TopKOptions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Gives a model's shadow version a copy of its live requests, after their answers went out: the
 * shadow's answer is never returned, only compared with the live one's top label, and timed.
 * That is the evidence an operator promotes a version on. Copies wait in a short queue and are
 * dropped (and counted) when the shadow falls behind, so a slow shadow never slows live traffic
 * beyond the CPU it shares.
 *
 * <p>Thread-safe.
 */
final class ShadowTraffic implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ShadowTraffic.class.getName());
    /** Copies waiting for the shadow; more are dropped. */
    private static final int QUEUE = 32;

    private final ServerMetrics metrics;
    private final Duration timeout;
    private final ThreadPoolExecutor pool;
    private final Map<String, Stats> stats = new ConcurrentHashMap<>();

    /**
     * Starts the shadow threads.
     *
     * @param metrics where agreement and time are recorded
     * @param timeout how long a shadow answer may take
     */
    ShadowTraffic(ServerMetrics metrics, Duration timeout) {
        this.metrics = metrics;
        this.timeout = timeout;
        AtomicInteger count = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(QUEUE), r -> Thread.ofPlatform().daemon(true)
                .name("kodiak-shadow-" + count.incrementAndGet()).unstarted(r));
    }

    /**
     * What a shadow version did for one live version.
     *
     * @param compared copies answered by both
     * @param agreed of those, how many had the same top label
     * @param dropped copies not made because the shadow was busy
     * @param failed copies the shadow could not answer
     * @param meanMillis the shadow's mean time per copy
     */
    record Summary(long compared, long agreed, long dropped, long failed, double meanMillis) {
        /**
         * Returns the share of copies where both versions agreed.
         *
         * @return from 0 to 1, or NaN before the first comparison
         */
        double agreement() {
            return compared == 0 ? Double.NaN : (double) agreed / compared;
        }
    }

    private static final class Stats {
        final LongAdder compared = new LongAdder();
        final LongAdder agreed = new LongAdder();
        final LongAdder dropped = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder nanos = new LongAdder();

        Summary summary() {
            long n = compared.sum();
            return new Summary(n, agreed.sum(), dropped.sum(), failed.sum(),
                    n == 0 ? 0 : nanos.sum() / 1e6 / n);
        }
    }

    /**
     * Copies an answered request to the model's shadow version, if it has one.
     *
     * @param model the model
     * @param live the live answer
     * @param image the request's image
     * @param options its top-k options
     * @param modelSized whether the image was sent already prepared
     */
    void copy(ServedModel model, ModelPipeline.Answer live, byte[] image, TopKOptions options,
            boolean modelSized) {
        ModelVersion shadow = model.shadowOf(live.model());
        if (shadow == null) {
            return;
        }
        Stats s = stats(live.model(), shadow.id());
        try {
            pool.execute(() -> answer(shadow, s, live, image, options, modelSized));
        } catch (RejectedExecutionException e) {
            s.dropped.increment();
            metrics.shadowDropped(shadow.id());
        }
    }

    private void answer(ModelVersion shadow, Stats s, ModelPipeline.Answer live, byte[] image,
            TopKOptions options, boolean modelSized) {
        try (ModelVersion.Lease lease = shadow.acquire()) {
            if (lease == null) {
                return; // swapped out meanwhile
            }
            ModelPipeline pipeline = lease.pipeline();
            TopKOptions top1;
            try {
                top1 = pipeline.validate(new TopKOptions(1, 0f, options.allowedLabels()));
            } catch (ApiException e) {
                top1 = new TopKOptions(1, 0f, java.util.Set.of()); // other labels: compare all
            }
            long start = System.nanoTime();
            ModelPipeline.Answer answer = pipeline.classify(image, top1, modelSized,
                    start + timeout.toNanos());
            long nanos = System.nanoTime() - start;
            boolean agree = top(answer.classification()).equals(top(live.classification()));
            s.compared.increment();
            s.nanos.add(nanos);
            if (agree) {
                s.agreed.increment();
            }
            metrics.shadow(live.model(), shadow.id(), agree, nanos);
        } catch (RuntimeException e) {
            s.failed.increment();
            LOG.log(System.Logger.Level.DEBUG, "shadow {0} could not answer a copy: {1}",
                    shadow.id(), e.getMessage());
        }
    }

    private static String top(Classification c) {
        return c.predictions().isEmpty() ? "" : c.top().label();
    }

    private Stats stats(ModelId live, ModelId shadow) {
        return stats.computeIfAbsent(live.name() + "|" + live.version() + "|"
                + shadow.version(), k -> new Stats());
    }

    /**
     * What a model's shadow version has done so far, per live version.
     *
     * @param model the model's name
     * @param shadow the shadow version
     * @return summaries by live version
     */
    Map<Integer, Summary> summary(String model, int shadow) {
        Map<Integer, Summary> out = new java.util.TreeMap<>();
        stats.forEach((key, s) -> {
            String[] parts = key.split("\\|");
            if (parts[0].equals(model) && Integer.parseInt(parts[2]) == shadow) {
                out.put(Integer.parseInt(parts[1]), s.summary());
            }
        });
        return out;
    }

    /** Stops the shadow threads; copies still waiting are dropped. */
    @Override
    public void close() {
        pool.shutdownNow();
    }
}
