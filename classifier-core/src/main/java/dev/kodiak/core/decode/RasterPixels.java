package dev.kodiak.core.decode;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * What an ImageIO reader decoded, turned into pixels by PIL's rules: the samples as stored,
 * alpha dropped, palettes by {@link PilPalette}, depths other than 8 bits by {@link PilSamples}.
 * Decoding uses it for WebPs when libwebp cannot be used (TwelveMonkeys' reader); the tests use
 * it to check Kodiak's PNG decoder against ImageIO's. Stateless.
 */
final class RasterPixels {
    private static final System.Logger LOG = System.getLogger(ImageDecoder.class.getName());

    private RasterPixels() {
    }

    /**
     * Converts a decoded image.
     *
     * @param image what the reader decoded
     * @param mode the colour mode wanted
     * @return the pixels, as stored (before any EXIF orientation)
     */
    static Pixels convert(BufferedImage image, ColorMode mode) {
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int width = raster.getWidth();
        int height = raster.getHeight();
        byte[] out = new byte[width * height * mode.channels()];
        Interleaved samples = Interleaved.of(raster);
        if (cm instanceof IndexColorModel palette) {
            indexed(raster, palette, mode, out);
        } else if (cm instanceof ComponentColorModel && cm.getComponentSize(0) == 8
                && (cm.getNumColorComponents() == 1 || cm.getNumColorComponents() == 3
                && cm.getColorSpace().getType() == ColorSpace.TYPE_RGB)
                && samples != null) {
            interleaved(samples, cm.getNumColorComponents() == 1, width, height, mode, out);
        } else if (cm instanceof ComponentColorModel && (cm.getNumColorComponents() == 1
                || cm.getNumColorComponents() == 3
                && cm.getColorSpace().getType() == ColorSpace.TYPE_RGB)) {
            components(raster, cm, mode, out);
        } else if (cm instanceof DirectColorModel direct && !direct.isAlphaPremultiplied()) {
            packed(raster, direct, mode, out);
        } else {
            return viaRgb(image, mode);
        }
        return new Pixels(width, height, mode, out);
    }

    private static void indexed(Raster raster, IndexColorModel cm, ColorMode mode, byte[] out) {
        int size = cm.getMapSize();
        byte[] entries = new byte[size * 3];
        for (int i = 0; i < size; i++) {
            entries[i * 3] = (byte) cm.getRed(i);
            entries[i * 3 + 1] = (byte) cm.getGreen(i);
            entries[i * 3 + 2] = (byte) cm.getBlue(i);
        }
        PilPalette palette = PilPalette.of(entries, 3, size, false);
        int width = raster.getWidth();
        int[] row = new int[width];
        for (int y = 0; y < raster.getHeight(); y++) {
            raster.getSamples(0, y, width, 1, 0, row);
            for (int x = 0; x < width; x++) {
                palette.put(out, y * width + x, mode, row[x] & 0xFF);
            }
        }
    }

    /** 8-bit gray, gray+alpha, RGB, RGBA in any band order: the bytes read directly. */
    private static void interleaved(Interleaved samples, boolean gray, int width, int height,
            ColorMode mode, byte[] out) {
        byte[] data = samples.data();
        int[] offsets = samples.offsets();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int at = samples.index(x, y);
                int r = data[at + offsets[0]] & 0xFF;
                int g = gray ? r : data[at + offsets[1]] & 0xFF;
                int b = gray ? r : data[at + offsets[2]] & 0xFF;
                PilColor.put(out, y * width + x, mode, r, g, b);
            }
        }
    }

    /** Gray or RGB samples of 1 to 16 bits, with or without alpha. */
    private static void components(Raster raster, ColorModel cm, ColorMode mode, byte[] out) {
        int width = raster.getWidth();
        int bands = raster.getNumBands();
        boolean sixteen = raster.getDataBuffer().getDataType() == DataBuffer.TYPE_USHORT;
        int max = (1 << cm.getComponentSize(0)) - 1;
        boolean gray = cm.getNumColorComponents() == 1;
        int[] row = new int[width * bands];
        int[] v = new int[3];
        for (int y = 0; y < raster.getHeight(); y++) {
            raster.getPixels(0, y, width, 1, row);
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < 3; c++) {
                    int sample = row[x * bands + (gray ? 0 : c)];
                    if (!sixteen) {
                        v[c] = PilSamples.scale(sample, max);
                    } else if (gray && !cm.hasAlpha()) {
                        v[c] = PilSamples.grayModeI(sample);
                    } else {
                        v[c] = PilSamples.highByte(sample);
                    }
                }
                PilColor.put(out, y * width + x, mode, v[0], v[1], v[2]);
            }
        }
    }

    /** Pixels packed in ints, shorts or bytes by channel masks (BMP's 16 and 32-bit forms). */
    private static void packed(Raster raster, DirectColorModel cm, ColorMode mode, byte[] out) {
        int[] masks = {cm.getRedMask(), cm.getGreenMask(), cm.getBlueMask()};
        int[] shifts = new int[3];
        int[] maxima = new int[3];
        for (int c = 0; c < 3; c++) {
            shifts[c] = Integer.numberOfTrailingZeros(masks[c]);
            maxima[c] = masks[c] >>> shifts[c];
        }
        int width = raster.getWidth();
        int[] v = new int[3];
        for (int y = 0; y < raster.getHeight(); y++) {
            Object data = raster.getDataElements(0, y, width, 1, null);
            for (int x = 0; x < width; x++) {
                int pixel = pixelOf(data, x);
                for (int c = 0; c < 3; c++) {
                    v[c] = PilSamples.scale((pixel & masks[c]) >>> shifts[c], maxima[c]);
                }
                PilColor.put(out, y * width + x, mode, v[0], v[1], v[2]);
            }
        }
    }

    private static int pixelOf(Object data, int x) {
        if (data instanceof int[] ints) {
            return ints[x];
        }
        if (data instanceof short[] shorts) {
            return shorts[x] & 0xFFFF;
        }
        return ((byte[]) data)[x] & 0xFF;
    }

    /** Anything unusual: let Java 2D convert to sRGB. Rare; close to, not bit-equal to, PIL. */
    private static Pixels viaRgb(BufferedImage image, ColorMode mode) {
        int width = image.getWidth();
        int height = image.getHeight();
        byte[] out = new byte[width * height * mode.channels()];
        int[] argb = new int[width];
        for (int y = 0; y < height; y++) {
            image.getRGB(0, y, width, 1, argb, 0, width);
            for (int x = 0; x < width; x++) {
                int v = argb[x];
                PilColor.put(out, y * width + x, mode, v >> 16 & 0xFF, v >> 8 & 0xFF, v & 0xFF);
            }
        }
        LOG.log(System.Logger.Level.DEBUG, "decoded an unusual {0} through sRGB",
                image.getColorModel());
        return new Pixels(width, height, mode, out);
    }
}
