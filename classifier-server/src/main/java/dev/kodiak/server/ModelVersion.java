package dev.kodiak.server;

import dev.kodiak.core.bundle.Manifest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * One version of a served model, from the moment it starts loading until it is closed. Requests
 * hold a {@link Lease} on the version they were routed to, for as long as they use it; a version
 * taken out of service ({@link #retire}) takes no new lease, and is drained and closed by the
 * last lease's release, so a request never finds its model closed under it, and a swap drops no
 * request.
 *
 * <p>Thread-safe.
 */
final class ModelVersion {
    private static final System.Logger LOG = System.getLogger(ModelVersion.class.getName());

    /** The states of the model repository extension, as {@code /v2/repository/index} names them. */
    enum State {
        /** Being loaded, checked and warmed up; takes no traffic yet. */
        LOADING,
        /** Serving. */
        READY,
        /** Could not be loaded, or was unloaded; {@link #reason()} says why. */
        UNAVAILABLE,
        /** Taken out of service; finishing the requests it has, then closed. */
        UNLOADING
    }

    private final ModelId id;
    private final Path source;
    private final String fingerprint;
    private final Object lock = new Object();
    private volatile State state;
    private volatile String reason;
    private ModelPipeline pipeline;
    private Runnable unregister;
    private int leases;
    private boolean retired;
    private Executor closer;
    private Duration drain;
    private Runnable onClosed;

    private ModelVersion(ModelId id, Path source, String fingerprint, State state,
            String reason) {
        this.id = id;
        this.source = source;
        this.fingerprint = fingerprint;
        this.state = state;
        this.reason = reason;
    }

    /**
     * A version about to be loaded.
     *
     * @param id the model and version
     * @param source its bundle folder or zip
     * @param fingerprint what its files looked like when it was read (a change means reload)
     * @return the version, {@link State#LOADING}
     */
    static ModelVersion loading(ModelId id, Path source, String fingerprint) {
        return new ModelVersion(id, source, fingerprint, State.LOADING, "");
    }

    /**
     * A version that cannot be served.
     *
     * @param id the model and version
     * @param source its bundle folder or zip
     * @param fingerprint what its files looked like when it failed
     * @param reason why, with what to do
     * @return the version, {@link State#UNAVAILABLE}
     */
    static ModelVersion unavailable(ModelId id, Path source, String fingerprint, String reason) {
        return new ModelVersion(id, source, fingerprint, State.UNAVAILABLE, reason);
    }

    /**
     * Puts the loaded, checked and warmed-up pipeline in service.
     *
     * @param loaded the version's pipeline
     * @param unregisterMetrics removes the version's gauges once it is closed
     */
    void ready(ModelPipeline loaded, Runnable unregisterMetrics) {
        synchronized (lock) {
            this.pipeline = loaded;
            this.unregister = unregisterMetrics;
            this.state = State.READY;
            this.reason = "";
        }
    }

    /**
     * Takes a lease: the caller may use the pipeline until it closes the lease.
     *
     * @return the lease, or null when the version is not (or no longer) serving
     */
    Lease acquire() {
        synchronized (lock) {
            if (retired || state != State.READY) {
                return null;
            }
            leases++;
            return new Lease(this, pipeline);
        }
    }

    private void release() {
        boolean last;
        synchronized (lock) {
            leases--;
            last = retired && leases == 0;
        }
        if (last) {
            closer.execute(this::close);
        }
    }

    /**
     * Takes the version out of service: no new lease; once the last one is released its queue
     * drains and its model is closed, on the closer.
     *
     * @param closerThreads where draining and closing run (never a request's thread)
     * @param drainTime how long the queue may take to empty once no request holds the version
     * @param why the reason the index shows while it unloads
     * @param closed run once it is closed (its model released)
     */
    void retire(Executor closerThreads, Duration drainTime, String why, Runnable closed) {
        boolean now;
        synchronized (lock) {
            if (retired) {
                return;
            }
            retired = true;
            this.closer = closerThreads;
            this.drain = drainTime;
            this.onClosed = closed;
            now = leases == 0;
            state = State.UNLOADING;
            reason = why;
        }
        if (now) {
            closerThreads.execute(this::close);
        }
    }

    private void close() {
        ModelPipeline p;
        synchronized (lock) {
            p = pipeline;
            pipeline = null;
        }
        if (p != null) {
            if (p.drain(drain)) {
                p.close();
            } else {
                LOG.log(System.Logger.Level.WARNING, "{0} still runs a forward pass after {1} "
                        + "ms; not closing it", id, drain.toMillis());
            }
            if (unregister != null) {
                unregister.run();
            }
            LOG.log(System.Logger.Level.INFO, "{0} unloaded", id);
        }
        state = State.UNAVAILABLE;
        reason = "unloaded";
        if (onClosed != null) {
            onClosed.run();
        }
    }

    /**
     * Returns the model and version.
     *
     * @return the id
     */
    ModelId id() {
        return id;
    }

    /**
     * Returns where the version's bundle is.
     *
     * @return its folder or zip
     */
    Path source() {
        return source;
    }

    /**
     * Returns what the version's files looked like when they were read.
     *
     * @return an opaque text; another one means the files changed
     */
    String fingerprint() {
        return fingerprint;
    }

    /**
     * Returns the state.
     *
     * @return where the version is in its life
     */
    State state() {
        return state;
    }

    /**
     * Returns why the version is in its state.
     *
     * @return the reason, empty when there is none to give
     */
    String reason() {
        return reason;
    }

    /**
     * Notes a problem that does not change the state (a reload of this version's number that
     * failed while this one keeps serving).
     *
     * @param why what went wrong
     */
    void note(String why) {
        this.reason = why;
    }

    /**
     * Returns the manifest of a loaded version.
     *
     * @return the manifest, or null when not loaded
     */
    Manifest manifest() {
        synchronized (lock) {
            return pipeline == null ? null : pipeline.manifest();
        }
    }

    /**
     * Returns how many requests hold the version now.
     *
     * @return the leases held
     */
    int leases() {
        synchronized (lock) {
            return leases;
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return id + " (" + state + (reason.isEmpty() ? "" : ": " + reason) + ")";
    }

    /**
     * A request's hold on a version: the version stays open until the lease is closed, once.
     * Not thread-safe: one request uses it.
     */
    static final class Lease implements AutoCloseable {
        private final ModelVersion version;
        private final ModelPipeline pipeline;
        private boolean closed;

        private Lease(ModelVersion version, ModelPipeline pipeline) {
            this.version = version;
            this.pipeline = pipeline;
        }

        /**
         * Returns the version's pipeline.
         *
         * @return the pipeline, open until the lease is closed
         */
        ModelPipeline pipeline() {
            return pipeline;
        }

        /**
         * Returns the model and version held.
         *
         * @return the id
         */
        ModelId id() {
            return version.id();
        }

        /** Releases the version. */
        @Override
        public void close() {
            if (!closed) {
                closed = true;
                version.release();
            }
        }
    }
}
