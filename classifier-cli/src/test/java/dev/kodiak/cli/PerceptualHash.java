package dev.kodiak.cli;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Interpolation;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Resampler;
import java.util.Arrays;

/**
 * 64-bit perceptual hashes, the candidates {@link Look} was measured against
 * ({@link DedupeBench}): the difference hash {@code dedupe} used before, and a DCT hash.
 */
final class PerceptualHash {
    private PerceptualHash() {
    }

    /**
     * The difference hash (dHash) {@code dedupe} used until issue 20: gray, shrunk to 9x8 with
     * PIL's box filter, one bit per horizontal neighbour pair (is the left brighter?).
     *
     * @param image decoded pixels, any colour mode
     * @return the hash
     */
    static long difference(Pixels image) {
        Pixels tiny = Resampler.resize(image.convert(ColorMode.L), 9, 8, Interpolation.BOX);
        long hash = 0;
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                hash = hash << 1 | (tiny.get(x, y, 0) > tiny.get(x + 1, y, 0) ? 1 : 0);
            }
        }
        return hash;
    }

    /**
     * A DCT hash (pHash), as the {@code imagehash} package's {@code phash}: gray, 32x32
     * (LANCZOS), the 8x8 lowest frequencies of its DCT, one bit each: above their median?
     *
     * @param image decoded pixels, any colour mode
     * @return the hash
     */
    static long dct(Pixels image) {
        Pixels tiny = Resampler.resize(image.convert(ColorMode.L), 32, 32,
                Interpolation.LANCZOS);
        double[] low = new double[64];
        for (int v = 0; v < 8; v++) {
            for (int u = 0; u < 8; u++) {
                double s = 0;
                for (int y = 0; y < 32; y++) {
                    double cy = Math.cos(Math.PI * v * (2 * y + 1) / 64);
                    for (int x = 0; x < 32; x++) {
                        s += cy * Math.cos(Math.PI * u * (2 * x + 1) / 64) * tiny.get(x, y, 0);
                    }
                }
                low[v * 8 + u] = s;
            }
        }
        double[] sorted = low.clone();
        Arrays.sort(sorted);
        double median = (sorted[31] + sorted[32]) / 2;
        long hash = 0;
        for (double c : low) {
            hash = hash << 1 | (c > median ? 1 : 0);
        }
        return hash;
    }

    /**
     * @param a a hash
     * @param b another
     * @return how many bits differ, 0 to 64
     */
    static int distance(long a, long b) {
        return Long.bitCount(a ^ b);
    }
}
