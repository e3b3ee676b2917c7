package dev.kodiak.core.decode;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.management.ThreadMXBean;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.testing.Fixtures;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile bytes are rejected with the right typed error and without large allocations, through
 * both JPEG decoders (TurboJPEG and ImageIO).
 */
class HostileInputTest {
    /** A 240x160 RGB decode allocates about 0.5 MB; a bomb decoded would need gigabytes. */
    static final long ALLOCATION_LIMIT = 8L << 20;

    private static final ThreadMXBean THREADS =
            (ThreadMXBean) ManagementFactory.getThreadMXBean();

    static Stream<Arguments> hostile() {
        return Fixtures.hostile().stream().flatMap(image -> Stream.of(
                JpegDecoderChoice.Kind.TURBOJPEG, JpegDecoderChoice.Kind.JAVA)
                .map(kind -> Arguments.of(image, kind)));
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("hostile")
    void isRejectedWithItsReason(Fixtures.Image image, JpegDecoderChoice.Kind kind) {
        ImageDecoder decoder = DecodeTest.decoder(kind);
        byte[] bytes = image.bytes();
        decodeSomethingFirst(decoder); // class loading and set-up are not the input's cost

        long before = THREADS.getCurrentThreadAllocatedBytes();
        DecodeException e = assertThrows(DecodeException.class,
                () -> decoder.decode(bytes, ColorMode.RGB));
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;

        assertThat(e.getMessage(), e.reason().name(), is(image.error()));
        assertThat("bytes allocated while rejecting", allocated, lessThan(ALLOCATION_LIMIT));
    }

    private static void decodeSomethingFirst(ImageDecoder decoder) {
        try {
            decoder.decode(Fixtures.image("png-small.png").bytes(), ColorMode.RGB);
            decoder.decode(Fixtures.image("jpeg-gray.jpg").bytes(), ColorMode.RGB);
        } catch (DecodeException e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = JpegDecoderChoice.Kind.class, names = {"TURBOJPEG", "JAVA"})
    void messagesSayWhatHappenedAndWhatToDo(JpegDecoderChoice.Kind kind) {
        ImageDecoder decoder = DecodeTest.decoder(kind);
        Map<String, String> expected = Map.of(
                "empty.jpg", "The image is empty (0 bytes); send a JPEG, PNG, GIF, BMP or WebP",
                "html-renamed.jpg", "it looks like HTML, perhaps an error page",
                "drawing.svg", "SVG images are not supported; send a JPEG",
                "bomb-65000.png", "65000x65000 (4225000000 pixels), more than the limit of "
                        + "50000000 pixels; scale it down",
                "bomb-30000.jpg", "30000x30000 (900000000 pixels)",
                "bomb-65000.gif", "65000x65000 (4225000000 pixels), more than the limit",
                "truncated.png", "The PNG file is truncated (its image data inflates to 66169 of "
                        + "the 115360 bytes its header implies); send the whole file",
                "strip-1x5000000.png", "1x5000000: one side is more than 10000 times the other");
        expected.forEach((file, text) -> {
            DecodeException e = assertThrows(DecodeException.class,
                    () -> decoder.decode(Fixtures.image(file).bytes(), ColorMode.L));
            assertThat(file, e.getMessage(), containsString(text));
        });
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = JpegDecoderChoice.Kind.class, names = {"TURBOJPEG", "JAVA"})
    void truncatedJpegIsAnErrorNotAGreyBottomHalf(JpegDecoderChoice.Kind kind) {
        ImageDecoder decoder = DecodeTest.decoder(kind);
        DecodeException e = assertThrows(DecodeException.class,
                () -> decoder.decode(Fixtures.image("truncated.jpg").bytes(), ColorMode.RGB));
        assertThat(e.reason(), is(DecodeException.Reason.CORRUPT));
        assertThat(e.getMessage(), containsString("truncated"));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = JpegDecoderChoice.Kind.class, names = {"TURBOJPEG", "JAVA"})
    void everyPrefixOfARealPhotoIsRejectedAsCorruptOrDecodesWhole(JpegDecoderChoice.Kind kind)
            throws DecodeException {
        ImageDecoder decoder = DecodeTest.decoder(kind);
        for (String name : List.of("png-small.png", "jpeg-progressive.jpg", "jpeg-restart.jpg",
                "jpeg-440.jpg", "gif-palette.gif", "webp-lossless.webp", "bmp-rgb24.bmp")) {
            byte[] whole = Fixtures.image(name).bytes();
            var full = decoder.decode(whole, ColorMode.RGB);
            for (int n = 1; n < whole.length; n += 1 + whole.length / 300) {
                byte[] prefix = java.util.Arrays.copyOf(whole, n);
                try {
                    // PIL also accepts a file cut only in its trailing chunks (PNG's IEND)
                    assertThat(name + " prefix " + n, decoder.decode(prefix, ColorMode.RGB),
                            is(full));
                } catch (DecodeException e) {
                    // shorter than the format's signature, the bytes are simply not an image
                    assertThat(name + " prefix " + n + ": " + e.getMessage(), e.reason(),
                            n < 16 ? anyOf(is(DecodeException.Reason.NOT_AN_IMAGE),
                                    is(DecodeException.Reason.CORRUPT))
                                    : is(DecodeException.Reason.CORRUPT));
                }
            }
        }
    }

    @Test
    void heicGetsAHintForIphoneUsers() {
        ImageDecoder decoder = new ImageDecoder();
        byte[] heic = "\0\0\0\u0018ftypheic\0\0\0\0mif1heic".getBytes(StandardCharsets.ISO_8859_1);
        DecodeException e = assertThrows(DecodeException.class,
                () -> decoder.decode(heic, ColorMode.RGB));
        assertThat(e.reason(), is(DecodeException.Reason.UNSUPPORTED_FORMAT));
        assertThat(e.getMessage(), containsString("Most Compatible"));
    }
}
