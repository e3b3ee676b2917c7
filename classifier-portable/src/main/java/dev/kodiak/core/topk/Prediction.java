package dev.kodiak.core.topk;

/**
 * One label and its probability.
 *
 * @param label the class name
 * @param index the class's position in the model's output
 * @param probability from 0 to 1
 */
public record Prediction(String label, int index, float probability) {
    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException if the label is missing, the index negative or the
     *     probability outside [0, 1]
     */
    public Prediction {
        if (label == null || index < 0 || !(probability >= 0f && probability <= 1f)) {
            throw new IllegalArgumentException("Invalid prediction: " + label + " #" + index
                    + " p=" + probability);
        }
    }
}
