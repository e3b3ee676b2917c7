package dev.kodiak.core.topk;

import java.util.Set;

/**
 * What to return for each image.
 *
 * @param k how many labels to return; capped at the number of labels (allowed labels)
 * @param threshold below this top probability the result is marked unsure; 0 never marks
 * @param allowedLabels when not empty, only these labels are ranked (probabilities are still
 *     those over all classes, not renormalised)
 */
public record TopKOptions(int k, float threshold, Set<String> allowedLabels) {
    /** The default: top 5, never unsure, every label. */
    public static final TopKOptions DEFAULT = new TopKOptions(5, 0f, Set.of());

    /**
     * Checks and copies the values.
     *
     * @throws IllegalArgumentException if k is below 1 or the threshold outside [0, 1]
     */
    public TopKOptions {
        if (k < 1) {
            throw new IllegalArgumentException("Invalid k: " + k + "; ask for at least 1 label");
        }
        if (!(threshold >= 0f && threshold <= 1f)) {
            throw new IllegalArgumentException("Invalid threshold: " + threshold
                    + "; use a probability from 0 to 1");
        }
        allowedLabels = allowedLabels == null ? Set.of() : Set.copyOf(allowedLabels);
    }

    /**
     * Returns these options with another k.
     *
     * @param k how many labels to return
     * @return new options
     */
    public TopKOptions withK(int k) {
        return new TopKOptions(k, threshold, allowedLabels);
    }

    /**
     * Returns these options with another threshold.
     *
     * @param threshold the unsure threshold
     * @return new options
     */
    public TopKOptions withThreshold(float threshold) {
        return new TopKOptions(k, threshold, allowedLabels);
    }

    /**
     * Returns these options with an allow-list.
     *
     * @param labels the labels to rank; empty for all
     * @return new options
     */
    public TopKOptions withAllowedLabels(Set<String> labels) {
        return new TopKOptions(k, threshold, labels);
    }
}
