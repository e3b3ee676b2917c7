package dev.kodiak.core.decode;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pure-Java PNG decoder the browser widget runs (compiled by TeaVM) gives PIL's pixels: for
 * every PNG fixture against PIL's goldens, and for the bit depths and interlacing the fixtures
 * lack against ImageIO's PNG reader with PIL's rules applied.
 */
class PngImageTest {
    static Stream<Arguments> pngGoldens() {
        return Fixtures.decodable().stream().filter(image -> image.format().equals("png"))
                .flatMap(image -> Stream.of(ColorMode.values()).filter(image::has)
                        .map(mode -> Arguments.of(image, mode)));
    }

    /** What the browser does with DecompressionStream("deflate"), done by the JDK. */
    static Pixels decode(byte[] file, ColorMode mode) throws DecodeException {
        PngImage png = PngImage.read(file);
        return png.pixels(inflate(png.compressed()), mode);
    }

    static byte[] inflate(byte[] zlib) {
        Inflater inflater = new Inflater();
        inflater.setInput(zlib);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[1 << 16];
        try {
            while (!inflater.finished() && !inflater.needsInput()) {
                out.write(buffer, 0, inflater.inflate(buffer));
            }
        } catch (DataFormatException e) {
            throw new IllegalStateException(e);
        } finally {
            inflater.end();
        }
        return out.toByteArray();
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("pngGoldens")
    void decodesEveryPngFixtureLikePil(Fixtures.Image image, ColorMode mode)
            throws DecodeException {
        Pixels expected = image.pil(mode);
        Pixels actual = decode(image.bytes(), mode);
        assertThat(actual.width() + "x" + actual.height(),
                is(expected.width() + "x" + expected.height()));
        assertThat("bit-exact with PIL", actual.equals(expected), is(true));
    }

    @Test
    void theColourUnderTransparentPixelsIsKept() throws DecodeException {
        byte[] file = Fixtures.image("png-rgba-half.png").bytes();
        PngImage png = PngImage.read(file);
        assertThat(png.hasAlpha(), is(true));
        Pixels pixels = decode(file, ColorMode.RGB);
        // the left half is fully transparent, yet holds the photo, not black
        long sum = 0;
        for (int y = 0; y < pixels.height(); y++) {
            for (int x = 0; x < pixels.width() / 2; x++) {
                sum += pixels.get(x, y, 0) + pixels.get(x, y, 1) + pixels.get(x, y, 2);
            }
        }
        assertThat("colour under alpha 0", sum > 0, is(true));
    }

    @Test
    void headerFactsAreRead() throws DecodeException {
        PngImage exif = PngImage.read(Fixtures.image("png-exif-6.png").bytes());
        assertThat(exif.orientation(), is(6));
        assertThat(exif.hasAlpha(), is(false));
        PngImage sixteen = PngImage.read(Fixtures.image("png-rgba16-adam7.png").bytes());
        assertThat(sixteen.bitDepth(), is(16));
        assertThat(sixteen.colorType(), is(6));
        assertThat(sixteen.interlaced(), is(true));
        assertThat(PngImage.read(Fixtures.image("png-palette.png").bytes()).hasAlpha(), is(true));
    }

    /**
     * Depths, palettes and interlacing no fixture has: the pixels of ImageIO's own PNG reader (an
     * independent unfiltering and de-interlacing), by PIL's rules.
     */
    static Stream<Arguments> synthetic() {
        return Stream.of(
                Arguments.of("gray 2-bit", 0, 2, false),
                Arguments.of("gray 4-bit interlaced", 0, 4, true),
                Arguments.of("gray 16-bit interlaced", 0, 16, true),
                Arguments.of("palette 1-bit", 3, 1, false),
                Arguments.of("palette 4-bit interlaced", 3, 4, true),
                Arguments.of("gray+alpha 8-bit", 4, 8, false),
                Arguments.of("gray+alpha 16-bit", 4, 16, false),
                Arguments.of("RGB 8-bit interlaced", 2, 8, true),
                Arguments.of("RGBA 8-bit interlaced", 6, 8, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("synthetic")
    void syntheticPngsDecodeAsImageIoWithPilsRules(String name, int colorType, int depth,
            boolean interlaced) throws DecodeException {
        // odd sizes leave some Adam7 passes empty
        byte[] file = Png.random(13, 7, colorType, depth, interlaced, new Random(depth * 31L
                + colorType));
        for (ColorMode mode : ColorMode.values()) {
            Pixels expected = ImageIoDecoding.decode(ImageFormat.PNG, file, mode,
                    new ImageLimits(ImageLimits.DEFAULT_MAX_PIXELS), reader -> RasterPixels.convert(
                            reader.read(0, reader.getDefaultReadParam()), mode));
            Pixels actual = decode(file, mode);
            assertThat(name + " as " + mode, actual.equals(expected), is(true));
        }
    }

    @Test
    void damagedAndForeignFilesAreRefused() {
        DecodeException text = assertThrows(DecodeException.class,
                () -> PngImage.read(Fixtures.image("text-renamed.png").bytes()));
        assertThat(text.reason(), is(DecodeException.Reason.NOT_AN_IMAGE));
        DecodeException truncated = assertThrows(DecodeException.class,
                () -> decode(Fixtures.image("truncated.png").bytes(), ColorMode.RGB));
        assertThat(truncated.reason(), is(DecodeException.Reason.CORRUPT));
        assertThat(truncated.getMessage(), containsString("truncated"));
        byte[] badFilter = Png.random(4, 4, 0, 8, false, new Random(1));
        PngImage png = assertDoesNotThrow(badFilter);
        byte[] raw = inflate(png.compressed());
        raw[0] = 9;
        DecodeException filter = assertThrows(DecodeException.class,
                () -> png.pixels(raw, ColorMode.L));
        assertThat(filter.getMessage(), containsString("filter type 9"));
    }

    @Test
    void theSizeIsKnownBeforeAnyPixelIsAllocated() throws DecodeException {
        PngImage bomb = PngImage.read(Fixtures.image("bomb-65000.png").bytes());
        assertThat(bomb.width() + "x" + bomb.height(), is("65000x65000"));
        DecodeException e = assertThrows(DecodeException.class, bomb::inflatedSize);
        assertThat(e.reason(), is(DecodeException.Reason.TOO_LARGE));
    }

    private static PngImage assertDoesNotThrow(byte[] file) {
        try {
            return PngImage.read(file);
        } catch (DecodeException e) {
            throw new AssertionError(e);
        }
    }

    /** A small PNG writer for shapes PIL cannot write: random samples, filter 0, any layout. */
    static final class Png {
        private Png() {
        }

        static byte[] random(int width, int height, int colorType, int depth, boolean adam7,
                Random random) {
            int channels = switch (colorType) {
                case 2 -> 3;
                case 4 -> 2;
                case 6 -> 4;
                default -> 1;
            };
            int maxSample = colorType == 3 ? 15 : (1 << depth) - 1; // palette of 16 entries
            int[][] samples = new int[height][width * channels];
            for (int[] row : samples) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = random.nextInt(Math.min(maxSample, (1 << depth) - 1) + 1);
                }
            }
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            int[][] passes = adam7 ? new int[][] {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8},
                {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}
                : new int[][] {{0, 0, 1, 1}};
            for (int[] p : passes) {
                for (int y = p[1]; y < height; y += p[3]) {
                    if (p[0] >= width) {
                        break;
                    }
                    raw.write(0);
                    int bits = 0;
                    int acc = 0;
                    for (int x = p[0]; x < width; x += p[2]) {
                        for (int c = 0; c < channels; c++) {
                            int v = samples[y][x * channels + c];
                            if (depth == 16) {
                                raw.write(v >> 8);
                                raw.write(v);
                            } else if (depth == 8) {
                                raw.write(v);
                            } else {
                                acc = acc << depth | v;
                                bits += depth;
                                if (bits == 8) {
                                    raw.write(acc);
                                    acc = 0;
                                    bits = 0;
                                }
                            }
                        }
                    }
                    if (bits > 0) {
                        raw.write(acc << (8 - bits));
                    }
                }
            }
            ByteArrayOutputStream file = new ByteArrayOutputStream();
            file.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
            chunk(file, "IHDR", new byte[] {0, 0, 0, (byte) width, 0, 0, 0, (byte) height,
                (byte) depth, (byte) colorType, 0, 0, (byte) (adam7 ? 1 : 0)});
            if (colorType == 3) {
                byte[] palette = new byte[16 * 3];
                random.nextBytes(palette);
                chunk(file, "PLTE", palette);
            }
            Deflater deflater = new Deflater(9);
            deflater.setInput(raw.toByteArray());
            deflater.finish();
            ByteArrayOutputStream zlib = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            while (!deflater.finished()) {
                zlib.write(buffer, 0, deflater.deflate(buffer));
            }
            deflater.end();
            chunk(file, "IDAT", zlib.toByteArray());
            chunk(file, "IEND", new byte[0]);
            return file.toByteArray();
        }

        private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
            byte[] name = type.getBytes(StandardCharsets.US_ASCII);
            out.write(data.length >>> 24);
            out.write(data.length >>> 16);
            out.write(data.length >>> 8);
            out.write(data.length);
            out.writeBytes(name);
            out.writeBytes(data);
            CRC32 crc = new CRC32();
            crc.update(name);
            crc.update(data);
            long v = crc.getValue();
            out.write((int) (v >>> 24));
            out.write((int) (v >>> 16));
            out.write((int) (v >>> 8));
            out.write((int) v);
        }
    }
}
