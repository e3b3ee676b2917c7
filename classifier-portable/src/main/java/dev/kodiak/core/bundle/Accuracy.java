package dev.kodiak.core.bundle;

/**
 * A measured accuracy recorded in a bundle's provenance.
 *
 * @param metric what was measured, for example "top-1"
 * @param split the data it was measured on
 * @param correct how many examples were right
 * @param total how many examples there were
 */
public record Accuracy(String metric, String split, int correct, int total) {
    /**
     * Checks the counts.
     *
     * @throws IllegalArgumentException if the counts are negative or correct exceeds total
     */
    public Accuracy {
        if (total < 0 || correct < 0 || correct > total) {
            throw new IllegalArgumentException("Invalid accuracy: " + correct + " of " + total);
        }
    }

    /**
     * Returns the fraction correct.
     *
     * @return correct / total, or 0 when total is 0
     */
    public double value() {
        return total == 0 ? 0 : (double) correct / total;
    }
}
