package dev.kodiak.core;

import dev.kodiak.core.topk.Prediction;
import dev.kodiak.core.topk.TopK;
import java.util.List;

/**
 * The answer for one image: ranked predictions, the unsure flag, and timings.
 *
 * @param result the ranked predictions and the unsure flag
 * @param timings where the time went
 */
public record Classification(TopK result, Timings timings) {
    /**
     * Returns the predictions, most probable first.
     *
     * @return at most k predictions
     */
    public List<Prediction> predictions() {
        return result.predictions();
    }

    /**
     * Returns the most probable prediction.
     *
     * @return the first prediction
     */
    public Prediction top() {
        return result.top();
    }

    /**
     * Returns whether the best probability is below the threshold.
     *
     * @return true when the model is unsure
     */
    public boolean unsure() {
        return result.unsure();
    }
}
