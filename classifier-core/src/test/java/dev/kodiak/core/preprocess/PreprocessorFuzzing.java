package dev.kodiak.core.preprocess;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import java.util.List;

/**
 * What the fuzz tests of the spec readers check on every spec they accept: it builds a
 * {@link Preprocessor} that turns small images into tensors of finite floats.
 */
public final class PreprocessorFuzzing {
    /**
     * The largest model input the harness preprocesses, in pixels: the reader allows 8192 x 8192,
     * whose tensor alone is 800 MB, which would make each fuzzing run take seconds without
     * reaching any other code. Larger specs are only built into a {@link Preprocessor}.
     */
    public static final int MAX_APPLIED_PIXELS = 512 * 512;

    /** Landscape RGB, portrait L and a single pixel: every branch of crop and pad. */
    private static final List<Pixels> IMAGES = List.of(image(7, 5, ColorMode.RGB),
            image(3, 11, ColorMode.L), image(1, 1, ColorMode.RGB));

    private PreprocessorFuzzing() {
    }

    private static Pixels image(int width, int height, ColorMode mode) {
        byte[] data = new byte[width * height * mode.channels()];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 37 + 11);
        }
        return new Pixels(width, height, mode, data);
    }

    /**
     * Builds the spec's preprocessor and, unless the spec is larger than
     * {@link #MAX_APPLIED_PIXELS}, applies it to the small images.
     *
     * @param spec a spec a reader accepted
     * @throws AssertionError if a tensor has the wrong size or a value that is not finite
     */
    public static void applyToSmallImages(InputSpec spec) {
        Preprocessor preprocessor = new Preprocessor(spec);
        if ((long) spec.width() * spec.height() > MAX_APPLIED_PIXELS) {
            return;
        }
        for (Pixels image : IMAGES) {
            float[] tensor = preprocessor.apply(image);
            assertThat(tensor.length, is(spec.tensorSize()));
            for (int i = 0; i < tensor.length; i++) {
                if (!Float.isFinite(tensor[i])) {
                    throw new AssertionError(spec + " makes tensor value " + i + " of a "
                            + image + " " + tensor[i]);
                }
            }
        }
    }
}
