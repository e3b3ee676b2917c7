package dev.kodiak.core.decode;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.testing.Fixtures;
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

/**
 * The choice between libwebp and ImageIO, and what libwebp through the FFM API must never do:
 * let it allocate a canvas before the limit is checked, share state between threads, crash on
 * damaged data, or turn a truncated file into a picture.
 */
class WebpDecoderTest {
    private static final NativeWebp LIBWEBP = WebpDecoderChoice.of(WebpDecoderChoice.Kind.LIBWEBP);

    static ImageDecoder decoder(long maxPixels, NativeWebp webp) {
        return new ImageDecoder(maxPixels, null, webp);
    }

    @Test
    void autoChoosesLibwebpWhereTheLibraryAndJava22AreThere() {
        assertThat("why not: " + WebpDecoderChoice.unavailable(),
                WebpDecoderChoice.unavailable(), is(nullValue()));
        assertThat(WebpDecoderChoice.of(WebpDecoderChoice.Kind.AUTO), is(LIBWEBP));
        assertThat(LIBWEBP.describe(), containsString("libwebpdemux.so.2 (libwebp 1.2.4)"));
        assertThat(decoder(100, LIBWEBP).webpDecoder(), is("libwebp"));
        assertThat(decoder(100, null).webpDecoder(), is("java"));
    }

    @Test
    void theSystemPropertyChoosesAndABadValueSaysWhatIsAllowed() {
        String before = System.getProperty(WebpDecoderChoice.PROPERTY);
        try {
            System.setProperty(WebpDecoderChoice.PROPERTY, "java");
            assertThat(new ImageDecoder().webpDecoder(), is("java"));
            System.setProperty(WebpDecoderChoice.PROPERTY, " LibWebP ");
            assertThat(new ImageDecoder().webpDecoder(), is("libwebp"));
            System.setProperty(WebpDecoderChoice.PROPERTY, "auto");
            assertThat(new ImageDecoder().webpDecoder(), is("libwebp"));
            System.setProperty(WebpDecoderChoice.PROPERTY, "fast");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    ImageDecoder::new);
            assertThat(e.getMessage(), is("Invalid kodiak.webp.decoder: 'fast'; use auto, "
                    + "libwebp or java"));
        } finally {
            if (before == null) {
                System.clearProperty(WebpDecoderChoice.PROPERTY);
            } else {
                System.setProperty(WebpDecoderChoice.PROPERTY, before);
            }
        }
    }

    @Test
    void theSizeIsCheckedBeforeLibwebpMakesACanvas() throws Exception {
        Recording recording = new Recording(LIBWEBP);
        DecodeException small = assertThrows(DecodeException.class, () -> decoder(
                240 * 160 - 1, recording).decode(Fixtures.image("webp-animated.webp").bytes(),
                ColorMode.RGB));
        assertThat(small.reason(), is(DecodeException.Reason.TOO_LARGE));
        assertThat(small.getMessage(), containsString("240x160 (38400 pixels), more than the "
                + "limit of 38399"));
        // an animation's canvas may be larger than its frames: claim 16384 x 16384, 1 GB of
        // RGBA that libwebp would allocate twice
        byte[] huge = Fixtures.image("webp-animated-offset.webp").bytes().clone();
        assertThat(new String(huge, 12, 4, java.nio.charset.StandardCharsets.US_ASCII),
                is("VP8X"));
        huge[24] = (byte) 0xFF;
        huge[25] = (byte) 0x3F;
        huge[27] = (byte) 0xFF;
        huge[28] = (byte) 0x3F;
        DecodeException bomb = assertThrows(DecodeException.class, () -> decoder(
                ImageLimits.DEFAULT_MAX_PIXELS, recording).decode(huge, ColorMode.RGB));
        assertThat(bomb.getMessage(), bomb.reason(), is(DecodeException.Reason.TOO_LARGE));
        assertThat(bomb.getMessage(), containsString("16384x16384 (268435456 pixels)"));
        assertThat("headers read", recording.opened.get(), is(2));
        assertThat("canvases made", recording.decoded.get(), is(0));
        assertThat("images closed", recording.closed.get(), is(2));
        decoder(ImageLimits.DEFAULT_MAX_PIXELS, recording).decode(
                Fixtures.image("webp-animated.webp").bytes(), ColorMode.L);
        assertThat("the recording records", recording.decoded.get(), is(1));
        assertThat(recording.closed.get(), is(3));
    }

    @Test
    void aTruncatedWebPIsCorrupt() {
        byte[] whole = Fixtures.image("webp-exif-6.webp").bytes();
        for (int n : new int[] {20, 40, whole.length / 2, whole.length - 1}) {
            DecodeException e = assertThrows(DecodeException.class, () -> decoder(
                    ImageLimits.DEFAULT_MAX_PIXELS, LIBWEBP).decode(Arrays.copyOf(whole, n),
                    ColorMode.RGB));
            assertThat("prefix " + n + ": " + e.getMessage(), e.reason(),
                    is(DecodeException.Reason.CORRUPT));
        }
    }

    /**
     * Seeded damage anywhere in real WebPs (headers, chunks, frames, lossless and lossy data):
     * each copy decodes or is refused with a DecodeException; nothing else escapes.
     */
    @Test
    void damagedBytesAreRefusedOrDecodedNeverACrash() {
        ImageDecoder decoder = decoder(ImageLimits.DEFAULT_MAX_PIXELS, LIBWEBP);
        Random random = new Random(4321);
        List<String> escaped = new ArrayList<>();
        int refused = 0;
        for (String name : List.of("webp-lossy-alpha.webp", "webp-animated-offset.webp",
                "webp-lossless.webp", "webp-exif-6.webp")) {
            byte[] whole = Fixtures.image(name).bytes();
            for (int n = 0; n < 60; n++) {
                byte[] damaged = whole.clone();
                for (int k = 1 + random.nextInt(4); k > 0; k--) {
                    int at = random.nextBoolean() ? 12 + random.nextInt(Math.min(200,
                            whole.length - 12)) : 12 + random.nextInt(whole.length - 12);
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

    @Test
    void manyThreadsDecodingAtOnceEachGetTheirOwnPixels() throws Exception {
        ImageDecoder decoder = decoder(ImageLimits.DEFAULT_MAX_PIXELS, LIBWEBP);
        List<Fixtures.Image> webps = Fixtures.decodable().stream()
                .filter(i -> i.format().equals("webp")).toList();
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
                        for (int i = 0; i < webps.size(); i++) {
                            Fixtures.Image image = webps.get((i + offset) % webps.size());
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

    /** A library that counts what is asked of it and passes everything on. */
    private static final class Recording implements NativeWebp {
        final AtomicInteger opened = new AtomicInteger();
        final AtomicInteger decoded = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        private final NativeWebp library;

        Recording(NativeWebp library) {
            this.library = library;
        }

        @Override
        public String describe() {
            return "recording " + library.describe();
        }

        @Override
        public Image open(byte[] webp) throws Failure {
            Image image = library.open(webp);
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
                public boolean animated() {
                    return image.animated();
                }

                @Override
                public void decode() throws Failure {
                    decoded.incrementAndGet();
                    image.decode();
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
}
