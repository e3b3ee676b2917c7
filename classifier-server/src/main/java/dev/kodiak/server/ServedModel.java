package dev.kodiak.server;

import dev.kodiak.core.bundle.Manifest;
import io.helidon.http.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * One served model, by name, and its versions: which serve, which load or failed to, and how
 * requests are routed between them ({@link Serving}). Requests get a {@link ModelVersion.Lease}
 * from {@link #route} (unversioned: the traffic split) or {@link #version} (explicit); the
 * {@link ModelManager} changes the versions, swapping a new one in only once it is ready.
 *
 * <p>Thread-safe: the versions are in a concurrent map and the serving settings are replaced
 * whole.
 */
final class ServedModel {
    private final String name;
    private final Path bundle;
    private final NavigableMap<Integer, ModelVersion> versions = new ConcurrentSkipListMap<>();
    private volatile Serving fromFile = Serving.DEFAULT;
    private volatile Serving override;
    private volatile String servingProblem;
    private volatile boolean unloaded;

    /**
     * A model.
     *
     * @param name its name
     * @param bundle its one bundle when configured in {@code kodiak.models} (version 1), or null
     *     for a model of the repository
     */
    ServedModel(String name, Path bundle) {
        this.name = name;
        this.bundle = bundle;
    }

    /**
     * Returns the model's name.
     *
     * @return the name in URLs
     */
    String name() {
        return name;
    }

    /**
     * Returns the bundle of a model configured as a single bundle.
     *
     * @return its path, or null for a model of the repository
     */
    Path bundle() {
        return bundle;
    }

    /**
     * Returns the versions, by number: serving, loading, failed or unloading.
     *
     * @return the live map (read only)
     */
    NavigableMap<Integer, ModelVersion> versions() {
        return versions;
    }

    void put(ModelVersion version) {
        versions.put(version.id().version(), version);
    }

    void remove(int version, ModelVersion expected) {
        versions.remove(version, expected);
    }

    /**
     * Returns how the model is served now: the run-time setting, else the repository's file.
     *
     * @return the serving settings
     */
    Serving serving() {
        Serving o = override;
        return o != null ? o : fromFile;
    }

    void servingFromFile(Serving serving, String problem) {
        this.fromFile = serving;
        this.servingProblem = problem;
    }

    void override(Serving serving) {
        this.override = serving;
    }

    /**
     * Returns what is wrong with the model's {@code serving.json}.
     *
     * @return the problem, or null
     */
    String servingProblem() {
        return servingProblem;
    }

    boolean unloaded() {
        return unloaded;
    }

    void unloaded(boolean value) {
        this.unloaded = value;
    }

    /**
     * Returns the versions serving now.
     *
     * @return their numbers
     */
    NavigableSet<Integer> ready() {
        NavigableSet<Integer> ready = new TreeSet<>();
        versions.forEach((v, mv) -> {
            if (mv.state() == ModelVersion.State.READY) {
                ready.add(v);
            }
        });
        return ready;
    }

    /**
     * Whether any version serves.
     *
     * @return true when at least one is ready
     */
    boolean isReady() {
        return !ready().isEmpty();
    }

    /**
     * Returns the version an unversioned request gets when no traffic split is set: for the
     * model's description.
     *
     * @return the highest serving version that is not the shadow (the shadow only when nothing
     *     else serves), or 0 when none serves
     */
    int defaultVersion() {
        NavigableSet<Integer> ready = ready();
        int shadow = serving().shadow();
        for (int v : ready.descendingSet()) {
            if (v != shadow) {
                return v;
            }
        }
        return ready.isEmpty() ? 0 : ready.last();
    }

    private int pick(String key) {
        return serving().choose(ready(), key);
    }

    /** The versions the repository held at the last look, by number (empty for one bundle). */
    private volatile java.util.Map<Integer, ModelRepository.Found> onDisk = java.util.Map.of();

    java.util.Map<Integer, ModelRepository.Found> onDisk() {
        return onDisk;
    }

    void onDisk(java.util.Map<Integer, ModelRepository.Found> found) {
        this.onDisk = java.util.Map.copyOf(found);
    }

    /**
     * Routes an unversioned request: the traffic split, or the routing key's version.
     *
     * @param routingKey the request's {@code kodiak-routing-key}, or null
     * @return a lease on the version that answers
     * @throws ApiException 503 while no version serves (loading, or none loads)
     */
    ModelVersion.Lease route(String routingKey) {
        for (int attempt = 0; attempt < 8; attempt++) {
            int v = pick(routingKey);
            if (v == 0) {
                break;
            }
            ModelVersion version = versions.get(v);
            ModelVersion.Lease lease = version == null ? null : version.acquire();
            if (lease != null) {
                return lease; // else it was swapped out in between: choose again
            }
        }
        throw notServing();
    }

    /**
     * Gives an explicitly versioned request its version.
     *
     * @param version the version asked for
     * @return a lease on it
     * @throws ApiException 404 for a version the model does not have or that does not serve,
     *     503 while it loads
     */
    ModelVersion.Lease version(int version) {
        ModelVersion v = versions.get(version);
        if (v == null) {
            throw new ApiException(Status.NOT_FOUND_404, "VERSION_NOT_FOUND", "Model '" + name
                    + "' has no version " + version + "; it has " + listing());
        }
        ModelVersion.Lease lease = v.acquire();
        if (lease != null) {
            return lease;
        }
        if (v.state() == ModelVersion.State.LOADING) {
            throw new ApiException(Status.SERVICE_UNAVAILABLE_503, "MODEL_LOADING", "Version "
                    + version + " of model '" + name + "' is still loading; try again in a few "
                    + "seconds", "2");
        }
        throw new ApiException(Status.NOT_FOUND_404, "VERSION_NOT_FOUND", "Version " + version
                + " of model '" + name + "' does not serve (" + v.state()
                + (v.reason().isEmpty() ? "" : ": " + v.reason()) + "); it has " + listing());
    }

    /**
     * The shadow version for a request a live version answered.
     *
     * @param live the version that answered
     * @return the shadow, ready and not the live one; or null
     */
    ModelVersion shadowOf(ModelId live) {
        int s = serving().shadow();
        if (s == 0 || s == live.version()) {
            return null;
        }
        ModelVersion v = versions.get(s);
        return v != null && v.state() == ModelVersion.State.READY ? v : null;
    }

    /**
     * Returns a serving version's manifest, for describing the model.
     *
     * @return the default version's manifest, else any serving one's, else null
     */
    Manifest manifest() {
        int d = defaultVersion();
        ModelVersion v = d == 0 ? null : versions.get(d);
        Manifest m = v == null ? null : v.manifest();
        if (m != null) {
            return m;
        }
        for (ModelVersion any : versions.values()) {
            Manifest candidate = any.manifest();
            if (candidate != null) {
                return candidate;
            }
        }
        return null;
    }

    private ApiException notServing() {
        boolean loading = versions.values().stream()
                .anyMatch(v -> v.state() == ModelVersion.State.LOADING);
        if (loading || versions.isEmpty() && !unloaded) {
            return new ApiException(Status.SERVICE_UNAVAILABLE_503, "MODEL_LOADING", "Model '"
                    + name + "' is still loading; try again in a few seconds", "2");
        }
        return new ApiException(Status.SERVICE_UNAVAILABLE_503, "MODEL_UNAVAILABLE", "Model '"
                + name + "' has no version that serves (" + listing() + "); see "
                + "/v2/repository/index", "10");
    }

    /** The versions and their states, for messages. */
    String listing() {
        List<String> parts = new ArrayList<>();
        versions.forEach((v, mv) -> parts.add(v + " " + mv.state().name().toLowerCase(
                java.util.Locale.ROOT)));
        return parts.isEmpty() ? "no versions" : "versions " + String.join(", ", parts);
    }
}
