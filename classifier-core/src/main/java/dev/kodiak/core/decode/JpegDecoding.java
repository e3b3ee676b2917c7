package dev.kodiak.core.decode;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import java.awt.image.Raster;
import java.io.IOException;
import javax.imageio.ImageReader;

/**
 * JPEGs, through libjpeg-turbo's TurboJPEG library ({@link NativeJpeg}) when there is one, else
 * through ImageIO's raw components: either way the header's size is checked first, PIL's colour
 * rules ({@link PilColor}) are applied to what libjpeg decoded, and the EXIF orientation last.
 * Immutable and thread-safe.
 */
final class JpegDecoding {
    private static final System.Logger LOG = System.getLogger(ImageDecoder.class.getName());
    private static final ImageFormat FORMAT = ImageFormat.JPEG;

    /** Rows of decoded JPEG converted at a time: about this many bytes of them. */
    private static final int BAND_BYTES = 1 << 18;

    private final ImageLimits limits;
    /** TurboJPEG, or null for ImageIO. */
    private final NativeJpeg library;

    /**
     * Creates the JPEG path.
     *
     * @param limits the limits every header's size must meet
     * @param library the native library, or null for ImageIO
     */
    JpegDecoding(ImageLimits limits, NativeJpeg library) {
        this.limits = limits;
        this.library = library;
    }

    /** @return {@code "turbojpeg"} or {@code "java"} */
    String name() {
        return library != null ? "turbojpeg" : "java";
    }

    /**
     * Decodes a JPEG.
     *
     * @param bytes the encoded image, sniffed as a JPEG
     * @param mode the colour mode wanted
     * @return the upright pixels
     * @throws DecodeException {@code TOO_LARGE} from the header, {@code CORRUPT} for damaged
     *     or truncated data, {@code UNSUPPORTED_FORMAT} for an unusual number of components
     */
    Pixels decode(byte[] bytes, ColorMode mode) throws DecodeException {
        if (library != null) {
            Pixels pixels = decodeNative(bytes, mode);
            if (pixels != null) {
                return pixels;
            }
        }
        Headers.Jpeg header = Headers.jpeg(bytes);
        if (header.arithmetic()) {
            // the JDK's libjpeg 6b was built without it ("legal restrictions")
            throw new DecodeException(DecodeException.Reason.UNSUPPORTED_FORMAT, "This JPEG is "
                    + "arithmetic-coded, which Kodiak decodes only with libjpeg-turbo (Java 22 or "
                    + "later and its TurboJPEG library, Debian: libturbojpeg0); re-save it as a "
                    + "baseline JPEG or PNG");
        }
        return ImageIoDecoding.decode(FORMAT, bytes, mode, limits,
                reader -> fromRaster(reader, header, mode));
    }

    /**
     * A JPEG through TurboJPEG: header, limits, decode into native memory, PIL's colour rules
     * while copying out, then the EXIF orientation.
     *
     * @return the pixels, or null when TurboJPEG cannot take this (valid) JPEG and ImageIO
     *     should try: a chroma subsampling its API has no name for, such as 4:1:0
     */
    private Pixels decodeNative(byte[] bytes, ColorMode mode) throws DecodeException {
        try (NativeJpeg.Image image = library.open(bytes)) {
            if (image.headerWarning() != null) {
                LOG.log(System.Logger.Level.DEBUG, "TurboJPEG warning on a JPEG header: {0}",
                        image.headerWarning());
            }
            int width = image.width();
            int height = image.height();
            limits.check(FORMAT, width, height, mode.channels());
            NativeJpeg.Layout layout = switch (image.colorSpace()) {
                case CMYK, YCCK -> NativeJpeg.Layout.CMYK;
                case GRAY -> mode == ColorMode.L ? NativeJpeg.Layout.GRAY : NativeJpeg.Layout.RGB;
                case RGB, YCBCR -> NativeJpeg.Layout.RGB;
            };
            ImageLimits.checkBuffer(FORMAT, width, height, layout.bytes());
            String warning = image.decode(layout);
            if (warning != null) {
                if (Refusals.saysTruncated(warning) || !Headers.jpegHasEndAfterScan(bytes)) {
                    throw Refusals.truncated(FORMAT, warning);
                }
                LOG.log(System.Logger.Level.DEBUG, "TurboJPEG warning on a JPEG: {0}", warning);
            }
            // Orienting while copying out, band by band, was slower: the stored rows arrive
            // in order, so a rotation then writes the whole output once per band.
            return copyOut(image, layout, mode).orient(Headers.orientation(FORMAT, bytes));
        } catch (NativeJpeg.Failure e) {
            if (e.unsupported()) {
                LOG.log(System.Logger.Level.DEBUG, "TurboJPEG cannot take this JPEG ({0}); "
                        + "decoding it with ImageIO", e.getMessage());
                return null;
            }
            throw Refusals.corrupt(FORMAT, e);
        } catch (RuntimeException e) {
            // as on ImageIO's path: whatever breaks on hostile bytes is the bytes' fault
            throw Refusals.corrupt(FORMAT, e);
        }
    }

    /**
     * The decoded rows in the wanted mode: copied out of native memory at once when they
     * already are, else a band of rows at a time, converted by PIL's rules on the way.
     */
    private static Pixels copyOut(NativeJpeg.Image image, NativeJpeg.Layout layout,
            ColorMode mode) {
        int width = image.width();
        int height = image.height();
        byte[] out = new byte[width * height * mode.channels()];
        if (layout == NativeJpeg.Layout.RGB && mode == ColorMode.RGB
                || layout == NativeJpeg.Layout.GRAY && mode == ColorMode.L) {
            image.copyRows(0, height, out, 0);
            return new Pixels(width, height, mode, out);
        }
        int inBytes = layout.bytes();
        int bandRows = Math.max(1, Math.min(height, BAND_BYTES / (width * inBytes)));
        byte[] band = new byte[bandRows * width * inBytes];
        for (int y = 0; y < height; y += bandRows) {
            int rows = Math.min(bandRows, height - y);
            image.copyRows(y, rows, band, 0);
            int n = rows * width;
            int at = y * width;
            if (layout == NativeJpeg.Layout.CMYK) {
                for (int i = 0, p = 0; i < n; i++, p += 4) {
                    PilColor.putInvertedCmyk(out, at + i, mode, band[p] & 0xFF,
                            band[p + 1] & 0xFF, band[p + 2] & 0xFF, band[p + 3] & 0xFF);
                }
            } else {
                // colour to "L": PIL's luminance of the decoded RGB, not libjpeg's Y
                for (int i = 0, p = 0; i < n; i++, p += 3) {
                    PilColor.put(out, at + i, mode, band[p] & 0xFF, band[p + 1] & 0xFF,
                            band[p + 2] & 0xFF);
                }
            }
        }
        return new Pixels(width, height, mode, out);
    }

    /**
     * ImageIO's raw decoded components (no colour management), then libjpeg's own colour
     * transform and PIL's CMYK handling.
     */
    private static Pixels fromRaster(ImageReader reader, Headers.Jpeg header, ColorMode mode)
            throws IOException, DecodeException {
        Raster raster = reader.readRaster(0, null);
        int bands = raster.getNumBands();
        if (bands != 1 && bands != 3 && bands != 4) {
            throw new DecodeException(DecodeException.Reason.UNSUPPORTED_FORMAT, "JPEG images with "
                    + bands + " colour components are not supported; " + ImageDecoder.SUPPORTED);
        }
        Interleaved samples = Interleaved.of(raster);
        if (samples == null) {
            return fromAnyRaster(raster, header, mode);
        }
        int width = raster.getWidth();
        int height = raster.getHeight();
        int n = width * height;
        byte[] data = samples.data();
        boolean ycc = bands == 3 && header.isYCbCr();
        boolean ycck = bands == 4 && header.isYcck();
        // The decoder's own buffer becomes the result when its layout already is ours.
        if (samples.isPacked(width, height) && (bands == mode.channels())) {
            if (ycc) {
                PilColor.yccToRgbInPlace(data, n);
            }
            return new Pixels(width, height, mode, data);
        }
        byte[] out = new byte[n * mode.channels()];
        int[] offsets = samples.offsets();
        int[] px = new int[4];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int at = samples.index(x, y);
                for (int b = 0; b < bands; b++) {
                    px[b] = data[at + offsets[b]] & 0xFF;
                }
                put(out, y * width + x, mode, px, bands, ycc, ycck);
            }
        }
        return new Pixels(width, height, mode, out);
    }

    /** Any raster layout: the same conversion through Raster.getPixels. */
    private static Pixels fromAnyRaster(Raster raster, Headers.Jpeg header, ColorMode mode) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        int bands = raster.getNumBands();
        boolean ycc = bands == 3 && header.isYCbCr();
        boolean ycck = bands == 4 && header.isYcck();
        byte[] out = new byte[width * height * mode.channels()];
        int[] row = new int[width * bands];
        int[] px = new int[4];
        for (int y = 0; y < height; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, width, 1, row);
            for (int x = 0; x < width; x++) {
                System.arraycopy(row, x * bands, px, 0, bands);
                put(out, y * width + x, mode, px, bands, ycc, ycck);
            }
        }
        return new Pixels(width, height, mode, out);
    }

    /** One pixel of 1, 3 or 4 raw components, by libjpeg's transforms and PIL's rules. */
    private static void put(byte[] out, int p, ColorMode mode, int[] px, int bands,
            boolean ycc, boolean ycck) {
        if (bands == 1) {
            PilColor.put(out, p, mode, px[0], px[0], px[0]);
            return;
        }
        if (ycc) {
            PilColor.yccToRgb(px, 0);
        } else if (ycck) {
            PilColor.ycckToCmyk(px, 0);
        }
        if (bands == 3) {
            PilColor.put(out, p, mode, px[0], px[1], px[2]);
        } else {
            PilColor.putInvertedCmyk(out, p, mode, px[0], px[1], px[2], px[3]);
        }
    }
}
