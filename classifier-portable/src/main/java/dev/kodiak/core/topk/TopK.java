package dev.kodiak.core.topk;

import java.util.List;

/**
 * The best labels for one image, most probable first.
 *
 * @param predictions at most k predictions, ordered by probability, ties by class index
 * @param unsure true when the best probability is below the threshold asked for: the image may
 *     show none of the classes the model knows
 */
public record TopK(List<Prediction> predictions, boolean unsure) {
    /** Copies the list. */
    public TopK {
        predictions = List.copyOf(predictions);
    }

    /**
     * Returns the most probable prediction.
     *
     * @return the first prediction
     * @throws IllegalStateException if there are no predictions (an allow-list matched nothing)
     */
    public Prediction top() {
        if (predictions.isEmpty()) {
            throw new IllegalStateException("no predictions");
        }
        return predictions.get(0);
    }
}
