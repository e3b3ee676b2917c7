package dev.kodiak.web;

import dev.kodiak.core.decode.DecodeException;
import dev.kodiak.core.decode.ImageLimits;
import dev.kodiak.core.decode.PngImage;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import org.teavm.jso.JSObject;
import org.teavm.jso.file.Blob;

/**
 * Decodes the reader's image in the page as PIL does on the server, whichever runtime answers:
 * <ul>
 * <li>PNGs with alpha (colour types 4 and 6, or {@code tRNS}) or 16-bit samples by
 *     classifier-core's {@link PngImage} compiled by TeaVM, inflated by the browser's
 *     {@code DecompressionStream}: a canvas would premultiply alpha (losing the colour PIL keeps
 *     under transparent pixels) and scale 16-bit values where PIL keeps the high byte or
 *     clips;</li>
 * <li>everything else by {@code createImageBitmap} (EXIF orientation applied, no colour
 *     management, no premultiplication) read back from a canvas.</li>
 * </ul>
 * Images over the server's default pixel limit, or with one side over 10,000 times the other,
 * are refused before their pixels are copied. Messages are the same in both runtimes.
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
            if (PngImage.isPng(data)) {
                PngImage png;
                try {
                    png = PngImage.read(data);
                } catch (DecodeException e) {
                    Browser.warn(e.getMessage());
                    listener.failed(NOT_AN_IMAGE);
                    return;
                }
                boolean turned = png.orientation() >= 5;
                String problem = sizeProblem(turned ? png.height() : png.width(),
                        turned ? png.width() : png.height());
                if (problem != null) {
                    // said from the header, before any pixel: the browser could not even
                    // decode some of these (a 1x5000000 strip)
                    listener.failed(problem);
                    return;
                }
                if (png.hasAlpha() || png.bitDepth() == 16) {
                    decodePng(png, start, listener);
                    return;
                }
            }
            decodeBitmap(file, start, listener);
        });
    }

    /**
     * The size check both paths share.
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

    private static void decodeBitmap(Blob file, double start, Listener listener) {
        Browser.decode(file, (bitmap, failure) -> {
            if (bitmap == null) {
                Browser.warn("cannot decode the image: " + failure);
                listener.failed(NOT_AN_IMAGE);
                return;
            }
            int width = Browser.width(bitmap);
            int height = Browser.height(bitmap);
            String problem = sizeProblem(width, height);
            if (problem != null) {
                Browser.close(bitmap);
                listener.failed(problem);
                return;
            }
            byte[] rgba = Browser.rgba(bitmap);
            Browser.close(bitmap);
            listener.decoded(Pixels.fromRgba(width, height, rgba, ColorMode.RGB),
                    Browser.now() - start);
        });
    }
}
