package dev.kodiak.core.decode;

import dev.kodiak.core.preprocess.Pixels;

/** EXIF orientations 2 to 8 undone as PIL's {@code ImageOps.exif_transpose} does. */
final class Orientation {
    private Orientation() {
    }

    /**
     * Returns the upright image.
     *
     * @param in the stored pixels
     * @param orientation the EXIF tag value, 1 to 8
     * @return the pixels as they should be displayed
     */
    static Pixels apply(Pixels in, int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return in;
        }
        int w = in.width();
        int h = in.height();
        int channels = in.channels();
        boolean swap = orientation >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        byte[] src = in.data();
        byte[] out = new byte[src.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }              // FLIP_LEFT_RIGHT
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }      // ROTATE_180
                    case 4 -> { sx = x; sy = h - 1 - y; }              // FLIP_TOP_BOTTOM
                    case 5 -> { sx = y; sy = x; }                      // TRANSPOSE
                    case 6 -> { sx = y; sy = h - 1 - x; }              // ROTATE_270
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }      // TRANSVERSE
                    default -> { sx = w - 1 - y; sy = x; }             // 8: ROTATE_90
                }
                System.arraycopy(src, (sy * w + sx) * channels, out, (y * ow + x) * channels,
                        channels);
            }
        }
        return new Pixels(ow, oh, in.mode(), out);
    }
}
