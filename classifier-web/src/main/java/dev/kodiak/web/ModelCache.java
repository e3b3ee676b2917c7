package dev.kodiak.web;

import java.util.HashMap;
import java.util.Map;

/**
 * The page's models: one onnxruntime-web and one load per bundle, shared by every widget that
 * shows it (a post may hold several widgets on one model). Made by {@link ClassifierWidget#main}
 * and handed to each widget, so nothing is kept in static fields.
 */
final class ModelCache {
    private final OrtRuntime runtime;
    private final Map<String, BundleLoader> bundles = new HashMap<>();

    /**
     * Creates an empty cache.
     *
     * @param runtimeFolder the URL of the onnxruntime-web files, ending in /
     */
    ModelCache(String runtimeFolder) {
        this.runtime = new OrtRuntime(runtimeFolder);
    }

    /**
     * Loads a bundle, or joins its load.
     *
     * @param folder the bundle folder's absolute URL, ending in /
     * @param limit the largest model file to accept, 0 for any
     * @param precision which of the bundle's models to load
     * @param listener hears progress and the outcome
     */
    void load(String folder, double limit, dev.kodiak.core.bundle.Precision precision,
            BundleLoader.Listener listener) {
        bundles.computeIfAbsent(folder + " " + limit + " " + precision,
                key -> new BundleLoader(folder, limit, precision, runtime)).load(listener);
    }
}
