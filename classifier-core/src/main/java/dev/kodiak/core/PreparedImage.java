package dev.kodiak.core;

/**
 * An image decoded and preprocessed for one classifier, waiting for a forward pass: what a
 * server's micro-batcher queues. Created by {@link Classifier#prepare(byte[])}; immutable.
 */
public final class PreparedImage {
    private final float[] tensor;
    private final int width;
    private final int height;
    private final long decodeNanos;
    private final long preprocessNanos;

    PreparedImage(float[] tensor, int width, int height, long decodeNanos, long preprocessNanos) {
        this.tensor = tensor;
        this.width = width;
        this.height = height;
        this.decodeNanos = decodeNanos;
        this.preprocessNanos = preprocessNanos;
    }

    float[] tensor() {
        return tensor;
    }

    /**
     * Returns the decoded image's width, after EXIF orientation.
     *
     * @return pixels
     */
    public int width() {
        return width;
    }

    /**
     * Returns the decoded image's height, after EXIF orientation.
     *
     * @return pixels
     */
    public int height() {
        return height;
    }

    /**
     * Returns the decoding time.
     *
     * @return nanoseconds
     */
    public long decodeNanos() {
        return decodeNanos;
    }

    /**
     * Returns the preprocessing time.
     *
     * @return nanoseconds
     */
    public long preprocessNanos() {
        return preprocessNanos;
    }
}
