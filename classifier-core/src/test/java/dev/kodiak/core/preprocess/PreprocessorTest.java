package dev.kodiak.core.preprocess;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PreprocessorTest {
    @Test
    void cropOffsetsRoundHalvesToEvenLikePython() {
        // Python: round(0.5) == 0, round(1.5) == 2, round(34.5) == 34, round(35.5) == 36
        int[][] cases = {{0, 0}, {1, 0}, {2, 1}, {3, 2}, {4, 2}, {5, 2}, {7, 4}, {69, 34},
            {71, 36}};
        for (int[] c : cases) {
            assertThat("excess " + c[0], Preprocessor.halfRoundedToEven(c[0]), is(c[1]));
        }
    }

    @Test
    void specProblemsAreAllNamedAtOnce() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InputSpec.builder(0, 10).color(ColorMode.L).mean(0.1f, 0.2f)
                        .std(0f).resizeShorter(5).build());
        assertThat(e.getMessage(), containsString("width and height must be 1 to 8192, not 0x10"));
        assertThat(e.getMessage(), containsString("mean needs 1 values for L, not 2"));
        assertThat(e.getMessage(), containsString("std values must be positive and finite, not 0.0"));
        assertThat(e.getMessage(), containsString("resize_shorter 5 must be at least 10"));
    }

    @Test
    void tensorStageChecksItsInput() {
        Preprocessor pre = new Preprocessor(InputSpec.builder(4, 4).build());
        Pixels wrong = new Pixels(5, 4, ColorMode.RGB, new byte[5 * 4 * 3]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pre.toTensor(wrong, new float[48], 0));
        assertThat(e.getMessage(), containsString("call resize() first"));
    }

    @Test
    void resizingToTheSameSizeIsTheIdentity() {
        Pixels image = new Pixels(3, 2, ColorMode.L, new byte[] {1, 2, 3, 4, 5, 6});
        for (Interpolation filter : Interpolation.values()) {
            assertThat(Resampler.resize(image, 3, 2, filter), is(image));
        }
    }
}
