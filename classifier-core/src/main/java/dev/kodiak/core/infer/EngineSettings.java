package dev.kodiak.core.infer;

import ai.djl.engine.Engine;

/**
 * Process-wide settings of the PyTorch engine. libtorch reads its thread counts once, when the
 * engine starts, so the first model loaded in a process decides them; a later, different request
 * is logged and ignored.
 *
 * @param intraOpThreads threads inside one operator (a convolution), 0 for libtorch's default
 * @param interOpThreads threads running independent operators, 0 for libtorch's default
 */
public record EngineSettings(int intraOpThreads, int interOpThreads) {
    private static final System.Logger LOG = System.getLogger(EngineSettings.class.getName());

    /**
     * Checks the thread counts.
     *
     * @throws IllegalArgumentException if a count is negative
     */
    public EngineSettings {
        if (intraOpThreads < 0 || interOpThreads < 0) {
            throw new IllegalArgumentException("Invalid threads: intra-op " + intraOpThreads
                    + ", inter-op " + interOpThreads + "; use 0 for the default or a positive "
                    + "count");
        }
    }

    /**
     * Returns libtorch's defaults (threads per physical core).
     *
     * @return settings with both counts 0
     */
    public static EngineSettings defaults() {
        return new EngineSettings(0, 0);
    }

    /** Sets DJL's system properties unless the user has set them: offline, no telemetry. */
    void applyBeforeEngineStart() {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
        // The profiling graph executor recompiles during the first calls and makes latency
        // jumpy; Kodiak's models are small CNNs that gain nothing from it.
        setIfAbsent("ai.djl.pytorch.graph_optimizer", "false");
        if (intraOpThreads > 0) {
            setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(intraOpThreads));
        }
        if (interOpThreads > 0) {
            setIfAbsent("ai.djl.pytorch.num_interop_threads", Integer.toString(interOpThreads));
        }
    }

    void checkApplied(Engine engine) {
        String intra = System.getProperty("ai.djl.pytorch.num_threads");
        if (intraOpThreads > 0 && !Integer.toString(intraOpThreads).equals(intra)) {
            LOG.log(System.Logger.Level.WARNING, "libtorch already runs with {0} intra-op "
                    + "threads (set by an earlier model or -Dai.djl.pytorch.num_threads); the "
                    + "requested {1} is ignored", intra, intraOpThreads);
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
