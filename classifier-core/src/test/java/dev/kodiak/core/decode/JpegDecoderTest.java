package dev.kodiak.core.decode;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The choice between TurboJPEG and ImageIO, and what TurboJPEG through the FFM API must never do:
 * allocate pixels before the limit is checked, share state between threads, crash on damaged
 * data, or turn a truncated file into a picture.
 */
class JpegDecoderTest {
    private static final NativeJpeg TURBO = JpegDecoderChoice.of(JpegDecoderChoice.Kind.TURBOJPEG);

    @Test
    void autoChoosesTurboJpegWhereTheLibraryAndJava22AreThere() {
        assertThat("why not: " + JpegDecoderChoice.unavailable(),
                JpegDecoderChoice.unavailable(), is(nullValue()));
        assertThat(JpegDecoderChoice.of(JpegDecoderChoice.Kind.AUTO), is(TURBO));
        assertThat(TURBO.describe(), containsString("libturbojpeg"));
        assertThat(new ImageDecoder(100, TURBO).jpegDecoder(), is("turbojpeg"));
        assertThat(new ImageDecoder(100, null).jpegDecoder(), is("java"));
    }

    @Test
    void theSystemPropertyChoosesAndABadValueSaysWhatIsAllowed() {
        String before = System.getProperty(JpegDecoderChoice.PROPERTY);
        try {
            System.setProperty(JpegDecoderChoice.PROPERTY, "java");
            assertThat(new ImageDecoder().jpegDecoder(), is("java"));
            System.setProperty(JpegDecoderChoice.PROPERTY, " TurboJPEG ");
            assertThat(new ImageDecoder().jpegDecoder(), is("turbojpeg"));
            System.setProperty(JpegDecoderChoice.PROPERTY, "auto");
            assertThat(new ImageDecoder().jpegDecoder(), is("turbojpeg"));
            System.setProperty(JpegDecoderChoice.PROPERTY, "fast");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    ImageDecoder::new);
            assertThat(e.getMessage(), is("Invalid kodiak.jpeg.decoder: 'fast'; use auto, "
                    + "turbojpeg or java"));
        } finally {
            if (before == null) {
                System.clearProperty(JpegDecoderChoice.PROPERTY);
            } else {
                System.setProperty(JpegDecoderChoice.PROPERTY, before);
            }
        }
    }

    @Test
    void theSizeIsCheckedBeforeThePixelBufferIsAllocated() {
        Recording recording = new Recording(TURBO);
        DecodeException bomb = assertThrows(DecodeException.class,
                () -> new ImageDecoder(ImageLimits.DEFAULT_MAX_PIXELS, recording)
                        .decode(Fixtures.image("bomb-30000.jpg").bytes(), ColorMode.RGB));
        assertThat(bomb.reason(), is(DecodeException.Reason.TOO_LARGE));
        DecodeException small = assertThrows(DecodeException.class,
                () -> new ImageDecoder(600 * 400 - 1, recording)
                        .decode(Fixtures.image("jpeg-baseline.jpg").bytes(), ColorMode.RGB));
        assertThat(small.getMessage(), containsString("600x400 (240000 pixels), more than the "
                + "limit of 239999"));
        assertThat("headers read", recording.opened.get(), is(2));
        assertThat("pixel buffers allocated", recording.decoded.get(), is(0));
        assertThat("images closed", recording.closed.get(), is(2));
    }

    @Test
    void aSubsamplingTurboJpegHasNoNameForIsLeftToImageIo() throws Exception {
        byte[] bytes = Fixtures.image("jpeg-410.jpg").bytes();
        NativeJpeg.Failure failure = assertThrows(NativeJpeg.Failure.class,
                () -> TURBO.open(bytes).close());
        assertThat(failure.getMessage(), containsString("Could not determine subsampling"));
        assertThat(failure.unsupported(), is(true));
        Pixels pixels = new ImageDecoder(ImageLimits.DEFAULT_MAX_PIXELS, TURBO)
                .decode(bytes, ColorMode.RGB);
        assertThat(pixels, is(Fixtures.image("jpeg-410.jpg").pil(ColorMode.RGB)));
    }

    /** Rows are converted and oriented band by band while they are copied out: gray too. */
    @Test
    void everyOrientationComesOutRightInGrayToo() throws Exception {
        ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT_MAX_PIXELS, TURBO);
        for (int n = 1; n <= 8; n++) {
            Fixtures.Image image = Fixtures.image("jpeg-exif-" + n + ".jpg");
            assertThat("orientation " + n, decoder.decode(image.bytes(), ColorMode.L),
                    is(image.pil(ColorMode.RGB).convert(ColorMode.L)));
        }
    }

    @Test
    void manyThreadsDecodingAtOnceEachGetTheirOwnPixels() throws Exception {
        ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT_MAX_PIXELS, TURBO);
        List<Fixtures.Image> jpegs = Fixtures.decodable().stream()
                .filter(i -> i.format().equals("jpeg")).toList();
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<List<String>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int offset = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    List<String> wrong = new ArrayList<>();
                    for (int round = 0; round < 4; round++) {
                        for (int i = 0; i < jpegs.size(); i++) {
                            Fixtures.Image image = jpegs.get((i + offset) % jpegs.size());
                            ColorMode mode = image.has(ColorMode.L) && (i + round) % 2 == 0
                                    ? ColorMode.L : ColorMode.RGB;
                            if (!decoder.decode(image.bytes(), mode).equals(image.pil(mode))) {
                                wrong.add(image.name() + " as " + mode);
                            }
                        }
                    }
                    return wrong;
                }));
            }
            start.countDown();
            List<String> wrong = new ArrayList<>();
            for (Future<List<String>> f : futures) {
                wrong.addAll(f.get());
            }
            assertThat(wrong, is(empty()));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Seeded damage anywhere in a real JPEG (headers, tables, entropy data): each copy decodes or
     * is refused with a DecodeException; nothing else escapes, and the JVM stays up.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = JpegDecoderChoice.Kind.class, names = {"TURBOJPEG", "JAVA"})
    void damagedBytesAreRefusedOrDecodedNeverACrash(JpegDecoderChoice.Kind kind) {
        ImageDecoder decoder = DecodeTest.decoder(kind);
        Random random = new Random(1234);
        List<String> escaped = new ArrayList<>();
        int refused = 0;
        for (String name : List.of("jpeg-progressive.jpg", "jpeg-restart.jpg", "jpeg-cmyk.jpg",
                "jpeg-exif-6.jpg")) {
            byte[] whole = Fixtures.image(name).bytes();
            for (int n = 0; n < 60; n++) {
                byte[] damaged = whole.clone();
                for (int k = 1 + random.nextInt(4); k > 0; k--) {
                    // headers are short: aim half of the damage at the first 700 bytes
                    int at = random.nextBoolean() ? 3 + random.nextInt(700)
                            : 3 + random.nextInt(whole.length - 3);
                    damaged[at] = (byte) random.nextInt(256);
                }
                try {
                    decoder.decode(damaged, n % 2 == 0 ? ColorMode.RGB : ColorMode.L);
                } catch (DecodeException e) {
                    refused++;
                } catch (RuntimeException e) {
                    escaped.add(name + " #" + n + ": " + e);
                }
            }
        }
        assertThat(escaped, is(empty()));
        assertThat("some damage is refused", refused > 0, is(true));
    }

    /**
     * libjpeg warns about junk before a marker and decodes anyway, as PIL does; but it reports
     * only its first warning, so a file that also ends early must still be called truncated.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = JpegDecoderChoice.Kind.class, names = {"TURBOJPEG", "JAVA"})
    void junkBeforeAMarkerIsForgivenButNotAMissingEnd(JpegDecoderChoice.Kind kind)
            throws DecodeException {
        ImageDecoder decoder = DecodeTest.decoder(kind);
        Fixtures.Image image = Fixtures.image("jpeg-progressive.jpg");
        byte[] whole = image.bytes();
        int secondScan = indexOf(whole, 0xFF, 0xDA, indexOf(whole, 0xFF, 0xDA, 0) + 2);
        assertThat("a second scan", secondScan > 0, is(true));
        ByteArrayOutputStream junk = new ByteArrayOutputStream();
        junk.write(whole, 0, secondScan);
        junk.writeBytes(new byte[] {1, 2, 3});
        junk.write(whole, secondScan, whole.length - secondScan);
        byte[] withJunk = junk.toByteArray();

        assertThat(decoder.decode(withJunk, ColorMode.RGB), is(image.pil(ColorMode.RGB)));
        byte[] cut = Arrays.copyOf(withJunk, withJunk.length - 200);
        DecodeException e = assertThrows(DecodeException.class,
                () -> decoder.decode(cut, ColorMode.RGB));
        assertThat(e.reason(), is(DecodeException.Reason.CORRUPT));
        assertThat(e.getMessage(), containsString("truncated"));
    }

    private static int indexOf(byte[] bytes, int first, int second, int from) {
        for (int i = from; i + 1 < bytes.length; i++) {
            if ((bytes[i] & 0xFF) == first && (bytes[i + 1] & 0xFF) == second) {
                return i;
            }
        }
        return -1;
    }

    /** A library that counts what is asked of it and passes everything on. */
    private static final class Recording implements NativeJpeg {
        final AtomicInteger opened = new AtomicInteger();
        final AtomicInteger decoded = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        private final NativeJpeg library;

        Recording(NativeJpeg library) {
            this.library = library;
        }

        @Override
        public String describe() {
            return "recording " + library.describe();
        }

        @Override
        public Image open(byte[] jpeg) throws Failure {
            Image image = library.open(jpeg);
            opened.incrementAndGet();
            return new Image() {
                @Override
                public int width() {
                    return image.width();
                }

                @Override
                public int height() {
                    return image.height();
                }

                @Override
                public ColorSpace colorSpace() {
                    return image.colorSpace();
                }

                @Override
                public String headerWarning() {
                    return image.headerWarning();
                }

                @Override
                public String decode(Layout layout) throws Failure {
                    decoded.incrementAndGet();
                    return image.decode(layout);
                }

                @Override
                public void copyRows(int firstRow, int rows, byte[] dst, int offset) {
                    image.copyRows(firstRow, rows, dst, offset);
                }

                @Override
                public void close() {
                    closed.incrementAndGet();
                    image.close();
                }
            };
        }
    }

    @Test
    void theRecordingLibraryReallyRecords() throws Exception {
        Recording recording = new Recording(TURBO);
        new ImageDecoder(ImageLimits.DEFAULT_MAX_PIXELS, recording)
                .decode(Fixtures.image("jpeg-gray.jpg").bytes(), ColorMode.L);
        assertThat(recording.decoded.get(), is(1));
        assertThat(recording.closed.get(), is(1));
        assertThat(TURBO, is(notNullValue()));
    }
}
