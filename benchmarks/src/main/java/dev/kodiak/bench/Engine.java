package dev.kodiak.bench;

import dev.kodiak.core.infer.EngineSettings;

/** The libtorch threads every benchmark runs with: one per core, recorded in the report. */
final class Engine {
    static final int THREADS = Integer.getInteger("kodiak.bench.threads",
            Runtime.getRuntime().availableProcessors());
    static final EngineSettings SETTINGS = new EngineSettings(THREADS, 1);

    private Engine() {
    }
}
