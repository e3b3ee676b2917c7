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
 * Every fixture format decodes to what PIL decodes it to: exactly, or where ImageIO stands in for
 * a native library, within the noise measured here. JPEGs are checked through both JPEG
 * decoders (TurboJPEG and ImageIO), WebPs through both WebP decoders (libwebp and ImageIO).
 */
class DecodeTest {
    /**
     * Lossy WebP through ImageIO: TwelveMonkeys' VP8 decoder upsamples chroma differently from
     * libwebp, so values differ at colour edges (up to 24 levels on the fixtures, 2.7 on
     * average). Through libwebp, PIL's own decoder, every WebP is exact.
     */
    static final int LOSSY_WEBP_MAX = 32;
    static final double LOSSY_WEBP_MEAN = 3.0;

    /**
     * An animation whose first frame covers part of the canvas: TwelveMonkeys hands over the
     * frame at its own size, PIL (libwebp's animation decoder) the canvas.
     */
    static final String WEBP_OFFSET_FRAME = "webp-animated-offset.webp";

    /**
     * 4:4:0 through ImageIO: libjpeg 6b replicates chroma rows where libjpeg-turbo interpolates
     * them ("fancy" vertical upsampling), so colour edges differ: by up to 11 levels on the
     * fixture, 0.33 on average (RGB).
     */
    static final int JAVA_440_MAX = 11;
    static final double JAVA_440_MEAN = 0.4;

    private final ImageDecoder decoder = new ImageDecoder();

    /** The native libraries of a decoder under test, or null where ImageIO stands in. */
    record Libraries(NativeJpeg jpeg, NativeWebp webp) {
        static final Libraries NATIVE = new Libraries(
                JpegDecoderChoice.of(JpegDecoderChoice.Kind.TURBOJPEG),
                WebpDecoderChoice.of(WebpDecoderChoice.Kind.LIBWEBP));
        static final Libraries JAVA = new Libraries(null, null);

        ImageDecoder decoder() {
            return new ImageDecoder(ImageLimits.DEFAULT_MAX_PIXELS, jpeg, webp);
        }

        @Override
        public String toString() {
            return jpeg == null ? "ImageIO" : "native";
        }
    }

    /** The decoder of one JPEG kind, with the default limit and libwebp when it is there. */
    static ImageDecoder decoder(JpegDecoderChoice.Kind kind) {
        return new ImageDecoder(ImageLimits.DEFAULT_MAX_PIXELS, JpegDecoderChoice.of(kind));
    }

    /** Every golden image and mode; JPEGs and WebPs once with each decoder. */
    static Stream<Arguments> goldens() {
        return Fixtures.decodable().stream().flatMap(image -> Stream.of(ColorMode.values())
                .filter(image::has).flatMap(mode -> (image.format().equals("jpeg")
                        || image.format().equals("webp")
                        ? Stream.of(Libraries.NATIVE, Libraries.JAVA)
                        : Stream.of(Libraries.NATIVE))
                        .map(libraries -> Arguments.of(image, mode, libraries))));
    }

    @ParameterizedTest(name = "{0} as {1} ({2})")
    @MethodSource("goldens")
    void decodesLikePil(Fixtures.Image image, ColorMode mode, Libraries libraries)
            throws DecodeException {
        Pixels expected = image.pil(mode);
        boolean imageIo = libraries == Libraries.JAVA;
        if (imageIo && image.name().equals("jpeg-arithmetic.jpg")) {
            DecodeException e = assertThrows(DecodeException.class,
                    () -> libraries.decoder().decode(image.bytes(), mode));
            assertThat(e.reason(), is(DecodeException.Reason.UNSUPPORTED_FORMAT));
            assertThat(e.getMessage(), containsString("arithmetic-coded, which Kodiak decodes "
                    + "only with libjpeg-turbo"));
            return;
        }
        Pixels actual = libraries.decoder().decode(image.bytes(), mode);

        if (imageIo && image.name().equals(WEBP_OFFSET_FRAME)) {
            assertThat("TwelveMonkeys gives the frame, not the canvas",
                    actual.width() + "x" + actual.height(), is("80x100"));
            return;
        }
        assertThat("size", actual.width() + "x" + actual.height(),
                is(expected.width() + "x" + expected.height()));
        assertThat(actual.mode(), is(mode));
        Difference d = Difference.of(expected, actual);
        if (imageIo && image.lossy() && image.format().equals("webp")) {
            assertThat("ImageIO is not exact on lossy WebP: " + d, d.max, greaterThan(0));
            assertThat("max |Δ| " + d, d.max, lessThanOrEqualTo(LOSSY_WEBP_MAX));
            assertThat("mean |Δ| " + d, d.mean, lessThan(LOSSY_WEBP_MEAN));
        } else if (imageIo && image.name().equals("jpeg-440.jpg")) {
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
