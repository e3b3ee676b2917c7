package dev.kodiak.core.decode;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.testing.Fixtures;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fixture format decodes to what PIL decodes it to: exactly, or within decoder noise. JPEGs
 * are checked through both decoders, TurboJPEG and ImageIO.
 */
class DecodeTest {
    /**
     * Lossy WebP: TwelveMonkeys' VP8 decoder upsamples chroma differently from libwebp, so values
     * differ at colour edges. JPEG needs no allowance through TurboJPEG, which is PIL's own
     * libjpeg-turbo; nor through ImageIO, whose libjpeg 6b has the same IDCT, colour tables and
     * fancy upsampling, except for 4:4:0 (see {@link #JAVA_440_MAX}).
     */
    static final int LOSSY_WEBP_MAX = 32;
    static final double LOSSY_WEBP_MEAN = 2.0;

    /**
     * 4:4:0 through ImageIO: libjpeg 6b replicates chroma rows where libjpeg-turbo interpolates
     * them ("fancy" vertical upsampling), so colour edges differ: by up to 11 levels on the
     * fixture, 0.33 on average (RGB).
     */
    static final int JAVA_440_MAX = 11;
    static final double JAVA_440_MEAN = 0.4;

    private final ImageDecoder decoder = new ImageDecoder();

    /** The decoder of one kind, with the default limit. */
    static ImageDecoder decoder(JpegDecoderChoice.Kind kind) {
        return new ImageDecoder(ImageLimits.DEFAULT_MAX_PIXELS, JpegDecoderChoice.of(kind));
    }

    /** Every golden image and mode; JPEGs once per decoder. */
    static Stream<Arguments> goldens() {
        return Fixtures.decodable().stream().flatMap(image -> Stream.of(ColorMode.values())
                .filter(image::has).flatMap(mode -> (image.format().equals("jpeg")
                        ? Stream.of(JpegDecoderChoice.Kind.TURBOJPEG, JpegDecoderChoice.Kind.JAVA)
                        : Stream.of(JpegDecoderChoice.Kind.JAVA))
                        .map(kind -> Arguments.of(image, mode, kind))));
    }

    @ParameterizedTest(name = "{0} as {1} ({2})")
    @MethodSource("goldens")
    void decodesLikePil(Fixtures.Image image, ColorMode mode, JpegDecoderChoice.Kind kind)
            throws DecodeException {
        Pixels expected = image.pil(mode);
        Pixels actual = decoder(kind).decode(image.bytes(), mode);

        assertThat("size", actual.width() + "x" + actual.height(),
                is(expected.width() + "x" + expected.height()));
        assertThat(actual.mode(), is(mode));
        Difference d = Difference.of(expected, actual);
        if (image.lossy() && image.format().equals("webp")) {
            assertThat("max |Δ| " + d, d.max, lessThanOrEqualTo(LOSSY_WEBP_MAX));
            assertThat("mean |Δ| " + d, d.mean, lessThan(LOSSY_WEBP_MEAN));
        } else if (image.name().equals("jpeg-440.jpg") && kind == JpegDecoderChoice.Kind.JAVA) {
            assertThat("ImageIO is not exact on 4:4:0: " + d, d.max, greaterThan(0));
            assertThat("max |Δ| " + d, d.max, lessThanOrEqualTo(JAVA_440_MAX));
            assertThat("mean |Δ| " + d, d.mean, lessThan(JAVA_440_MEAN));
        } else {
            assertThat("decodes bit-exactly like PIL: " + d, d.max, is(0));
        }
    }

    @Test
    void allEightExifOrientationsShowTheSameUprightPhoto() throws DecodeException {
        Pixels upright = decoder.decode(Fixtures.image("jpeg-exif-1.jpg").bytes(), ColorMode.RGB);
        for (int n = 2; n <= 8; n++) {
            Pixels turned = decoder.decode(Fixtures.image("jpeg-exif-" + n + ".jpg").bytes(),
                    ColorMode.RGB);
            assertThat("orientation " + n, turned.width() + "x" + turned.height(),
                    is(upright.width() + "x" + upright.height()));
            Difference d = Difference.of(upright, turned);
            // re-encoding a rotated photo moves JPEG block edges, so only the mean is tight
            assertThat("orientation " + n + " " + d, d.mean, lessThan(3.0));
        }
    }

    @Test
    void readHeaderReadsTheHeaderOnly() throws DecodeException {
        ImageInfo info = decoder.readHeader(Fixtures.image("jpeg-exif-6.jpg").bytes());
        assertThat(info.format(), is(ImageFormat.JPEG));
        assertThat(info.orientation(), is(6));
        assertThat(info.displayWidth() + "x" + info.displayHeight(), is("180x120"));
    }

    @Test
    void limitIsConfigurable() {
        ImageDecoder small = new ImageDecoder(240 * 160 - 1);
        DecodeException e = assertThrows(DecodeException.class,
                () -> small.decode(Fixtures.image("png-rgb8.png").bytes(), ColorMode.RGB));
        assertThat(e.reason(), is(DecodeException.Reason.TOO_LARGE));
        assertThat(e.getMessage(), containsString("240x160 (38400 pixels), more than the limit "
                + "of 38399"));
    }

    /** Largest and mean absolute difference between two images of the same size. */
    record Difference(int max, double mean) {
        static Difference of(Pixels a, Pixels b) {
            byte[] x = a.data();
            byte[] y = b.data();
            int max = 0;
            long sum = 0;
            for (int i = 0; i < x.length; i++) {
                int d = Math.abs((x[i] & 0xFF) - (y[i] & 0xFF));
                max = Math.max(max, d);
                sum += d;
            }
            return new Difference(max, (double) sum / x.length);
        }
    }
}
