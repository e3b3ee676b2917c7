package dev.kodiak.core.decode;

/**
 * How PIL turns samples that are not 8 bits into the 8-bit values it hands to PyTorch, for
 * every decoder that meets them (PNG, BMP, and ImageIO's rasters): scaled up from fewer bits,
 * cut down from 16.
 */
final class PilSamples {
    private PilSamples() {
    }

    /**
     * A sample of fewer than 8 bits as PIL unpacks it ({@code "1"}, {@code "L;2"},
     * {@code "L;4"}, {@code "BGR;15"}, {@code "BGR;16"}): {@code v * 255 / max}, truncating.
     *
     * @param v the sample, 0 to {@code max}
     * @param max the largest value the sample's bits hold: 1, 3, 15, 31 or 63
     * @return 0 to 255
     */
    static int scale(int v, int max) {
        return max == 255 ? v : v * 255 / max;
    }

    /**
     * A 16-bit colour, gray-with-alpha or alpha sample: PIL keeps its high byte.
     *
     * @param v the sample, 0 to 65535
     * @return 0 to 255
     */
    static int highByte(int v) {
        return v >> 8;
    }

    /**
     * A 16-bit gray sample of an image without an alpha channel: PIL reads such an image as mode
     * "I" (32-bit integers), and {@code convert("RGB")} or {@code "L"} clips it at 255 instead of
     * scaling it. A {@code tRNS} chunk does not change the mode. This ruins such images, but the
     * model was trained on what PIL produced.
     *
     * @param v the sample, 0 to 65535
     * @return 0 to 255
     */
    static int grayModeI(int v) {
        return Math.min(v, 255);
    }
}
