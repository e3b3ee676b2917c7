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
 * and status, latency histograms, and per model and version: queue depth and waits, batch sizes,
 * answers and their latency, the predicted classes and the distribution of top probabilities
 * (the drift monitoring FoodVision asks for), versions that failed to load, and a shadow
 * version's agreement with the live one. Every model metric carries {@code model} and
 * {@code version} tags. Thread-safe.
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
     * A gRPC call finished with a status.
     *
     * @param method the method's full name, such as
     *     {@code inference.GRPCInferenceService/ModelInfer}
     * @param code the status code, such as {@code OK} or {@code INVALID_ARGUMENT}
     * @param nanos how long the call took
     */
    void grpc(String method, String code, long nanos) {
        counters.computeIfAbsent("grpc|" + method + "|" + code, k -> registry.getOrCreate(
                Counter.builder("kodiak.grpc.requests").description("gRPC calls by method and "
                        + "status code").tags(List.of(Tag.create("method", method),
                                Tag.create("code", code))))).increment();
        timer("kodiak.grpc.request.duration", "gRPC call latency by method", "method", method)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * A model version's queue depth, read when Prometheus scrapes; removed by the returned
     * handle (when the version is unloaded) or by {@link #close()}, so that nobody reads a
     * stopped version's queue.
     *
     * @return removes the gauge
     */
    Runnable queueDepth(ModelId model, Supplier<Integer> depth) {
        return queueDepth(model, depth, null);
    }

    /**
     * A model version's queue depth and, as {@code kodiak.model.precision} (1, tagged with the
     * precision: fp32 or int8), which of its bundle's models answers; both removed by the
     * returned handle.
     *
     * @return removes the gauges
     */
    Runnable queueDepth(ModelId model, Supplier<Integer> depth,
            dev.kodiak.core.bundle.Precision precision) {
        Runnable queue = queueDepth(model, depth, "kodiak.queue.depth",
                "Requests waiting for a forward pass", tags(model));
        if (precision == null) {
            return queue;
        }
        List<Tag> tags = new java.util.ArrayList<>(tags(model));
        tags.add(Tag.create("precision", precision.id()));
        Runnable answering = queueDepth(model, () -> 1, "kodiak.model.precision",
                "1 for the precision (fp32 or int8) of the model that answers", tags);
        return () -> {
            queue.run();
            answering.run();
        };
    }

    private Runnable queueDepth(ModelId model, Supplier<Integer> value, String name,
            String description, List<Tag> tags) {
        Gauge<Integer> gauge = registry.getOrCreate(Gauge.builder(name, value)
                .description(description).tags(tags));
        gauges.add(gauge);
        return () -> {
            gauges.remove(gauge);
            registry.remove(gauge);
        };
    }

    /**
     * A version could not be loaded (it serves nothing; a working version keeps serving).
     *
     * @param model the version
     */
    void loadFailure(ModelId model) {
        counters.computeIfAbsent("loadfail|" + model, k -> registry.getOrCreate(
                Counter.builder("kodiak.model.load.failures").description("Versions that failed "
                        + "to load; they never take traffic").tags(tags(model)))).increment();
    }

    /**
     * A version answered a request (per image of a batch request).
     *
     * @param model the version that answered
     * @param nanos from the request's arrival to its answer
     */
    void answered(ModelId model, long nanos) {
        timers.computeIfAbsent("answered|" + model, k -> registry.getOrCreate(
                Timer.builder("kodiak.model.answer.duration").description("Answers by model "
                        + "version, from arrival to answer").buckets(LATENCY_BUCKETS)
                        .tags(tags(model)))).record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * A shadow version answered a copy of a live request.
     *
     * @param live the version whose answer was returned
     * @param shadow the shadow version
     * @param agree whether both gave the same top label
     * @param nanos the shadow's own time for it
     */
    void shadow(ModelId live, ModelId shadow, boolean agree, long nanos) {
        List<Tag> tags = List.of(Tag.create("model", live.name()),
                Tag.create("version", shadow.versionText()),
                Tag.create("live_version", live.versionText()),
                Tag.create("agree", Boolean.toString(agree)));
        counters.computeIfAbsent("shadow|" + live + "|" + shadow + "|" + agree, k ->
                registry.getOrCreate(Counter.builder("kodiak.shadow.answers").description(
                        "Shadow answers, by whether their top label agreed with the live "
                        + "version's").tags(tags))).increment();
        timers.computeIfAbsent("shadowtime|" + shadow, k -> registry.getOrCreate(
                Timer.builder("kodiak.shadow.duration").description("A shadow version's time "
                        + "per request").buckets(LATENCY_BUCKETS).tags(tags(shadow))))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * A copy of a live request was not given to the shadow: it was busy.
     *
     * @param shadow the shadow version
     */
    void shadowDropped(ModelId shadow) {
        counters.computeIfAbsent("shadowdrop|" + shadow, k -> registry.getOrCreate(
                Counter.builder("kodiak.shadow.dropped").description("Live requests not copied "
                        + "to the shadow version because it was busy").tags(tags(shadow))))
                .increment();
    }

    private static List<Tag> tags(ModelId model) {
        return List.of(Tag.create("model", model.name()),
                Tag.create("version", model.versionText()));
    }

    /** Removes the gauges that read this server's state. */
    void close() {
        gauges.forEach(registry::remove);
        gauges.clear();
    }

    /** {@inheritDoc} */
    @Override
    public void batch(ModelId model, int size, long[] queueWaitNanos) {
        summary("kodiak.batch.size", "Requests per forward pass", model, BATCH_BUCKETS)
                .record(size);
        Timer wait = timers.computeIfAbsent("kodiak.queue.wait|" + model, k ->
                registry.getOrCreate(Timer.builder("kodiak.queue.wait").description(
                        "Time a request waits for its batch").buckets(LATENCY_BUCKETS)
                        .tags(tags(model))));
        for (long nanos : queueWaitNanos) {
            wait.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** A classification was answered: count its top class and record its top probability. */
    void prediction(ModelId model, Classification classification) {
        if (classification.predictions().isEmpty()) {
            return;
        }
        String label = classification.top().label();
        counters.computeIfAbsent("predicted|" + model + "|" + label, k -> registry.getOrCreate(
                Counter.builder("kodiak.predictions").description("Top-1 predictions by class")
                        .tags(List.of(Tag.create("model", model.name()),
                                Tag.create("version", model.versionText()),
                                Tag.create("label", label)))))
                .increment();
        summary("kodiak.top.probability", "Probability of the top prediction", model,
                PROBABILITY_BUCKETS).record(classification.top().probability());
        if (classification.unsure()) {
            counters.computeIfAbsent("unsure|" + model, k -> registry.getOrCreate(
                    Counter.builder("kodiak.unsure").description("Answers marked unsure")
                            .tags(tags(model)))).increment();
        }
    }

    private Timer timer(String name, String description, String tag, String value) {
        return timers.computeIfAbsent(name + "|" + value, k -> registry.getOrCreate(
                Timer.builder(name).description(description).buckets(LATENCY_BUCKETS)
                        .tags(List.of(Tag.create(tag, value)))));
    }

    private DistributionSummary summary(String name, String description, ModelId model,
            double[] buckets) {
        return summaries.computeIfAbsent(name + "|" + model, k -> registry.getOrCreate(
                DistributionSummary.builder(name, DistributionStatisticsConfig.builder()
                                .buckets(buckets))
                        .description(description).tags(tags(model))));
    }
}
