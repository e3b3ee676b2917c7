package dev.kodiak.core.decode;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;

/**
 * How PIL's colours are computed from a JPEG's components, for both JPEG decoders: libjpeg's
 * YCbCr and YCCK transforms (its fixed-point tables, for ImageIO's raw components), PIL's CMYK to
 * RGB, and PIL's RGB to "L", so that decoded values equal what PIL hands to PyTorch. Sample depths
 * are {@link PilSamples}' rules, palettes {@link PilPalette}'s.
 */
final class PilColor {
    private static final int SCALEBITS = 16;
    private static final int ONE_HALF = 1 << (SCALEBITS - 1);
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];

    static {
        // libjpeg jdcolor.c build_ycc_rgb_table()
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALEBITS;
            CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALEBITS;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF;
        }
    }

    private PilColor() {
    }

    private static int fix(double x) {
        return (int) (x * (1L << SCALEBITS) + 0.5);
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** libjpeg's ycc_rgb_convert, in place on interleaved triples starting at {@code i}. */
    static void yccToRgb(int[] px, int i) {
        int y = px[i];
        int cb = px[i + 1];
        int cr = px[i + 2];
        px[i] = clamp(y + CR_R[cr]);
        px[i + 1] = clamp(y + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
        px[i + 2] = clamp(y + CB_B[cb]);
    }

    /** libjpeg's ycc_rgb_convert over {@code n} interleaved YCbCr pixels, in place. */
    static void yccToRgbInPlace(byte[] data, int n) {
        for (int i = 0, p = 0; i < n; i++, p += 3) {
            int y = data[p] & 0xFF;
            int cb = data[p + 1] & 0xFF;
            int cr = data[p + 2] & 0xFF;
            data[p] = (byte) clamp(y + CR_R[cr]);
            data[p + 1] = (byte) clamp(y + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
            data[p + 2] = (byte) clamp(y + CB_B[cb]);
        }
    }

    /** libjpeg's ycck_cmyk_convert: YCC to inverted CMY, K passes through. */
    static void ycckToCmyk(int[] px, int i) {
        int y = px[i];
        int cb = px[i + 1];
        int cr = px[i + 2];
        px[i] = clamp(255 - (y + CR_R[cr]));
        px[i + 1] = clamp(255 - (y + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS)));
        px[i + 2] = clamp(255 - (y + CB_B[cb]));
    }

    /**
     * Writes one CMYK pixel of a JPEG, as stored, by PIL's rules: PIL reads every CMYK JPEG as
     * {@code "CMYK;I"} (Adobe's inverted convention), then converts with its naive
     * {@code cmyk2rgb}, not an ICC profile. The one place this rule is written.
     *
     * @param out the pixels, RGB triples or one gray byte each
     * @param p the pixel index
     * @param mode the mode of {@code out}
     * @param c stored cyan, 0 to 255
     * @param m stored magenta
     * @param y stored yellow
     * @param k stored black
     */
    static void putInvertedCmyk(byte[] out, int p, ColorMode mode, int c, int m, int y, int k) {
        // inverted: the stored value is 255 - ink, so PIL's 255 - K is the stored K itself
        put(out, p, mode, cmyk2rgb(255 - c, k), cmyk2rgb(255 - m, k), cmyk2rgb(255 - y, k));
    }

    /** PIL's cmyk2rgb for one channel: {@code nk - c * nk / 255}, rounded, {@code nk = 255 - K}. */
    private static int cmyk2rgb(int c, int nk) {
        int tmp = c * nk + 128;
        return clamp(nk - (((tmp >> 8) + tmp) >> 8));
    }

    /** Writes one RGB pixel into {@code out} in the target mode at pixel index {@code p}. */
    static void put(byte[] out, int p, ColorMode mode, int r, int g, int b) {
        if (mode == ColorMode.L) {
            out[p] = (byte) Pixels.luminance(r, g, b);
        } else {
            out[p * 3] = (byte) r;
            out[p * 3 + 1] = (byte) g;
            out[p * 3 + 2] = (byte) b;
        }
    }
}
