package dev.kodiak.core.topk;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns one row of model scores into a {@link TopK}.
 *
 * <pre>{@code
 * TopKRanker decoder = new TopKRanker(labels, true);
 * TopK top = decoder.decode(logits, TopKOptions.DEFAULT.withK(3).withThreshold(0.6f));
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class TopKRanker {
    /** Up to this k the best are found by insertion in one pass; above it, by one sort. */
    static final int INSERTION_LIMIT = 32;

    private final List<String> labels;
    private final boolean logits;

    /**
     * Creates a decoder.
     *
     * @param labels class names in output order
     * @param logits true to apply softmax, false when the scores already are probabilities
     */
    public TopKRanker(List<String> labels, boolean logits) {
        if (labels == null || labels.isEmpty()) {
            throw new IllegalArgumentException("labels are required");
        }
        this.labels = List.copyOf(labels);
        this.logits = logits;
    }

    /**
     * Returns the labels.
     *
     * @return class names in output order
     */
    public List<String> labels() {
        return labels;
    }

    /**
     * Checks that every allowed label is one of the model's.
     *
     * @param options the options to check
     * @throws IllegalArgumentException naming the unknown labels and the known ones
     */
    public void validate(TopKOptions options) {
        if (options.allowedLabels().isEmpty()) {
            return; // the usual case, once per image: nothing to look up
        }
        Set<String> unknown = new TreeSet<>(options.allowedLabels());
        unknown.removeAll(labels);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("Unknown labels " + unknown + "; this model knows "
                    + labels);
        }
    }

    /**
     * Ranks the labels of one image.
     *
     * @param scores one value per label
     * @param options k, threshold and allow-list
     * @return the ranked predictions
     * @throws IllegalArgumentException if the score count differs from the label count or an
     *     allowed label is unknown
     */
    public TopK decode(float[] scores, TopKOptions options) {
        if (scores.length != labels.size()) {
            throw new IllegalArgumentException("Invalid scores: " + scores.length + " values for "
                    + labels.size() + " labels");
        }
        validate(options);
        float[] probabilities = logits ? softmax(scores) : scores.clone();
        for (float p : probabilities) {
            if (Float.isNaN(p)) { // a bug upstream; ranking NaNs would hide it
                throw new IllegalArgumentException("The model produced NaN scores; check the "
                        + "input spec (mean/std) and the model");
            }
        }
        boolean all = options.allowedLabels().isEmpty();
        int k = options.k();
        int[] best;
        int found;
        if (Math.min(k, labels.size()) <= INSERTION_LIMIT) {
            // the usual small k: insert into the best k in one pass, no sorting of everything
            best = new int[Math.min(k, labels.size())];
            found = 0;
            for (int i = 0; i < labels.size(); i++) {
                if (!all && !options.allowedLabels().contains(labels.get(i))) {
                    continue;
                }
                if (found == best.length
                        && !(probabilities[i] > probabilities[best[found - 1]])) {
                    continue;
                }
                int at = Math.min(found, best.length - 1);
                while (at > 0 && probabilities[i] > probabilities[best[at - 1]]) {
                    best[at] = best[at - 1];
                    at--;
                }
                best[at] = i;
                found = Math.min(found + 1, best.length);
            }
        } else {
            // a large k (every label, as /predict asks): one stable sort, n log n
            best = rankAll(probabilities, options.allowedLabels());
            found = Math.min(k, best.length);
        }
        List<Prediction> top = new ArrayList<>(found);
        for (int j = 0; j < found; j++) {
            top.add(new Prediction(labels.get(best[j]), best[j], clamp(probabilities[best[j]])));
        }
        boolean unsure = top.isEmpty() || top.get(0).probability() < options.threshold();
        return new TopK(top, unsure);
    }

    /**
     * Every allowed label's index (every label when none is named), by probability descending
     * and index ascending on ties: the order the insertion in {@link #decode} gives.
     */
    private int[] rankAll(float[] probabilities, Set<String> allowed) {
        Integer[] order = new Integer[labels.size()];
        int n = 0;
        for (int i = 0; i < labels.size(); i++) {
            if (allowed.isEmpty() || allowed.contains(labels.get(i))) {
                order[n++] = i;
            }
        }
        // stable: equal probabilities keep index order
        Arrays.sort(order, 0, n, (a, b) -> probabilities[a] > probabilities[b] ? -1
                : probabilities[a] < probabilities[b] ? 1 : 0);
        int[] ranked = new int[n];
        for (int i = 0; i < n; i++) {
            ranked[i] = order[i];
        }
        return ranked;
    }

    /**
     * A numerically stable softmax, summed in double.
     *
     * @param scores logits
     * @return probabilities summing to 1
     */
    public static float[] softmax(float[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double[] e = new double[scores.length];
        double sum = 0;
        for (int i = 0; i < scores.length; i++) {
            e[i] = Math.exp(scores[i] - max);
            sum += e[i];
        }
        float[] p = new float[scores.length];
        for (int i = 0; i < scores.length; i++) {
            p[i] = (float) (e[i] / sum);
        }
        if (!Double.isFinite(sum)) {
            Arrays.fill(p, Float.NaN);
        }
        return p;
    }

    private static float clamp(float p) {
        // a model "outputting probabilities" may still overshoot by rounding
        return Math.max(0f, Math.min(1f, p));
    }
}
