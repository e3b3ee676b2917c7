package dev.kodiak.server;

import dev.kodiak.core.Classification;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.DistributionStatisticsConfig;
import io.helidon.metrics.api.DistributionSummary;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.helidon.service.registry.Services;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Kodiak's Prometheus metrics, served by Helidon at {@code /observe/metrics}: requests by route
 * and status, latency histograms, queue depth and waits, batch sizes, and per model the predicted
 * classes and the distribution of top probabilities (the drift monitoring FoodVision asks for).
 * Thread-safe.
 */
final class ServerMetrics implements Batcher.Listener {
    private static final Duration[] LATENCY_BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(20), Duration.ofMillis(30), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5)};
    private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128};
    private static final double[] PROBABILITY_BUCKETS =
        {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0};

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, DistributionSummary> summaries = new ConcurrentHashMap<>();
    private final List<Gauge<Integer>> gauges = new java.util.concurrent.CopyOnWriteArrayList<>();

    ServerMetrics() {
        this.registry = Services.get(MeterRegistry.class);
    }

    /** A request finished with a status; its route is the route template, not the raw path. */
    void request(String route, int status, long nanos) {
        counters.computeIfAbsent("requests|" + route + "|" + status, k -> registry.getOrCreate(
                Counter.builder("kodiak.requests").description("HTTP requests by route and status")
                        .tags(List.of(Tag.create("route", route),
                                Tag.create("status", Integer.toString(status)))))).increment();
        timer("kodiak.request.duration", "Request latency by route", "route", route)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * A model's queue depth, read when Prometheus scrapes; removed by {@link #close()}, so that
     * a later server in the same JVM reads its own queues, not a stopped one's.
     */
    void queueDepth(String model, Supplier<Integer> depth) {
        gauges.add(registry.getOrCreate(Gauge.builder("kodiak.queue.depth", depth)
                .description("Requests waiting for a forward pass")
                .tags(List.of(Tag.create("model", model)))));
    }

    /** Removes the gauges that read this server's state. */
    void close() {
        gauges.forEach(registry::remove);
        gauges.clear();
    }

    /** {@inheritDoc} */
    @Override
    public void batch(String model, int size, long[] queueWaitNanos) {
        summary("kodiak.batch.size", "Requests per forward pass", model, BATCH_BUCKETS)
                .record(size);
        Timer wait = timer("kodiak.queue.wait", "Time a request waits for its batch", "model",
                model);
        for (long nanos : queueWaitNanos) {
            wait.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** A classification was answered: count its top class and record its top probability. */
    void prediction(String model, Classification classification) {
        if (classification.predictions().isEmpty()) {
            return;
        }
        String label = classification.top().label();
        counters.computeIfAbsent("predicted|" + model + "|" + label, k -> registry.getOrCreate(
                Counter.builder("kodiak.predictions").description("Top-1 predictions by class")
                        .tags(List.of(Tag.create("model", model), Tag.create("label", label)))))
                .increment();
        summary("kodiak.top.probability", "Probability of the top prediction", model,
                PROBABILITY_BUCKETS).record(classification.top().probability());
        if (classification.unsure()) {
            counters.computeIfAbsent("unsure|" + model, k -> registry.getOrCreate(
                    Counter.builder("kodiak.unsure").description("Answers marked unsure")
                            .tags(List.of(Tag.create("model", model))))).increment();
        }
    }

    private Timer timer(String name, String description, String tag, String value) {
        return timers.computeIfAbsent(name + "|" + value, k -> registry.getOrCreate(
                Timer.builder(name).description(description).buckets(LATENCY_BUCKETS)
                        .tags(List.of(Tag.create(tag, value)))));
    }

    private DistributionSummary summary(String name, String description, String model,
            double[] buckets) {
        return summaries.computeIfAbsent(name + "|" + model, k -> registry.getOrCreate(
                DistributionSummary.builder(name, DistributionStatisticsConfig.builder()
                                .buckets(buckets))
                        .description(description)
                        .tags(List.of(Tag.create("model", model)))));
    }
}
