package dev.kodiak.core.bundle;

import java.util.Map;
import java.util.Optional;

/**
 * Where a model came from, as the exporter recorded it in the manifest.
 *
 * @param exporter the tool that wrote the bundle
 * @param torchVersion the PyTorch version that traced or scripted the model
 * @param created the export date (ISO-8601), or empty
 * @param dataset the training data, or empty
 * @param accuracy the measured accuracy, or null when none was recorded
 * @param other every other provenance entry, values as JSON text
 */
public record Provenance(String exporter, String torchVersion, String created, String dataset,
        Accuracy accuracy, Map<String, String> other) {
    /** Copies the map and replaces missing strings by empty ones. */
    public Provenance {
        exporter = exporter == null ? "" : exporter;
        torchVersion = torchVersion == null ? "" : torchVersion;
        created = created == null ? "" : created;
        dataset = dataset == null ? "" : dataset;
        other = other == null ? Map.of() : Map.copyOf(other);
    }

    /**
     * Returns the measured accuracy, if one was recorded.
     *
     * @return the accuracy or empty
     */
    public Optional<Accuracy> measuredAccuracy() {
        return Optional.ofNullable(accuracy);
    }
}
