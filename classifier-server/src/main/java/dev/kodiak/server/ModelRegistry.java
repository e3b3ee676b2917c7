package dev.kodiak.server;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.bundle.Manifest;
import io.helidon.http.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The models this server serves, by name. Bundles are checked (manifest, files, checksums) when
 * the registry is created, so a bad path fails the start with a clear message; the models are
 * then loaded and warmed up in the background, and {@link #ready()} turns true once every one
 * is. Thread-safe.
 */
final class ModelRegistry implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ModelRegistry.class.getName());

    /**
     * How long stopping may take after the web server's grace period: a model still loading,
     * then the queued forward passes of every model. Deployment files add it to their grace.
     */
    static final Duration DRAIN = Duration.ofSeconds(10);

    /** One served model; its pipeline appears once it is loaded and warmed up. */
    static final class Model {
        private final String name;
        private final Path bundle;
        private final Manifest manifest;
        private volatile ModelPipeline pipeline;

        Model(String name, Path bundle, Manifest manifest) {
            this.name = name;
            this.bundle = bundle;
            this.manifest = manifest;
        }

        String name() {
            return name;
        }

        Manifest manifest() {
            return manifest;
        }

        /** @return the model's pipeline, or throws 503 while the model is loading */
        ModelPipeline pipeline() {
            ModelPipeline p = pipeline;
            if (p == null) {
                throw new ApiException(Status.SERVICE_UNAVAILABLE_503, "MODEL_LOADING",
                        "Model '" + name + "' is still loading; try again in a few seconds",
                        "2");
            }
            return p;
        }

        /** @return the pipeline, or null while the model loads (metrics, shutdown) */
        ModelPipeline loadedPipeline() {
            return pipeline;
        }

        boolean loaded() {
            return pipeline != null;
        }
    }

    private final Map<String, Model> models = new LinkedHashMap<>();
    private final ServerSettings settings;
    private final ServerMetrics metrics;
    private final DecodeStage decodes;
    private final Consumer<Throwable> onFatal;
    private volatile Thread loader;
    private volatile boolean closed;

    /**
     * Checks every bundle.
     *
     * @throws ServerSettings.InvalidSettingsException naming the model key of each bad bundle
     */
    ModelRegistry(ServerSettings settings, ServerMetrics metrics, DecodeStage decodes,
            Consumer<Throwable> onFatal) {
        this.settings = settings;
        this.metrics = metrics;
        this.decodes = decodes;
        this.onFatal = onFatal;
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Path> entry : settings.models().entrySet()) {
            try (Bundle bundle = Bundle.open(entry.getValue())) {
                models.put(entry.getKey(), new Model(entry.getKey(), entry.getValue(),
                        bundle.manifest()));
            } catch (BundleException e) {
                problems.add("kodiak.models." + entry.getKey() + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ServerSettings.InvalidSettingsException("Invalid configuration: "
                    + String.join("; ", problems));
        }
    }

    /** Loads and warms up every model on a background thread. */
    void startLoading() {
        loader = Thread.ofPlatform().name("kodiak-model-loader").daemon(true).start(() -> {
            for (Model model : models.values()) {
                if (closed) {
                    return; // stopped while loading
                }
                try {
                    long start = System.nanoTime();
                    Classifier classifier = Classifier.open(settings.classifierConfig(
                            model.bundle));
                    model.pipeline = new ModelPipeline(model.name, classifier, decodes,
                            settings.batching(), metrics);
                    LOG.log(System.Logger.Level.INFO, "model {0} {1} ready in {2} ms",
                            model.name, model.manifest.version(),
                            (System.nanoTime() - start) / 1_000_000);
                } catch (BundleException | RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "model " + model.name + " failed to load",
                            e);
                    onFatal.accept(e);
                    return;
                }
            }
        });
    }

    /**
     * Waits for the background loading (tests and the command line).
     *
     * @param timeout the longest wait
     * @return whether every model is loaded
     */
    boolean awaitReady(Duration timeout) throws InterruptedException {
        Thread t = loader;
        if (t != null) {
            t.join(timeout);
        }
        return ready();
    }

    /** @return true once every model is loaded and warmed up */
    boolean ready() {
        return models.values().stream().allMatch(Model::loaded);
    }

    /** @return every model, in configuration order */
    Collection<Model> models() {
        return models.values();
    }

    /** @return the default model's name */
    String defaultModel() {
        return settings.defaultModel();
    }

    /**
     * Finds a model by name.
     *
     * @throws ApiException 404 naming the models that exist
     */
    Model require(String name) {
        Model model = models.get(name);
        if (model == null) {
            throw new ApiException(Status.NOT_FOUND_404, "MODEL_NOT_FOUND", "No model named '"
                    + name + "'; this server has " + models.keySet());
        }
        return model;
    }

    /**
     * Stops loading, drains the batchers, then releases the models, all within {@link #DRAIN}
     * (after the web server's own grace period); a model whose workers are still inside a
     * forward pass by then is left to the process's exit rather than freed under it.
     */
    @Override
    public void close() {
        closed = true;
        long deadline = System.nanoTime() + DRAIN.toNanos();
        Thread t = loader;
        if (t != null) {
            try {
                t.join(left(deadline));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Model model : models.values()) {
            ModelPipeline pipeline = model.pipeline;
            if (pipeline != null && pipeline.drain(left(deadline))) {
                pipeline.close();
            } else if (pipeline != null) {
                LOG.log(System.Logger.Level.WARNING, "model {0} still runs a forward pass; "
                        + "not closing it", model.name);
            }
        }
    }

    private static Duration left(long deadline) {
        return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
    }
}
