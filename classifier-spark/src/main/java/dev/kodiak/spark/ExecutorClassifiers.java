package dev.kodiak.spark;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.ClassifierConfig;
import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.bundle.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link Classifier} per bundle per executor JVM, opened by the first task that needs it and
 * reused by every later task and partition (tasks of one executor run as threads of one JVM,
 * and a Classifier is thread-safe). Tasks hold it through a {@link Lease}.
 *
 * <p>A bundle is known by its content, not only its path: the sha256 of its manifest (which
 * holds the sha256 of every other file) or of the zip. When the bundle at a path has been
 * replaced, the next task opens the new one, and the old classifier is closed as soon as the
 * last task still using it releases its lease, so a long-lived executor does not keep every
 * model it ever served. What is open when the JVM exits is closed by a shutdown hook.
 */
final class ExecutorClassifiers {
    /** The current classifier per place (path and options); guarded by the class lock. */
    private static final Map<String, Entry> OPEN = new HashMap<>();
    /** Every classifier not closed yet: the current ones and replaced ones still in use. */
    private static final Set<Entry> LIVE = new HashSet<>();
    /** Fingerprints by file, size and modification time: a zip is hashed once, not per task. */
    private static final Map<String, String> FINGERPRINTS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorClassifiers::closeAll,
                "kodiak-classifier-close"));
    }

    private ExecutorClassifiers() {
    }

    /** A task's hold on a classifier; release it once the task no longer uses it. */
    static final class Lease implements AutoCloseable {
        private final Entry entry;
        private boolean released;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        /** @return the classifier, open until this lease is released */
        Classifier classifier() {
            return entry.classifier;
        }

        /** Releases the hold; the last release of a replaced bundle's classifier closes it. */
        @Override
        public void close() {
            synchronized (ExecutorClassifiers.class) {
                if (released) {
                    return;
                }
                released = true;
                entry.users--;
                if (entry.retired && entry.users == 0) {
                    entry.close();
                }
            }
        }
    }

    private static final class Entry {
        final String fingerprint;
        final Classifier classifier;
        int users;
        boolean retired;

        Entry(String fingerprint, Classifier classifier) {
            this.fingerprint = fingerprint;
            this.classifier = classifier;
            LIVE.add(this);
        }

        /** Closes the classifier; callers hold the class lock. */
        void close() {
            LIVE.remove(this);
            classifier.close();
        }
    }

    /**
     * The classifier of the bundle as it is now, opened on first use.
     *
     * @param bundle the bundle's directory or zip
     * @param options the job's options (batch size, pixel limit and engine are part of the key)
     * @return a lease on it; release it when the task is done
     * @throws IllegalStateException if the bundle cannot be read or opened on this executor
     */
    static synchronized Lease acquire(Path bundle, ScoringOptions options) {
        String place = bundle.toAbsolutePath() + "|" + options.batchSize() + "|"
                + options.maxPixels() + "|" + options.engine() + "|" + options.precision();
        String fingerprint = fingerprint(bundle);
        Entry entry = OPEN.get(place);
        if (entry != null && !entry.fingerprint.equals(fingerprint)) {
            OPEN.remove(place);
            entry.retired = true; // replaced in place: closed by its last user
            if (entry.users == 0) {
                entry.close();
            }
            entry = null;
        }
        if (entry == null) {
            entry = new Entry(fingerprint, open(bundle, options));
            OPEN.put(place, entry);
        }
        entry.users++;
        return new Lease(entry);
    }

    /** How many classifiers this JVM holds open, the current ones and replaced ones in use. */
    static synchronized int openCount() {
        return LIVE.size();
    }

    private static Classifier open(Path bundle, ScoringOptions options) {
        try {
            return Classifier.open(ClassifierConfig.builder(bundle)
                    .maxBatchSize(options.batchSize()).maxPixels(options.maxPixels())
                    .engine(options.engine()).precision(options.precision()).build());
        } catch (BundleException e) {
            throw new IllegalStateException("The model bundle cannot be opened on this "
                    + "executor: " + e.getMessage(), e);
        }
    }

    private static synchronized void closeAll() {
        List.copyOf(LIVE).forEach(Entry::close);
        OPEN.clear();
    }

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
