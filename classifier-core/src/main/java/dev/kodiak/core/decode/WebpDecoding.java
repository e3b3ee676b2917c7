package dev.kodiak.core.decode;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;

/**
 * WebPs, through libwebp ({@link NativeWebp}), PIL's own decoder, when there is one, else
 * through ImageIO (TwelveMonkeys): the canvas size from the header checked first, the first
 * frame composed by libwebp's animation decoder as PIL's is, alpha dropped by PIL's
 * {@code convert}, then the orientation of the EXIF chunk. Immutable and thread-safe.
 */
final class WebpDecoding {
    private static final System.Logger LOG = System.getLogger(ImageDecoder.class.getName());
    private static final ImageFormat FORMAT = ImageFormat.WEBP;
    /** Rows of the canvas converted at a time: about this many bytes of them. */
    private static final int BAND_BYTES = 1 << 18;

    private final ImageLimits limits;
    /** libwebp, or null for ImageIO. */
    private final NativeWebp library;

    /**
     * Creates the WebP path.
     *
     * @param limits the limits every header's size must meet
     * @param library the native library, or null for ImageIO
     */
    WebpDecoding(ImageLimits limits, NativeWebp library) {
        this.limits = limits;
        this.library = library;
    }

    /** @return {@code "libwebp"} or {@code "java"} */
    String name() {
        return library != null ? "libwebp" : "java";
    }

    /**
     * Reads size and orientation from the header.
     *
     * @param bytes the encoded image, sniffed as a WebP
     * @return what the header says
     * @throws DecodeException {@code CORRUPT} if the header cannot be read
     */
    ImageInfo readHeader(byte[] bytes) throws DecodeException {
        if (library == null) {
            return ImageIoDecoding.readHeader(FORMAT, bytes);
        }
        try (NativeWebp.Image image = library.open(bytes)) {
            return new ImageInfo(FORMAT, image.width(), image.height(),
                    Headers.orientation(FORMAT, bytes));
        } catch (NativeWebp.Failure | RuntimeException e) {
            throw Refusals.corrupt(FORMAT, e);
        }
    }

    /**
     * Decodes a WebP.
     *
     * @param bytes the encoded image, sniffed as a WebP, its frames checked against its canvas
     * @param mode the colour mode wanted
     * @return the upright pixels
     * @throws DecodeException {@code TOO_LARGE} from the header, {@code CORRUPT} for damaged
     *     or truncated data
     */
    Pixels decode(byte[] bytes, ColorMode mode) throws DecodeException {
        if (library == null) {
            return ImageIoDecoding.decode(FORMAT, bytes, mode, limits,
                    reader -> RasterPixels.convert(reader.read(0, reader.getDefaultReadParam()),
                            mode));
        }
        try (NativeWebp.Image image = library.open(bytes)) {
            int width = image.width();
            int height = image.height();
            limits.check(FORMAT, width, height, mode.channels());
            ImageLimits.checkBuffer(FORMAT, width, height, 4);
            image.decode();
            return copyOut(image, mode).orient(Headers.orientation(FORMAT, bytes));
        } catch (NativeWebp.Failure e) {
            LOG.log(System.Logger.Level.DEBUG, "libwebp refused a WebP: {0}", e.getMessage());
            throw Refusals.corrupt(FORMAT, e);
        } catch (RuntimeException e) {
            throw Refusals.corrupt(FORMAT, e);
        }
    }

    /** The canvas's RGBA rows, alpha dropped (PIL's convert), a band of rows at a time. */
    private static Pixels copyOut(NativeWebp.Image image, ColorMode mode) {
        int width = image.width();
        int height = image.height();
        byte[] out = new byte[width * height * mode.channels()];
        int bandRows = Math.max(1, Math.min(height, BAND_BYTES / (width * 4)));
        byte[] band = new byte[bandRows * width * 4];
        for (int y = 0; y < height; y += bandRows) {
            int rows = Math.min(bandRows, height - y);
            image.copyRows(y, rows, band, 0);
            int at = y * width;
            for (int i = 0, p = 0; i < rows * width; i++, p += 4) {
                PilColor.put(out, at + i, mode, band[p] & 0xFF, band[p + 1] & 0xFF,
                        band[p + 2] & 0xFF);
            }
        }
        return new Pixels(width, height, mode, out);
    }
}
