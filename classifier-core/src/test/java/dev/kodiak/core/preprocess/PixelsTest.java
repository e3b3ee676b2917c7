package dev.kodiak.core.preprocess;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.sameInstance;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Pixels#orient(int)} against PIL's definitions of the eight EXIF orientations, written
 * pixel by pixel (the golden JPEGs check RGB photos against PIL itself; this covers gray, sizes
 * that are no multiple of the tiles, and partial tiles).
 */
class PixelsTest {
    /** The displayed pixel (x, y) comes from stored pixel {sx, sy}: PIL's transpose methods. */
    static int[] storedFor(int orientation, int x, int y, int w, int h) {
        return switch (orientation) {
            case 2 -> new int[] {w - 1 - x, y};              // FLIP_LEFT_RIGHT
            case 3 -> new int[] {w - 1 - x, h - 1 - y};      // ROTATE_180
            case 4 -> new int[] {x, h - 1 - y};              // FLIP_TOP_BOTTOM
            case 5 -> new int[] {y, x};                      // TRANSPOSE
            case 6 -> new int[] {y, h - 1 - x};              // ROTATE_270
            case 7 -> new int[] {w - 1 - y, h - 1 - x};      // TRANSVERSE
            case 8 -> new int[] {w - 1 - y, x};              // ROTATE_90
            default -> new int[] {x, y};
        };
    }

    static Pixels random(int w, int h, ColorMode mode, long seed) {
        byte[] data = new byte[w * h * mode.channels()];
        new Random(seed).nextBytes(data);
        return new Pixels(w, h, mode, data);
    }

    @ParameterizedTest
    @EnumSource(ColorMode.class)
    void everyOrientationMovesEveryPixelWherePilPutsIt(ColorMode mode) {
        // larger than one tile, with partial tiles at the edges
        Pixels stored = random(67, 131, mode, 42);
        assertThat(stored.orient(1), is(sameInstance(stored)));
        for (int n = 2; n <= 8; n++) {
            Pixels shown = stored.orient(n);
            int w = stored.width();
            int h = stored.height();
            assertThat("orientation " + n, shown.width() + "x" + shown.height(),
                    is(n >= 5 ? h + "x" + w : w + "x" + h));
            for (int y = 0; y < shown.height(); y++) {
                for (int x = 0; x < shown.width(); x++) {
                    int[] s = storedFor(n, x, y, w, h);
                    for (int c = 0; c < mode.channels(); c++) {
                        if (shown.get(x, y, c) != stored.get(s[0], s[1], c)) {
                            throw new AssertionError("orientation " + n + " at " + x + "," + y
                                    + " channel " + c);
                        }
                    }
                }
            }
        }
    }
}
