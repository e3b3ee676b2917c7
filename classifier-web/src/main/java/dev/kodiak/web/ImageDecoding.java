package dev.kodiak.web;

import dev.kodiak.core.decode.BmpImage;
import dev.kodiak.core.decode.DecodeException;
import dev.kodiak.core.decode.GifImage;
import dev.kodiak.core.decode.ImageFormat;
import dev.kodiak.core.decode.ImageLimits;
import dev.kodiak.core.decode.Orientation;
import dev.kodiak.core.decode.PngImage;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import org.teavm.jso.JSObject;
import org.teavm.jso.file.Blob;

/**
 * Decodes the reader's image in the page as PIL does on the server, whichever runtime answers,
 * with the JVM's own decoders where a browser would not give PIL's pixels:
 * <ul>
 * <li>GIFs and BMPs by classifier-portable's {@link GifImage} and {@link BmpImage} compiled by
 *     TeaVM: a canvas turns the colour under a GIF's transparent index black where PIL keeps
 *     it, a browser shows a GIF's first frame without PIL's fill around it, and reads odd BMPs
 *     (RLE escapes, gray palettes, indexes past the palette) otherwise than PIL;</li>
 * <li>PNGs with alpha, 16-bit samples, a palette or an orientation by {@link PngImage},
 *     inflated by the browser's {@code DecompressionStream}: the canvas premultiplies alpha,
 *     browsers scale 16-bit values where PIL keeps the high byte or clips, and read neither
 *     raw EXIF profiles nor XMP;</li>
 * <li>WebPs by the browser's libwebp (PIL's decoder), read back through WebGL, which keeps
 *     unpremultiplied colours exactly, and turned by the orientation PIL finds
 *     ({@link Orientation}); through a canvas when the page has no WebGL;</li>
 * <li>JPEGs and other PNGs by {@code createImageBitmap} (EXIF orientation applied, no colour
 *     management, no premultiplication) read back from a canvas.</li>
 * </ul>
 * Images over the server's default pixel limit, or with one side over 10,000 times the other,
 * are refused before their pixels are copied (before they are decoded where the header says).
 * Messages are the same in both runtimes.
 */
final class ImageDecoding {
    /**
     * Larger photos are refused, as the server refuses them by default; the browser has decoded
     * them by then (it tells the size no sooner), but they are not copied, shrunk or sent.
     */
    static final long MAX_PIXELS = ImageLimits.DEFAULT_MAX_PIXELS;

    /** The message for a file the page cannot decode, in both runtimes. */
    static final String NOT_AN_IMAGE = "That file isn't an image I can read. Try a JPEG or PNG "
            + "photo.";

    /** What the widget hears. */
    interface Listener {
        /** The upright RGB pixels, and the milliseconds decoding took. */
        void decoded(Pixels image, double millis);

        /** A reason in plain words. */
        void failed(String message);
    }

    private ImageDecoding() {
    }

    /** Decodes an image file. */
    static void decode(Blob file, Listener listener) {
        double start = Browser.now();
        Browser.readAll(file, (bytes, error) -> {
            if (bytes == null) {
                Browser.warn("cannot read the file: " + error);
                listener.failed(NOT_AN_IMAGE);
                return;
            }
            byte[] data = Browser.bytes(bytes);
            ImageFormat format = ImageFormat.sniff(data);
            try {
                if (format == ImageFormat.GIF) {
                    GifImage gif = GifImage.read(data);
                    if (!tooLarge(gif.width(), gif.height(), listener)) {
                        listener.decoded(gif.pixels(ColorMode.RGB), Browser.now() - start);
                    }
                    return;
                }
                if (format == ImageFormat.BMP) {
                    BmpImage bmp = BmpImage.read(data);
                    if (!tooLarge(bmp.width(), bmp.height(), listener)) {
                        listener.decoded(bmp.pixels(ColorMode.RGB), Browser.now() - start);
                    }
                    return;
                }
                if (format == ImageFormat.PNG) {
                    PngImage png = PngImage.read(data);
                    boolean turned = png.orientation() >= 5;
                    if (tooLarge(turned ? png.height() : png.width(),
                            turned ? png.width() : png.height(), listener)) {
                        // said from the header, before any pixel: the browser could not even
                        // decode some of these (a 1x5000000 strip)
                        return;
                    }
                    if (png.hasAlpha() || png.bitDepth() == 16 || png.colorType() == 3
                            || png.orientation() != 1) {
                        decodePng(png, start, listener);
                        return;
                    }
                }
            } catch (DecodeException e) {
                Browser.warn(e.getMessage());
                listener.failed(NOT_AN_IMAGE);
                return;
            }
            if (format == ImageFormat.WEBP) {
                decodeBitmap(file, false, Orientation.of(format, data), start, listener);
            } else {
                decodeBitmap(file, true, 1, start, listener);
            }
        });
    }

    /**
     * The size check every path shares.
     *
     * @return a message in plain words, or null when the size is fine
     */
    static String sizeProblem(int width, int height) {
        boolean thin = ImageLimits.tooThin(width, height);
        if ((long) width * height > MAX_PIXELS || thin) {
            return "That image is too " + (thin ? "long and thin" : "large") + " (" + width
                    + "×" + height + " pixels). Try " + (thin ? "cropping it."
                    : "a smaller photo.");
        }
        return null;
    }

    /** Says the size problem to the listener, if there is one. */
    private static boolean tooLarge(int width, int height, Listener listener) {
        String problem = sizeProblem(width, height);
        if (problem != null) {
            listener.failed(problem);
        }
        return problem != null;
    }

    private static void decodePng(PngImage png, double start, Listener listener) {
        JSObject zlib = Browser.array(png.compressed());
        Browser.inflate(zlib, (inflated, error) -> {
            if (inflated == null) {
                Browser.warn("cannot inflate the PNG's image data: " + error);
                listener.failed(NOT_AN_IMAGE);
                return;
            }
            try {
                Pixels pixels = png.pixels(Browser.bytes(inflated), ColorMode.RGB);
                listener.decoded(pixels, Browser.now() - start);
            } catch (DecodeException e) {
                Browser.warn(e.getMessage());
                listener.failed(NOT_AN_IMAGE);
            }
        });
    }

    /**
     * The browser's own decoder: turned by the browser ({@code turned}), or as stored and then
     * by {@code orientation}; read back exactly through WebGL when it must not be turned by the
     * browser (WebPs, whose alpha a canvas would premultiply).
     */
    private static void decodeBitmap(Blob file, boolean turned, int orientation, double start,
            Listener listener) {
        Browser.decode(file, turned, (bitmap, failure) -> {
            if (bitmap == null) {
                Browser.warn("cannot decode the image: " + failure);
                listener.failed(NOT_AN_IMAGE);
                return;
            }
            int width = Browser.width(bitmap);
            int height = Browser.height(bitmap);
            boolean sideways = orientation >= 5;
            String problem = sizeProblem(sideways ? height : width, sideways ? width : height);
            if (problem != null) {
                Browser.close(bitmap);
                listener.failed(problem);
                return;
            }
            byte[] rgba = turned ? null : Browser.rgbaExact(bitmap);
            if (rgba == null) {
                if (!turned) {
                    Browser.warn("no WebGL: colours under transparent pixels are lost");
                }
                rgba = Browser.rgba(bitmap);
            }
            Browser.close(bitmap);
            listener.decoded(Pixels.fromRgba(width, height, rgba, ColorMode.RGB)
                    .orient(orientation), Browser.now() - start);
        });
    }
}
