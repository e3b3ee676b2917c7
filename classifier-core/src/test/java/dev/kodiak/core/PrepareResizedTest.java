package dev.kodiak.core;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.core.testing.LosslessPng;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An image the browser widget already resized with the model's input spec gets, through
 * {@link Classifier#prepareResized(byte[])}, the scores of the original image; through the full
 * pipeline it would be resized a second time.
 */
class PrepareResizedTest {
    @ParameterizedTest
    @ValueSource(strings = {"tiny-rgb", "tiny-rgb-pad", "tiny-gray-crop", "tiny-gray-pad"})
    void aModelSizedImageGetsTheOriginalsScores(String bundle) throws Exception {
        try (Classifier classifier = Classifier.open(Fixtures.bundle(bundle))) {
            byte[] photo = Fixtures.image("jpeg-exif-6.jpg").bytes();
            ColorMode mode = classifier.manifest().input().color();
            Pixels resized = classifier.stages().preprocessor().resize(new ImageDecoder().decode(photo,
                    mode));
            byte[] png = LosslessPng.of(resized);

            float[] original = classifier.stages().scores(List.of(classifier.stages().prepare(photo)))[0];
            PreparedImage prepared = classifier.stages().prepareResized(png);
            assertThat(prepared.width() + "x" + prepared.height(),
                    is(resized.width() + "x" + resized.height()));
            assertThat(classifier.stages().scores(List.of(prepared))[0], is(original));
            if (bundle.endsWith("crop") || bundle.equals("tiny-rgb")) {
                // the defect prepareResized fixes: crop resizes a resized image again (a
                // letterbox of the model's size is kept as it is, so pad was never hit)
                assertThat(classifier.stages().scores(List.of(classifier.stages().prepare(png)))[0],
                        is(not(original)));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-rgb"})
    void anImageOfAnotherSizeIsRefusedNamingBothSizes(String bundle) throws Exception {
        try (Classifier classifier = Classifier.open(Fixtures.bundle(bundle))) {
            InputSizeException e = assertThrows(InputSizeException.class,
                    () -> classifier.stages().prepareResized(Fixtures.image("png-rgb8.png").bytes()));
            assertThat(e.expectedWidth() + "x" + e.expectedHeight(), is("32x32"));
            assertThat(e.width() + "x" + e.height(), is("240x160"));
            assertThat(e.getMessage(), containsString("The image is 240x160 but model "
                    + "'tiny-rgb' takes 32x32 images"));
        }
    }
}
