package dev.kodiak.core;

/**
 * An image sent as already prepared ({@link Classifier#prepareResized(byte[])}) does not have the
 * model's input size, so it was not prepared for this model: by another input spec, or not at
 * all. The caller should send the original image instead, or resize it to
 * {@link #expectedWidth()} x {@link #expectedHeight()} with the model's input spec.
 */
public class InputSizeException extends KodiakException {
    private static final long serialVersionUID = 1L;

    private final int expectedWidth;
    private final int expectedHeight;
    private final int width;
    private final int height;

    /**
     * Creates an exception.
     *
     * @param model the model's name, for the message
     * @param expectedWidth the input spec's width
     * @param expectedHeight the input spec's height
     * @param width the image's width
     * @param height the image's height
     */
    public InputSizeException(String model, int expectedWidth, int expectedHeight, int width,
            int height) {
        super("The image is " + width + "x" + height + " but model '" + model + "' takes "
                + expectedWidth + "x" + expectedHeight + " images; an image sent as prepared "
                + "must already have the model's input size (resized with its input spec), or "
                + "send the original image and let the model's input spec resize it", null);
        this.expectedWidth = expectedWidth;
        this.expectedHeight = expectedHeight;
        this.width = width;
        this.height = height;
    }

    /**
     * Returns the width the model takes.
     *
     * @return pixels
     */
    public int expectedWidth() {
        return expectedWidth;
    }

    /**
     * Returns the height the model takes.
     *
     * @return pixels
     */
    public int expectedHeight() {
        return expectedHeight;
    }

    /**
     * Returns the image's width.
     *
     * @return pixels
     */
    public int width() {
        return width;
    }

    /**
     * Returns the image's height.
     *
     * @return pixels
     */
    public int height() {
        return height;
    }
}
