package dev.kodiak.core.decode;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.blankOrNullString;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes {@link ImageDecoder} on any bytes, through both JPEG decoders (TurboJPEG over FFM and
 * ImageIO) and both WebP decoders (libwebp over FFM and ImageIO), and {@link DecodeMemory#estimate} on what {@link ImageDecoder#readHeader} reads.
 *
 * <p>The contract: pixels within the limits, or a {@link DecodeException} with a reason and a
 * message; never another exception, never a JVM crash, never an allocation beyond what the pixel
 * limit allows. The limit here is small (1 MP), so that a size check that is skipped shows as an
 * allocation over {@link #MAX_ALLOCATED} rather than as a slow decode.
 *
 * <p>Regression mode (every test run) decodes the committed inputs in
 * {@code src/test/resources/dev/kodiak/core/decode/ImageDecoderFuzzTestInputs/decode/}: small
 * images of every format and every input the fuzzer found a fault with. {@code ./kodiak fuzz}
 * runs it in fuzzing mode.
 */
class ImageDecoderFuzzTest {
    /** The pixel limit of the decoders under test. */
    private static final long MAX_PIXELS = 1L << 20;
    /**
     * The most one decode may allocate on the heap: 24 bytes a pixel at the limit (a 16-bit RGBA
     * raster, the converted pixels, a rotated copy, with room to spare) plus 64 MB for the
     * decoders' own state. A decode past its size check would allocate gigabytes.
     */
    private static final long MAX_ALLOCATED = MAX_PIXELS * 24 + (64L << 20);

    /** TurboJPEG and libwebp. */
    private static final ImageDecoder TURBO = new ImageDecoder(MAX_PIXELS,
            JpegDecoderChoice.of(JpegDecoderChoice.Kind.TURBOJPEG),
            WebpDecoderChoice.of(WebpDecoderChoice.Kind.LIBWEBP));
    /** ImageIO for both. */
    private static final ImageDecoder JAVA = new ImageDecoder(MAX_PIXELS, null, null);
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @FuzzTest(maxDuration = "10m")
    @DictionaryFile(resourcePath = "image-formats.dict")
    @Timeout(10)
    void decode(byte[] bytes) {
        // the length's parity picks the colour mode: mutations reach both, seeds stay images
        ColorMode mode = bytes.length % 2 == 0 ? ColorMode.RGB : ColorMode.L;
        Pixels turbo = decodeWith(TURBO, bytes, mode, readHeader(TURBO, bytes));
        ImageFormat format = ImageFormat.sniff(bytes);
        if (format == ImageFormat.JPEG || format == ImageFormat.WEBP) {
            // each decoder against its own header: libwebp's and ImageIO's WebP headers differ
            Pixels java = decodeWith(JAVA, bytes, mode, readHeader(JAVA, bytes));
            // (TwelveMonkeys gives an animated WebP's first frame at its own size, not the
            // canvas's: the WebP decoders agree on the limits, not on the size)
            if (format == ImageFormat.JPEG && turbo != null && java != null) {
                assertThat("both decoders see the same size", java.width() + "x" + java.height(),
                        is(turbo.width() + "x" + turbo.height()));
            }
        }
    }

    /** Found by this test: TwelveMonkeys read zero bits past the end for 35 seconds. */
    @Test
    @Timeout(10)
    void aWebPWhoseDataEndsTooSoonIsCorruptAtOnce() throws IOException {
        byte[] bytes = input("timeout-webp-lossless-reads-past-end");
        DecodeException java = assertThrows(DecodeException.class,
                () -> JAVA.decode(bytes, ColorMode.RGB));
        assertThat(java.reason(), is(DecodeException.Reason.CORRUPT));
        assertThat(java.getMessage(), is("The WEBP image is damaged or truncated and cannot be "
                + "decoded (the decoder kept reading past the end of the 289 bytes: the image "
                + "data ends before the image does); open it in an image viewer, re-save it, "
                + "and send it again"));
        DecodeException libwebp = assertThrows(DecodeException.class,
                () -> TURBO.decode(bytes, ColorMode.RGB));
        assertThat(libwebp.reason(), is(DecodeException.Reason.CORRUPT));
        assertThat(libwebp.getMessage(), containsString("WebPAnimDecoderGetNext could not "
                + "decode the first frame"));
    }

    /** Found by this test: a 16x12 canvas whose VP8 frame claims 16201x16254 pixels. */
    @Test
    void aWebPFrameLargerThanItsCanvasIsCorruptBeforeAnyPixelIsAllocated() throws IOException {
        byte[] bytes = input("crash-webp-vp8-frame-larger-than-canvas");
        String message = "The WEBP image is damaged: it holds a 16201x16254 frame in a 16x12 "
                + "canvas; open it in an image viewer, re-save it, and send it again";
        DecodeException header = assertThrows(DecodeException.class, () -> JAVA.readHeader(bytes));
        assertThat(header.getMessage(), is(message));
        long before = THREADS.getCurrentThreadAllocatedBytes();
        DecodeException decode = assertThrows(DecodeException.class,
                () -> JAVA.decode(bytes, ColorMode.RGB));
        assertThat(THREADS.getCurrentThreadAllocatedBytes() - before, lessThanOrEqualTo(1L << 20));
        assertThat(decode.reason(), is(DecodeException.Reason.CORRUPT));
        assertThat(decode.getMessage(), is(message));
    }

    /**
     * Found by this test once WebPs ran through TwelveMonkeys and libwebp alike: a 7-byte VP8
     * chunk, whose frame size TwelveMonkeys reads past its end (100 MB for 15468x15325), and an
     * animation frame placed outside its 12x8 canvas, which TwelveMonkeys made a 66x8 image of
     * and libwebp refuses. Both are refused before a pixel exists, by both decoders.
     */
    @Test
    void aWebPFrameOutsideItsCanvasIsCorruptHoweverItGetsThere() throws IOException {
        for (String name : new String[] {"crash-webp-short-vp8-chunk-claims-15468x15325",
            "crash-webp-animation-frame-outside-canvas"}) {
            byte[] bytes = input(name);
            for (ImageDecoder decoder : new ImageDecoder[] {TURBO, JAVA}) {
                long before = THREADS.getCurrentThreadAllocatedBytes();
                DecodeException e = assertThrows(DecodeException.class,
                        () -> decoder.decode(bytes, ColorMode.RGB));
                assertThat(name, THREADS.getCurrentThreadAllocatedBytes() - before,
                        lessThanOrEqualTo(1L << 20));
                assertThat(e.reason(), is(DecodeException.Reason.CORRUPT));
                assertThat(e.getMessage(), containsString("canvas; open it in an image viewer"));
                assertThat(assertThrows(DecodeException.class, () -> decoder.readHeader(bytes))
                        .getMessage(), is(e.getMessage()));
            }
        }
    }

    static byte[] input(String name) throws IOException {
        try (InputStream in = ImageDecoderFuzzTest.class.getResourceAsStream(
                "ImageDecoderFuzzTestInputs/decode/" + name)) {
            if (in == null) {
                throw new IOException("no committed fuzz input " + name);
            }
            return in.readAllBytes();
        }
    }

    private static ImageInfo readHeader(ImageDecoder decoder, byte[] bytes) {
        try {
            ImageInfo info = decoder.readHeader(bytes);
            assertThat(info.format(), is(notNullValue()));
            assertThat(info.orientation(), is(both(1, 8)));
            long estimate = DecodeMemory.estimate(info, bytes);
            assertThat(estimate, greaterThanOrEqualTo(DecodeMemory.OVERHEAD));
            return info;
        } catch (DecodeException e) {
            checkRefusal(e);
            return null;
        }
    }

    private static org.hamcrest.Matcher<Integer> both(int low, int high) {
        return org.hamcrest.Matchers.both(greaterThanOrEqualTo(low))
                .and(lessThanOrEqualTo(high));
    }

    private static Pixels decodeWith(ImageDecoder decoder, byte[] bytes, ColorMode mode,
            ImageInfo header) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        Pixels pixels = decodeOrNull(decoder, bytes, mode);
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        if (allocated > MAX_ALLOCATED) {
            // The first decode down a new path also counts the classes it loads, which the
            // fuzzer's agent instruments on this thread (282 MB for the first JPEG once): only
            // a second, identical decode measures the decoder.
            before = THREADS.getCurrentThreadAllocatedBytes();
            decodeOrNull(decoder, bytes, mode);
            allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        }
        assertThat(decoder.jpegDecoder() + " decoder allocated (bytes)", allocated,
                lessThanOrEqualTo(MAX_ALLOCATED));
        if (pixels != null) {
            assertThat(pixels.mode(), is(mode));
            assertThat((long) pixels.width() * pixels.height(), lessThanOrEqualTo(MAX_PIXELS));
            assertThat(Math.max(pixels.width(), pixels.height()) / Math.min(pixels.width(),
                    pixels.height()), lessThanOrEqualTo(ImageLimits.MAX_ASPECT_RATIO));
            if (header != null) {
                // the server reserves memory by the header: a decode must not be larger
                assertThat("decoded pixels against the header's " + header,
                        (long) pixels.width() * pixels.height(),
                        lessThanOrEqualTo(header.pixels()));
            }
        }
        return pixels;
    }

    private static Pixels decodeOrNull(ImageDecoder decoder, byte[] bytes, ColorMode mode) {
        try {
            return decoder.decode(bytes, mode);
        } catch (DecodeException e) {
            checkRefusal(e);
            return null;
        }
    }

    private static void checkRefusal(DecodeException e) {
        assertThat(e.reason(), is(notNullValue()));
        assertThat(e.getMessage(), is(not(blankOrNullString())));
    }
}
