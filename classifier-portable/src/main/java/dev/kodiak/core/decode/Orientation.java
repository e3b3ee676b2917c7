package dev.kodiak.core.decode;

/**
 * The EXIF orientation PIL 9.4's {@code ImageOps.exif_transpose} applies to an image, found
 * where PIL looks for it: a JPEG's first EXIF block, a PNG's {@code eXIf} chunk, raw EXIF
 * profile or XMP ({@link PngImage#orientation()} says more), a WebP's {@code EXIF} chunk when its
 * VP8X header announces one. GIFs and BMPs have none. The browser widget uses it for images the
 * browser decodes without turning them, so that they are turned as PIL turns them.
 *
 * <pre>{@code
 * Pixels upright = stored.orient(Orientation.of(ImageFormat.WEBP, bytes));
 * }</pre>
 */
public final class Orientation {
    private Orientation() {
    }

    /**
     * The orientation of an image.
     *
     * @param format the image's format, sniffed from its bytes
     * @param bytes the whole file
     * @return 1 (upright, also when nothing says) to 8, as {@code Pixels.orient} takes it
     */
    public static int of(ImageFormat format, byte[] bytes) {
        return Headers.orientation(format, bytes);
    }
}
