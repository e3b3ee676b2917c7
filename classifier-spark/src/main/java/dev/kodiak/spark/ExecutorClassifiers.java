package dev.kodiak.spark;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.ClassifierConfig;
import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.bundle.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link Classifier} per bundle per executor JVM, opened by the first task that needs it and
 * reused by every later task and partition (tasks of one executor run as threads of one JVM,
 * and a Classifier is thread-safe). Released when the JVM exits.
 *
 * <p>A bundle is known by its content, not its path: the key holds the sha256 of its manifest
 * (which holds the sha256 of every other file) or of the zip, so a bundle replaced in place is
 * opened again instead of the old model scoring on under the new manifest's name.
 */
final class ExecutorClassifiers {
    private static final Map<String, Classifier> OPEN = new ConcurrentHashMap<>();

    private ExecutorClassifiers() {
    }

    static Classifier get(Path bundle, ScoringOptions options) {
        String key = bundle.toAbsolutePath() + "|" + fingerprint(bundle) + "|"
                + options.batchSize() + "|" + options.maxPixels() + "|" + options.engine();
        return OPEN.computeIfAbsent(key, k -> {
            try {
                Classifier classifier = Classifier.open(ClassifierConfig.builder(bundle)
                        .maxBatchSize(options.batchSize()).maxPixels(options.maxPixels())
                        .engine(options.engine()).build());
                Runtime.getRuntime().addShutdownHook(new Thread(classifier::close,
                        "kodiak-classifier-close"));
                return classifier;
            } catch (BundleException e) {
                throw new IllegalStateException("The model bundle cannot be opened on this "
                        + "executor: " + e.getMessage(), e);
            }
        });
    }

    /** Fingerprints by file, size and modification time: a zip is hashed once, not per task. */
    private static final Map<String, String> FINGERPRINTS = new ConcurrentHashMap<>();

    /** The sha256 of the manifest of a bundle directory, or of a zip bundle. */
    static String fingerprint(Path bundle) {
        Path file = Files.isDirectory(bundle) ? bundle.resolve(Manifest.FILE_NAME) : bundle;
        try {
            String stamp = file.toAbsolutePath() + "|" + Files.size(file) + "|"
                    + Files.getLastModifiedTime(file).toMillis();
            String known = FINGERPRINTS.get(stamp);
            if (known != null) {
                return known;
            }
            String sha = Bundle.sha256(file);
            FINGERPRINTS.put(stamp, sha);
            return sha;
        } catch (BundleException | java.io.IOException e) {
            throw new IllegalStateException("The model bundle cannot be read on this executor: "
                    + e.getMessage(), e);
        }
    }
}
