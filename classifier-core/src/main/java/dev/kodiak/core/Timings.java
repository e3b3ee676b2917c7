package dev.kodiak.core;

/**
 * Where the time of one classification went, in nanoseconds.
 *
 * @param decodeNanos bytes to pixels
 * @param preprocessNanos pixels to tensor
 * @param inferenceNanos the forward pass (shared by the whole batch) and top-k
 * @param batchSize how many images shared the forward pass
 */
public record Timings(long decodeNanos, long preprocessNanos, long inferenceNanos,
        int batchSize) {
    /**
     * Returns the sum of the stages.
     *
     * @return nanoseconds
     */
    public long totalNanos() {
        return decodeNanos + preprocessNanos + inferenceNanos;
    }
}
