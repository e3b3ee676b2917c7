package dev.kodiak.web;

/**
 * Why a runtime could not be made ready.
 *
 * @param kind what kind of failure, which decides whether to retry or fall back
 * @param message for readers, in plain words
 * @param detail for the page's author, in the console
 */
record LoadFailure(Kind kind, String message, String detail) {
    /** The kinds of failure. */
    enum Kind {
        /** The network failed: the next image tries again. */
        NETWORK,
        /** The model is larger than the widget may download for {@code runtime="auto"}. */
        TOO_BIG,
        /** This browser or this bundle cannot run in the page at all. */
        UNSUPPORTED,
        /** The bundle is broken: bad manifest, checksum, probe, or a model the runtime refuses. */
        BROKEN
    }
}
