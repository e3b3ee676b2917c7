package dev.kodiak.bench;

import dev.kodiak.core.infer.Threads;

/** The threads every benchmark's forward pass runs with: one per core, recorded in the report. */
final class Engine {
    static final int THREADS = Integer.getInteger("kodiak.bench.threads",
            Runtime.getRuntime().availableProcessors());
    static final Threads SETTINGS = new Threads(THREADS, 1);

    private Engine() {
    }
}
