package dev.kodiak.core.bundle;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Interpolation;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Preprocessor;
import dev.kodiak.core.preprocess.ResizeMethod;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The probe's noise images and its comparison. */
class ProbeTest {
    @Test
    void noiseIsTheExportersNoise() {
        // the first values tools/export_bundle.py's probe_pixels gives for seeds 1 and 2
        byte[] one = Probe.noise(1, 8);
        byte[] two = Probe.noise(2, 6);
        int[] expectedOne = {60, 94, 129, 180, 12, 94, 198, 142};
        int[] expectedTwo = {60, 117, 48, 189, 183, 30};
        for (int i = 0; i < expectedOne.length; i++) {
            assertThat("seed 1 byte " + i, one[i] & 0xFF, is(expectedOne[i]));
        }
        for (int i = 0; i < expectedTwo.length; i++) {
            assertThat("seed 2 byte " + i, two[i] & 0xFF, is(expectedTwo[i]));
        }
    }

    @Test
    void inputIsEachSeedsImageThroughTheTensorStep() {
        InputSpec spec = InputSpec.builder(3, 2).mean(0.5f, 0.5f, 0.5f).std(0.25f, 0.25f, 0.25f)
                .build();
        Probe probe = new Probe(new int[] {1, 2}, 1e-3, new float[][] {{0f}, {0f}});
        float[] batch = probe.input(new Preprocessor(spec));
        assertThat(batch.length, is(2 * 18));
        byte[] first = Probe.noise(1, 18);
        // CHW: channel 0 of pixel (0, 0) is the first noise byte, channel 1 the second
        assertThat((double) batch[0], closeTo(((first[0] & 0xFF) / 255f - 0.5f) / 0.25f, 1e-6));
        assertThat((double) batch[6], closeTo(((first[1] & 0xFF) / 255f - 0.5f) / 0.25f, 1e-6));
        byte[] second = Probe.noise(2, 18);
        assertThat((double) batch[18], closeTo(((second[0] & 0xFF) / 255f - 0.5f) / 0.25f,
                1e-6));
    }

    @Test
    void toleranceScalesWithTheLargestMagnitude() {
        Probe probe = new Probe(new int[] {1}, 1e-3, new float[][] {{200f, -300f, 5f}});
        Probe.Difference close = probe.compare(new float[][] {{200.2f, -300.1f, 5f}});
        assertThat(close.within(), is(true));
        assertThat(close.allowed(), closeTo(0.3, 1e-9));
        Probe.Difference far = probe.compare(new float[][] {{200f, -300f, 5.5f}});
        assertThat(far.within(), is(false));
        assertThat(far.index(), is(2));
        assertThat(far.largest(), closeTo(0.5, 1e-6));
        Probe small = new Probe(new int[] {1}, 1e-3, new float[][] {{0.2f, 0.8f}});
        assertThat("probabilities: at least 1 as the scale",
                small.compare(new float[][] {{0.2f, 0.8009f}}).within(), is(true));
    }

    @Test
    void aNanScoreIsNeverWithin() {
        Probe probe = new Probe(new int[] {1}, 1e-3, new float[][] {{1f, 2f}});
        Probe.Difference d = probe.compare(new float[][] {{1f, Float.NaN}});
        assertThat(d.within(), is(false));
        assertThat(d.index(), is(1));
    }

    @Test
    void invalidProbesAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new Probe(new int[] {1, 2}, 1e-3, new float[][] {{1f}}));
        assertThrows(IllegalArgumentException.class,
                () -> new Probe(new int[] {1}, 0, new float[][] {{1f}}));
        assertThrows(IllegalArgumentException.class,
                () -> new Probe(new int[] {1, 2}, 1e-3, new float[][] {{1f}, {1f, 2f}}));
        Probe probe = new Probe(new int[] {1}, 1e-3, new float[][] {{1f, 2f}});
        assertThrows(IllegalArgumentException.class,
                () -> probe.compare(new float[][] {{1f}}));
    }

    @Test
    void aResizeProbesImagesAreMadeAtTheSourceSizeAndGoThroughTheWholeSpec() {
        InputSpec spec = InputSpec.builder(4, 3).resize(ResizeMethod.CROP).resizeShorter(5)
                .interpolation(Interpolation.BICUBIC).mean(0.5f, 0.5f, 0.5f)
                .std(0.25f, 0.25f, 0.25f).build();
        Preprocessor pre = new Preprocessor(spec);
        Probe probe = new Probe(new int[] {1, 2}, new Probe.Source(7, 5), 1e-3,
                new float[][] {{0f}, {0f}}, List.of());
        assertThat(probe.generator(), is(Probe.RESIZE_GENERATOR));
        assertThat(probe.source().orElseThrow(), is(new Probe.Source(7, 5)));
        float[] batch = probe.input(pre);
        assertThat(batch.length, is(2 * spec.tensorSize()));
        for (int i = 0; i < 2; i++) {
            float[] one = pre.apply(new Pixels(7, 5, ColorMode.RGB, Probe.noise(i + 1, 7 * 5 * 3)));
            assertThat("image " + (i + 1), Arrays.copyOfRange(batch, i * one.length,
                    (i + 1) * one.length), is(one));
        }
        // the first generator's images are of the model's size: another batch
        Probe pixels = new Probe(new int[] {1, 2}, 1e-3, new float[][] {{0f}, {0f}});
        assertThat(pixels.generator(), is(Probe.GENERATOR));
        assertThat(pixels.source().isPresent(), is(false));
        assertThat(Arrays.equals(pixels.input(pre), batch), is(false));
    }

    @Test
    void aSourceMustBeAnImageSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Probe.Source(0, 5));
        assertThat(e.getMessage(), is("Invalid probe source 0x5; each side must be 1 to 16384"));
        assertThrows(IllegalArgumentException.class,
                () -> new Probe.Source(5, Probe.MAX_SOURCE_SIDE + 1));
        assertThrows(IllegalArgumentException.class, () -> new Probe(new int[] {1}, null, 1e-3,
                new float[][] {{1f}}, null));
    }
}
