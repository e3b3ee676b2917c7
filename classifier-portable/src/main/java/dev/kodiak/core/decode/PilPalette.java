package dev.kodiak.core.decode;

import dev.kodiak.core.preprocess.ColorMode;

/**
 * A palette image's colours as PIL's {@code convert("RGB")} and {@code convert("L")} see them,
 * for every decoder of palette images (PNG, GIF, BMP, and ImageIO's indexed rasters). An index
 * past the palette's last entry is gray, {@code (i, i, i)}: PIL's palettes start as a gray ramp
 * of 256 entries, and a file's palette replaces only as many as it holds.
 *
 * <p>Immutable and thread-safe.
 */
final class PilPalette {
    /** 256 entries, R, G, B each. */
    private final byte[] rgb;
    /** PIL's luminance of each entry. */
    private final byte[] gray;

    private PilPalette(byte[] rgb) {
        this.rgb = rgb;
        this.gray = new byte[256];
        for (int i = 0; i < 256; i++) {
            gray[i] = (byte) dev.kodiak.core.preprocess.Pixels.luminance(rgb[i * 3] & 0xFF,
                    rgb[i * 3 + 1] & 0xFF, rgb[i * 3 + 2] & 0xFF);
        }
    }

    /**
     * A palette from packed entries.
     *
     * @param entries the entries, {@code stride} bytes each, red, green and blue first
     * @param stride 3 for R, G, B; 4 when a fourth byte follows each entry
     * @param count how many entries the file declares; those the array does not hold whole
     *     are missing, and missing entries keep PIL's gray ramp
     * @param bgr true when each entry is stored blue, green, red (BMP)
     * @return the palette
     */
    static PilPalette of(byte[] entries, int stride, int count, boolean bgr) {
        int n = Math.min(Math.min(count, 256), entries.length / stride);
        byte[] rgb = new byte[256 * 3];
        for (int i = 0; i < 256; i++) {
            if (i < n) {
                int at = i * stride;
                rgb[i * 3] = entries[bgr ? at + 2 : at];
                rgb[i * 3 + 1] = entries[at + 1];
                rgb[i * 3 + 2] = entries[bgr ? at : at + 2];
            } else {
                // PIL's palettes start as a gray ramp; a file's entries replace only their own
                rgb[i * 3] = (byte) i;
                rgb[i * 3 + 1] = (byte) i;
                rgb[i * 3 + 2] = (byte) i;
            }
        }
        return new PilPalette(rgb);
    }

    /**
     * Writes the colour of palette index {@code index} into {@code out} at pixel {@code p}.
     *
     * @param out the pixels, RGB triples or one gray byte each
     * @param p the pixel index
     * @param mode the mode of {@code out}
     * @param index the palette index, 0 to 255
     */
    void put(byte[] out, int p, ColorMode mode, int index) {
        if (mode == ColorMode.L) {
            out[p] = gray[index];
        } else {
            out[p * 3] = rgb[index * 3];
            out[p * 3 + 1] = rgb[index * 3 + 1];
            out[p * 3 + 2] = rgb[index * 3 + 2];
        }
    }
}
