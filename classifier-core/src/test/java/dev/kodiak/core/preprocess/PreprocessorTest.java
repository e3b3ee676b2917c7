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
    void aThinStripIsCroppedWithoutResizingAllOfIt() {
        // 1x5000000 resized to 256 on its short side would be 256x1280000000: only the
        // 224x224 window is computed, so this takes milliseconds and a few hundred KB
        byte[] data = new byte[5_000_000];
        java.util.Arrays.fill(data, (byte) 0x80);
        Pixels strip = new Pixels(1, 5_000_000, ColorMode.L, data);
        Preprocessor pre = new Preprocessor(InputSpec.builder(224, 224).color(ColorMode.L)
                .resize(ResizeMethod.CROP).resizeShorter(256).build());
        Pixels out = pre.resize(strip);
        assertThat(out.width() + "x" + out.height(), is("224x224"));
        for (byte b : out.data()) {
            assertThat(b, is((byte) 0x80));
        }
    }

    @Test
    void aCropPastTwoBillionPixelsIsRefusedWithTheReason() {
        Pixels strip = new Pixels(1, 9_000_000, ColorMode.L, new byte[9_000_000]);
        Preprocessor pre = new Preprocessor(InputSpec.builder(224, 224).color(ColorMode.L)
                .resize(ResizeMethod.CROP).resizeShorter(256).build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pre.apply(strip));
        assertThat(e.getMessage(), containsString("would be 2304000000 pixels long"));
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
    void aWindowOfAResizeEqualsCroppingTheWholeResize() {
        java.util.Random random = new java.util.Random(42);
        byte[] data = new byte[37 * 23 * 3];
        random.nextBytes(data);
        Pixels image = new Pixels(37, 23, ColorMode.RGB, data);
        int[][] sizes = {{61, 47}, {19, 11}, {37, 50}, {90, 23}, {12, 23}};
        for (Interpolation filter : Interpolation.values()) {
            for (int[] size : sizes) {
                Pixels whole = Resampler.resize(image, size[0], size[1], filter);
                for (int trial = 0; trial < 5; trial++) {
                    int w = 1 + random.nextInt(size[0]);
                    int h = 1 + random.nextInt(size[1]);
                    int left = random.nextInt(size[0] - w + 1);
                    int top = random.nextInt(size[1] - h + 1);
                    byte[] expected = new byte[w * h * 3];
                    for (int y = 0; y < h; y++) {
                        System.arraycopy(whole.data(), ((top + y) * size[0] + left) * 3,
                                expected, y * w * 3, w * 3);
                    }
                    Pixels window = Resampler.resize(image, size[0], size[1], filter, left, top,
                            w, h);
                    assertThat(filter + " " + size[0] + "x" + size[1] + " window " + w + "x" + h
                            + " at " + left + "," + top, window,
                            is(new Pixels(w, h, ColorMode.RGB, expected)));
                }
            }
        }
    }

    @Test
    void resizingToTheSameSizeIsTheIdentity() {
        Pixels image = new Pixels(3, 2, ColorMode.L, new byte[] {1, 2, 3, 4, 5, 6});
        for (Interpolation filter : Interpolation.values()) {
            assertThat(Resampler.resize(image, 3, 2, filter), is(image));
        }
    }
}
