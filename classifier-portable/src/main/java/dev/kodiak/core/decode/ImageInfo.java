package dev.kodiak.core.decode;

/**
 * What an image's header says, read without decoding pixels.
 *
 * @param format the container format
 * @param width stored width in pixels (before EXIF orientation)
 * @param height stored height in pixels (before EXIF orientation)
 * @param orientation the EXIF orientation, 1 (upright) to 8
 */
public record ImageInfo(ImageFormat format, int width, int height, int orientation) {
    /**
     * Returns the width as displayed, after the EXIF orientation is applied.
     *
     * @return pixels
     */
    public int displayWidth() {
        return orientation >= 5 ? height : width;
    }

    /**
     * Returns the height as displayed, after the EXIF orientation is applied.
     *
     * @return pixels
     */
    public int displayHeight() {
        return orientation >= 5 ? width : height;
    }

    /**
     * Returns the number of pixels.
     *
     * @return width times height
     */
    public long pixels() {
        return (long) width * height;
    }
}
