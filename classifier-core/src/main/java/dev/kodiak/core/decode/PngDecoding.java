package dev.kodiak.core.decode;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * PNGs on the JVM through {@link PngImage}, the decoder the browser widget runs, with the JDK's
 * {@link Inflater} where the widget uses the browser's: one PNG decoder, so PIL's PNG rules
 * (mode "I" for 16-bit gray, {@code tRNS} ignored, palettes, orientation from {@code eXIf}, raw
 * EXIF profiles and XMP) are written once. The header's size is checked before the image data
 * is inflated into a buffer of exactly the size the header implies. Stateless.
 */
final class PngDecoding {
    private static final ImageFormat FORMAT = ImageFormat.PNG;

    private PngDecoding() {
    }

    /**
     * Reads size and orientation from the chunks, without inflating.
     *
     * @param bytes the encoded image, sniffed as a PNG
     * @return what the header says
     * @throws DecodeException {@code CORRUPT} or {@code UNSUPPORTED_FORMAT} from the chunks
     */
    static ImageInfo readHeader(byte[] bytes) throws DecodeException {
        PngImage png = PngImage.read(bytes);
        return new ImageInfo(FORMAT, png.width(), png.height(), png.orientation());
    }

    /**
     * Decodes a PNG.
     *
     * @param bytes the encoded image, sniffed as a PNG
     * @param mode the colour mode wanted
     * @param limits the limits the header's size must meet
     * @return the upright pixels
     * @throws DecodeException {@code TOO_LARGE} from the header, {@code CORRUPT} for damaged or
     *     truncated data
     */
    static Pixels decode(byte[] bytes, ColorMode mode, ImageLimits limits)
            throws DecodeException {
        PngImage png = PngImage.read(bytes);
        limits.check(FORMAT, png.width(), png.height(), mode.channels());
        return png.pixels(inflate(png.compressed(), png.inflatedSize()), mode);
    }

    /** The first {@code size} inflated bytes (PIL ignores any that follow). */
    private static byte[] inflate(byte[] zlib, int size) throws DecodeException {
        byte[] out = new byte[size];
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(zlib);
            int n = 0;
            while (n < size) {
                int got = inflater.inflate(out, n, size - n);
                n += got;
                if (got == 0 && (inflater.finished() || inflater.needsInput()
                        || inflater.needsDictionary())) {
                    break;
                }
            }
            if (n < size) {
                throw Refusals.truncated(FORMAT, "its image data inflates to " + n + " of the "
                        + size + " bytes its header implies");
            }
            return out;
        } catch (DataFormatException e) {
            throw Refusals.corrupt(FORMAT, e);
        } finally {
            inflater.end();
        }
    }
}
