package dev.kodiak.core.decode;

/**
 * The sizes Kodiak decodes, checked from an image's header before any pixel exists: at most
 * {@link #maxPixels()} pixels, no side more than {@link #MAX_ASPECT_RATIO} times the other, and no
 * decoded buffer larger than a Java array holds. The JVM's decoder and the browser widget check
 * with this class, so both refuse the same images in the same words.
 *
 * <pre>{@code
 * ImageLimits limits = new ImageLimits(ImageLimits.DEFAULT_MAX_PIXELS);
 * limits.check(ImageFormat.PNG, width, height, 3);   // throws DecodeException TOO_LARGE
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class ImageLimits {
    /** The default pixel limit: 50 megapixels, above 48 MP phone photos. */
    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;

    /**
     * The most one side may be longer than the other. Beyond it (a 1x5000000 strip) no photo
     * is left, and a model's resize would make it billions of pixels long.
     */
    public static final int MAX_ASPECT_RATIO = 10_000;

    private final long maxPixels;

    /**
     * Creates limits.
     *
     * @param maxPixels the most pixels (width times height) an image may have
     * @throws IllegalArgumentException if the limit is not positive
     */
    public ImageLimits(long maxPixels) {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("Invalid maxPixels: " + maxPixels
                    + "; it must be at least 1");
        }
        this.maxPixels = maxPixels;
    }

    /**
     * Returns the pixel limit.
     *
     * @return the most pixels an image may have
     */
    public long maxPixels() {
        return maxPixels;
    }

    /**
     * Whether one side is more than {@link #MAX_ASPECT_RATIO} times the other.
     *
     * @param width the width in pixels
     * @param height the height in pixels
     * @return true for a strip too long and thin to decode
     */
    public static boolean tooThin(int width, int height) {
        return Math.max(width, height) > (long) MAX_ASPECT_RATIO * Math.min(width, height);
    }

    /**
     * Checks a size read from a header: the pixel limit, the aspect limit, and the decoded
     * buffer against the largest Java array.
     *
     * @param format the image's format, for the message
     * @param width the width in pixels
     * @param height the height in pixels
     * @param bytesPerPixel the bytes each pixel takes once decoded
     * @throws DecodeException {@code TOO_LARGE}, saying which limit and what to do
     */
    public void check(ImageFormat format, int width, int height, int bytesPerPixel)
            throws DecodeException {
        long pixels = (long) width * height;
        if (pixels > maxPixels) {
            throw tooLarge(format, "is " + width + "x" + height + " (" + pixels + " pixels)");
        }
        if (tooThin(width, height)) {
            throw new DecodeException(DecodeException.Reason.TOO_LARGE, "The " + format
                    + " image is " + width + "x" + height + ": one side is more than "
                    + MAX_ASPECT_RATIO + " times the other; crop it to the part that shows "
                    + "something");
        }
        checkBuffer(format, width, height, bytesPerPixel);
    }

    /**
     * Checks that a decoded buffer fits one Java array (2<sup>31</sup> - 1 bytes), whatever the
     * configured limit.
     *
     * @param format the image's format, for the message
     * @param width the width in pixels
     * @param height the height in pixels
     * @param bytesPerPixel the bytes each pixel takes in the buffer
     * @throws DecodeException {@code TOO_LARGE} if it does not fit
     */
    public static void checkBuffer(ImageFormat format, int width, int height, int bytesPerPixel)
            throws DecodeException {
        long size = (long) width * height * bytesPerPixel;
        if (size > Integer.MAX_VALUE - 8) {
            throw new DecodeException(DecodeException.Reason.TOO_LARGE, "The " + format
                    + " image is " + width + "x" + height + ", " + size + " bytes decoded: more "
                    + "than one buffer can hold; scale it down before sending");
        }
    }

    /**
     * The error for a header that claims more pixels than the limit.
     *
     * @param format the image's format
     * @param claim what the header says, such as {@code "is 9000x9000 (81000000 pixels)"}
     * @return the exception to throw
     */
    public DecodeException tooLarge(ImageFormat format, String claim) {
        return new DecodeException(DecodeException.Reason.TOO_LARGE, "The " + format + " image "
                + claim + ", more than the limit of " + maxPixels + " pixels; scale it down "
                + "before sending (the model needs only a few hundred pixels a side)");
    }
}
