package dev.kodiak.server;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.BundleException;
import io.helidon.http.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The models this server serves and their versions: the single bundles of {@code kodiak.models}
 * (version 1 each) and the model repository ({@code kodiak.model-repository}). It loads,
 * reloads and unloads versions, one change at a time on its own thread, and swaps a version in
 * only once it is loaded, checked (checksums, the bundle's probe) and warmed up; the version it
 * replaces finishes its requests and is closed after. A version that fails to load never
 * replaces a working one: the failure is logged, counted in a metric and shown in the index.
 *
 * <p>Changes come from a poll of the repository ({@code kodiak.model-repository-poll}) and from
 * the repository extension's routes: load, unload, and the serving settings of a model.
 *
 * <p>Thread-safe.
 */
final class ModelManager implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ModelManager.class.getName());

    /**
     * How long stopping may take after the web server's grace period: a model still loading,
     * then the queued forward passes of every version. Deployment files add it to their grace.
     */
    static final Duration DRAIN = Duration.ofSeconds(10);

    /** How long an explicit load may take before its route answers. */
    static final Duration LOAD_WAIT = Duration.ofMinutes(5);

    private final ServerSettings settings;
    private final ServerMetrics metrics;
    private final DecodeStage decodes;
    private final Consumer<Throwable> onFatal;
    private final ModelRepository repository;
    private final Map<String, ServedModel> models = new java.util.concurrent.ConcurrentSkipListMap<>();
    private final List<String> staticNames = new ArrayList<>();
    private final ExecutorService loader = Executors.newSingleThreadExecutor(r -> Thread
            .ofPlatform().name("kodiak-model-loader").daemon(true).unstarted(r));
    private final ExecutorService closer = Executors.newSingleThreadExecutor(r -> Thread
            .ofPlatform().name("kodiak-model-closer").daemon(true).unstarted(r));
    private final CountDownLatch started = new CountDownLatch(1);
    private ScheduledExecutorService poller;
    private volatile boolean closed;

    /**
     * Checks every single bundle of {@code kodiak.models} (manifest, files, checksums), so a bad
     * path fails the start with a clear message.
     *
     * @param settings what to serve
     * @param metrics where loads and answers are counted
     * @param decodes the decode stage every version shares
     * @param onFatal called if a model of {@code kodiak.models} fails to load at start
     * @throws ServerSettings.InvalidSettingsException naming the key of each bad bundle
     */
    ModelManager(ServerSettings settings, ServerMetrics metrics, DecodeStage decodes,
            Consumer<Throwable> onFatal) {
        this.settings = settings;
        this.metrics = metrics;
        this.decodes = decodes;
        this.onFatal = onFatal;
        this.repository = settings.modelRepository().map(ModelRepository::new).orElse(null);
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Path> entry : settings.models().entrySet()) {
            try (Bundle bundle = Bundle.open(entry.getValue())) {
                bundle.manifest();
                models.put(entry.getKey(), new ServedModel(entry.getKey(), entry.getValue()));
                staticNames.add(entry.getKey());
            } catch (BundleException e) {
                problems.add("kodiak.models." + entry.getKey() + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ServerSettings.InvalidSettingsException("Invalid configuration: "
                    + String.join("; ", problems));
        }
    }

    /**
     * Loads every model in the background: the single bundles first (a failure there is fatal,
     * as the configuration demands them), then the repository; then starts the poll.
     */
    void startLoading() {
        loader.execute(() -> {
            try {
                for (String name : staticNames) {
                    ServedModel model = models.get(name);
                    reconcileBundle(model);
                    if (!model.isReady() && !closed) {
                        ModelVersion failed = model.versions().get(1);
                        onFatal.accept(new IllegalStateException("model " + name
                                + " failed to load: " + (failed == null ? "stopped"
                                : failed.reason())));
                        return;
                    }
                }
                if (repository != null && !closed) {
                    scanAll();
                }
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.ERROR, "loading the models failed", e);
                onFatal.accept(e);
                return;
            } finally {
                started.countDown();
            }
            Duration poll = settings.modelRepositoryPoll();
            if (repository != null && !poll.isZero() && !closed) {
                poller = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                        .name("kodiak-model-poll").daemon(true).unstarted(r));
                poller.scheduleWithFixedDelay(() -> submit(this::scanAll), poll.toMillis(),
                        poll.toMillis(), TimeUnit.MILLISECONDS);
            }
        });
    }

    /** Runs a change on the loader; a change already queued is enough for a poll. */
    private Future<?> submit(Runnable change) {
        if (closed) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        return loader.submit(() -> {
            try {
                change.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "a model change failed", e);
            }
        });
    }

    /** Reads the whole repository and brings every model of it in line. */
    private void scanAll() {
        Map<String, ModelRepository.Model> found = repository.scan();
        for (ModelRepository.Model m : found.values()) {
            if (closed) {
                return;
            }
            ServedModel model = models.computeIfAbsent(m.name(), n -> new ServedModel(n, null));
            if (model.bundle() != null) {
                LOG.log(System.Logger.Level.WARNING, "model {0} is both in kodiak.models and in "
                        + "the repository; serving the single bundle", m.name());
                continue;
            }
            reconcile(model, m);
        }
        for (ServedModel model : models.values()) {
            if (model.bundle() == null && !found.containsKey(model.name())) {
                reconcile(model, new ModelRepository.Model(model.name(), Map.of(),
                        Serving.DEFAULT, null));
            } else if (model.bundle() != null) {
                reconcileBundle(model);
            }
        }
    }

    private void reconcileBundle(ServedModel model) {
        reconcile(model, new ModelRepository.Model(model.name(), Map.of(1,
                new ModelRepository.Found(1, model.bundle(),
                        ModelRepository.fingerprint(model.bundle()))), Serving.DEFAULT, null));
    }

    /**
     * Brings one model in line with what is on disk and its serving settings: loads the
     * versions wanted that are not loaded (or whose files changed), swaps each in once ready,
     * and retires the versions no longer wanted. Runs on the loader thread only.
     */
    private void reconcile(ServedModel model, ModelRepository.Model found) {
        if (found.problem() != null && !found.problem().equals(model.servingProblem())) {
            LOG.log(System.Logger.Level.WARNING, "model {0}: {1}", model.name(),
                    found.problem());
        }
        model.servingFromFile(found.serving(), found.problem());
        model.onDisk(found.versions());
        if (model.unloaded()) {
            return;
        }
        Map<Integer, ModelRepository.Found> disk = found.versions();
        Set<Integer> broken = new HashSet<>();
        for (Map.Entry<Integer, ModelVersion> e : model.versions().entrySet()) {
            ModelRepository.Found f = disk.get(e.getKey());
            ModelVersion v = e.getValue();
            if (f != null && v.state() == ModelVersion.State.UNAVAILABLE
                    && v.fingerprint().equals(f.fingerprint())) {
                broken.add(e.getKey()); // failed with these very files: not again
            }
        }
        NavigableSet<Integer> wanted;
        while (true) {
            wanted = model.serving().wanted(disk.keySet(), broken);
            boolean failed = false;
            for (int v : wanted.descendingSet()) {
                if (closed) {
                    return;
                }
                if (!load(model, disk.get(v))) {
                    failed |= broken.add(v);
                }
            }
            if (!failed || model.serving().policy() != Serving.Policy.LATEST) {
                break; // for latest, a failed newest version hands over to the next one down
            }
        }
        for (Map.Entry<Integer, ModelVersion> e : model.versions().entrySet()) {
            int v = e.getKey();
            ModelVersion mv = e.getValue();
            if (mv.state() == ModelVersion.State.UNLOADING
                    || wanted.contains(v) && (mv.state() != ModelVersion.State.UNAVAILABLE
                    || disk.containsKey(v))) {
                continue;
            }
            if (mv.state() == ModelVersion.State.UNAVAILABLE) {
                if (!disk.containsKey(v)) {
                    model.remove(v, mv); // a failed version whose folder is gone
                }
            } else {
                String why = !disk.containsKey(v) ? "removed from the repository"
                        : "not in the version policy (" + model.serving().policy().name()
                        .toLowerCase(java.util.Locale.ROOT) + ")";
                retire(model, mv, why);
            }
        }
    }

    /**
     * Makes one version serve its current files, unless it already does.
     *
     * @return false when it could not be loaded (nothing of it serves, or its previous files
     *     keep serving)
     */
    private boolean load(ServedModel model, ModelRepository.Found found) {
        int v = found.version();
        ModelVersion current = model.versions().get(v);
        if (current != null && current.state() == ModelVersion.State.UNLOADING) {
            current = null; // on its way out: load it again
        }
        if (current != null && current.fingerprint().equals(found.fingerprint())) {
            return current.state() != ModelVersion.State.UNAVAILABLE;
        }
        ModelId id = new ModelId(model.name(), v);
        boolean serving = current != null && current.state() == ModelVersion.State.READY;
        if (!serving) {
            model.put(ModelVersion.loading(id, found.source(), found.fingerprint()));
        }
        ModelVersion loaded = open(id, found);
        if (loaded.state() == ModelVersion.State.READY) {
            model.put(loaded); // the swap: from here on requests get the new version
            if (serving) {
                retire(model, current, "replaced by new files of the same version");
            }
            return true;
        }
        if (serving) {
            current.note("new files of version " + v + " failed to load, still serving the "
                    + "previous ones: " + loaded.reason());
        } else {
            model.put(loaded);
        }
        return false;
    }

    /** Opens, checks and warms up a version; never throws. */
    private ModelVersion open(ModelId id, ModelRepository.Found found) {
        long start = System.nanoTime();
        ModelVersion version = ModelVersion.loading(id, found.source(), found.fingerprint());
        try {
            Classifier classifier = Classifier.open(settings.classifierConfig(found.source()));
            ModelPipeline pipeline;
            try {
                pipeline = new ModelPipeline(id, classifier, decodes, settings.batching(),
                        metrics);
            } catch (RuntimeException e) {
                classifier.close();
                throw e;
            }
            version.ready(pipeline, metrics.queueDepth(id, pipeline::queueDepth,
                    pipeline.classifier().precision()));
            LOG.log(System.Logger.Level.INFO, "{0} ({1} {2}) ready in {3} ms", id,
                    classifier.manifest().name(), classifier.manifest().version(),
                    (System.nanoTime() - start) / 1_000_000);
            return version;
        } catch (BundleException | RuntimeException | LinkageError e) {
            metrics.loadFailure(id);
            LOG.log(System.Logger.Level.WARNING, "{0} failed to load from {1}: {2}", id,
                    found.source(), e.getMessage());
            return ModelVersion.unavailable(id, found.source(), found.fingerprint(),
                    e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /**
     * Takes a version out of service; it shows as UNLOADING until it is closed, then leaves the
     * model's versions (unless a new load of its number took its place meanwhile).
     */
    private void retire(ServedModel model, ModelVersion version, String why) {
        version.retire(closer, DRAIN, why, () -> model.remove(version.id().version(), version));
    }

    /**
     * Waits for the first load (tests and the command line).
     *
     * @param timeout the longest wait
     * @return whether every model is ready
     * @throws InterruptedException if interrupted while waiting
     */
    boolean awaitReady(Duration timeout) throws InterruptedException {
        started.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return ready();
    }

    /**
     * Whether the server may take traffic: the first load is done and every model of
     * {@code kodiak.models} serves. A model of the repository that has no loadable version does
     * not make the whole server unready: the index says what is wrong with it. Stays true
     * through swaps, since a version is swapped out only for one that serves.
     *
     * @return true when ready
     */
    boolean ready() {
        if (started.getCount() > 0) {
            return false;
        }
        for (String name : staticNames) {
            ServedModel model = models.get(name);
            if (model == null || !model.isReady() && !model.unloaded()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Returns every model.
     *
     * @return the models, by name
     */
    Collection<ServedModel> models() {
        return models.values();
    }

    /**
     * Returns the model behind unnamed routes.
     *
     * @return its name
     */
    String defaultModel() {
        String configured = settings.defaultModel();
        if (!configured.isEmpty() || models.isEmpty()) {
            return configured;
        }
        return models.keySet().iterator().next(); // the repository's first, in name order
    }

    /**
     * Finds a model by name.
     *
     * @param name the name
     * @return the model
     * @throws ApiException 404 naming the models that exist
     */
    ServedModel require(String name) {
        ServedModel model = name == null ? null : models.get(name);
        if (model == null) {
            throw new ApiException(Status.NOT_FOUND_404, "MODEL_NOT_FOUND", "No model named '"
                    + name + "'; this server has " + models.keySet());
        }
        return model;
    }

    /** An entry of the repository index. */
    record IndexEntry(String name, String version, String state, String reason) {
    }

    /**
     * Describes every model and version: the repository extension's index.
     *
     * @param readyOnly only the versions serving now
     * @return one entry per version (or per model with none)
     */
    List<IndexEntry> index(boolean readyOnly) {
        if (repository != null && !closed) {
            // a model added to the folder since the last poll is listed too
            for (String name : repository.scan().keySet()) {
                models.computeIfAbsent(name, n -> new ServedModel(n, null));
            }
        }
        List<IndexEntry> entries = new ArrayList<>();
        for (ServedModel model : models.values()) {
            Map<Integer, ModelVersion> loaded = model.versions();
            Set<Integer> numbers = new TreeSet<>(loaded.keySet());
            numbers.addAll(model.onDisk().keySet());
            if (numbers.isEmpty() && !readyOnly) {
                entries.add(new IndexEntry(model.name(), "", "UNAVAILABLE", model.unloaded()
                        ? "unloaded" : "no versions (folders named by a positive integer)"));
            }
            for (int v : numbers) {
                ModelVersion mv = loaded.get(v);
                String state = mv == null ? "UNAVAILABLE" : mv.state().name();
                if (readyOnly && !state.equals("READY")) {
                    continue;
                }
                String reason = mv != null ? mv.reason() : model.unloaded() ? "unloaded"
                        : "not loaded: not in the version policy (" + model.serving().policy()
                        .name().toLowerCase(java.util.Locale.ROOT) + ")";
                entries.add(new IndexEntry(model.name(), Integer.toString(v), state, reason));
            }
        }
        return entries;
    }

    /**
     * Loads a model, or reloads it, as the repository has it now, and waits until it is done.
     *
     * @param name the model
     * @throws ApiException 404 for a model neither configured nor in the repository, 400 when
     *     no version of it could be loaded (naming why)
     */
    void load(String name) {
        run(() -> {
            ServedModel model = models.get(name);
            ModelRepository.Model found = repository == null ? null : repository.scan(name);
            if (model != null && model.bundle() != null) {
                model.unloaded(false);
                reconcileBundle(model);
            } else if (found == null) {
                throw new ApiException(Status.NOT_FOUND_404, "MODEL_NOT_FOUND", "No model named '"
                        + name + "' in " + (repository == null ? "this server's configuration"
                        : "the model repository " + repository.root()));
            } else {
                model = models.computeIfAbsent(name, n -> new ServedModel(n, null));
                model.unloaded(false);
                reconcile(model, found);
            }
            if (!model.isReady()) {
                throw ApiException.badRequest("MODEL_NOT_LOADED", "Model '" + name + "' has no "
                        + "version that loads: " + reasons(model));
            }
        });
    }

    /**
     * Unloads every version of a model; each finishes its requests first. It stays unloaded
     * (the poll leaves it alone) until it is loaded again.
     *
     * @param name the model
     * @throws ApiException 404 for a model this server does not know
     */
    void unload(String name) {
        run(() -> {
            ServedModel model = require(name);
            model.unloaded(true);
            for (ModelVersion v : new ArrayList<>(model.versions().values())) {
                retire(model, v, "unloaded");
            }
        });
    }

    /**
     * Sets a model's serving settings at run time (they win over its {@code serving.json}),
     * loads the versions they name and waits until they serve.
     *
     * @param name a model of the repository
     * @param serving the settings
     * @throws ApiException 404 for an unknown model, 400 for versions the repository does not
     *     have or that do not load
     */
    void serve(String name, Serving serving) {
        run(() -> {
            ServedModel model = require(name);
            if (model.bundle() != null) {
                throw ApiException.badRequest("NOT_IN_REPOSITORY", "Model '" + name + "' is a "
                        + "single bundle of kodiak.models, which has one version; serving "
                        + "settings are for models of the repository");
            }
            ModelRepository.Model found = repository.scan(name);
            Set<Integer> named = new TreeSet<>(serving.weights().keySet());
            named.addAll(serving.specific());
            if (serving.shadow() > 0) {
                named.add(serving.shadow());
            }
            Set<Integer> onDisk = found == null ? Set.of() : found.versions().keySet();
            named.removeAll(onDisk);
            if (!named.isEmpty()) {
                throw ApiException.badRequest("VERSION_NOT_FOUND", "Model '" + name + "' has no "
                        + "version " + named + " in the repository; it has " + onDisk);
            }
            Serving before = model.serving();
            model.override(serving);
            reconcile(model, found);
            List<Integer> failing = new ArrayList<>();
            for (int v : serving.weights().keySet()) {
                ModelVersion mv = model.versions().get(v);
                if (serving.weights().get(v) > 0
                        && (mv == null || mv.state() != ModelVersion.State.READY)) {
                    failing.add(v);
                }
            }
            if (!failing.isEmpty()) {
                model.override(before);
                reconcile(model, found);
                throw ApiException.badRequest("MODEL_NOT_LOADED", "Versions " + failing + " of "
                        + "model '" + name + "' do not load, so the traffic split was not "
                        + "changed: " + reasons(model));
            }
        });
    }

    private static String reasons(ServedModel model) {
        List<String> reasons = new ArrayList<>();
        model.versions().forEach((v, mv) -> {
            if (!mv.reason().isEmpty()) {
                reasons.add("version " + v + ": " + mv.reason());
            }
        });
        return reasons.isEmpty() ? "the repository has no version of it" : String.join("; ",
                reasons);
    }

    /** Runs a change on the loader and waits for it; its ApiException reaches the caller. */
    private void run(Runnable change) {
        if (closed) {
            throw ApiException.overloaded("The server is stopping; retry elsewhere");
        }
        Future<?> done = loader.submit(change);
        try {
            done.get(LOAD_WAIT.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ApiException api) {
                throw api;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new ApiException(Status.SERVICE_UNAVAILABLE_503, "LOAD_TIMEOUT", "The change "
                    + "is still running after " + LOAD_WAIT.toMinutes() + " minutes; see "
                    + "/v2/repository/index for its outcome", "30");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.overloaded("The server is stopping; retry elsewhere");
        }
    }

    /**
     * Stops loading and polling, then retires every version: each finishes its queue and is
     * closed, all within {@link #DRAIN} (after the web server's own grace period).
     */
    @Override
    public void close() {
        closed = true;
        if (poller != null) {
            poller.shutdownNow();
        }
        loader.shutdown();
        try {
            loader.awaitTermination(DRAIN.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<ModelVersion> all = new ArrayList<>();
        for (ServedModel model : models.values()) {
            for (ModelVersion v : new ArrayList<>(model.versions().values())) {
                all.add(v);
                retire(model, v, "the server is stopping");
            }
        }
        closer.shutdown();
        try {
            if (!closer.awaitTermination(DRAIN.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "models still draining after {0} s: {1}",
                        DRAIN.toSeconds(), all);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The single bundles' names, in configuration order, for the readiness details. */
    List<String> configured() {
        return List.copyOf(staticNames);
    }

    /** The state of every model, for the readiness check's details. */
    Map<String, String> states() {
        Map<String, String> states = new LinkedHashMap<>();
        models.values().forEach(m -> states.put(m.name(), m.isReady() ? "ready"
                : m.versions().values().stream().anyMatch(v -> v.state()
                == ModelVersion.State.LOADING) || started.getCount() > 0 ? "loading"
                : m.unloaded() ? "unloaded" : "unavailable"));
        return states;
    }
}
