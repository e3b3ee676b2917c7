package dev.kodiak.cli;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Interpolation;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Resampler;

/**
 * A 64-bit difference hash (dHash) of an image's look: gray, shrunk to 9x8 with PIL's box
 * filter, one bit per horizontal neighbour pair (is the left brighter?). Re-encoding, resizing
 * and small colour shifts move few bits; different photos differ in about half of them.
 */
final class PerceptualHash {
    private PerceptualHash() {
    }

    /**
     * @param image decoded pixels, any color mode
     * @return the image's 64-bit difference hash
     */
    static long of(Pixels image) {
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
     * @param a a hash
     * @param b another
     * @return how many bits differ, 0 to 64
     */
    static int distance(long a, long b) {
        return Long.bitCount(a ^ b);
    }
}
