package dev.kodiak.core.decode;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image bytes into {@link Pixels} exactly as PyTorch training code sees them through PIL:
 * {@code ImageOps.exif_transpose(Image.open(f)).convert("RGB")} (or {@code "L"}).
 *
 * <pre>{@code
 * ImageDecoder decoder = new ImageDecoder(50_000_000);
 * Pixels pixels = decoder.decode(bytes, ColorMode.RGB);
 * }</pre>
 *
 * <p>PIL's rules, kept here on purpose: alpha is dropped, not composited; embedded ICC profiles
 * are ignored; CMYK becomes RGB by PIL's naive formula; 16-bit RGB keeps the high byte, while
 * 16-bit grayscale without alpha is clipped at 255 (PIL's mode "I" conversion). The first frame
 * of an animated GIF or WebP is used.
 *
 * <p>JPEGs are decoded by libjpeg-turbo's TurboJPEG library through the FFM API when it can be
 * used (Java 22 or later, the library installed: Debian's {@code libturbojpeg0}), the very
 * library PIL decodes with, so every chroma subsampling is bit-exact and 12 MP photos decode as
 * fast as PIL does; otherwise by ImageIO over the JDK's libjpeg, exact except for 4:4:0 chroma.
 * The system property {@code kodiak.jpeg.decoder} ({@code auto}, the default, {@code turbojpeg}
 * or {@code java}) chooses; {@link #jpegDecoder()} says which is in use. On Java 24 and later
 * the JVM warns about native access unless it runs with
 * {@code --enable-native-access=ALL-UNNAMED} (DJL needs that flag anyway). Other formats use
 * ImageIO.
 *
 * <p>Safety: the format is recognised from the bytes, the size is read from the header and
 * checked against {@link #maxPixels()} before pixels are allocated, truncated files are errors,
 * and decoder crashes on hostile input become {@link DecodeException}s. Thread-safe: each call
 * uses its own ImageIO reader or TurboJPEG handle.
 */
public final class ImageDecoder {
    private static final System.Logger LOG = System.getLogger(ImageDecoder.class.getName());
    private static final String SUPPORTED = "send a JPEG, PNG, GIF, BMP or WebP image";

    /** Rows of decoded JPEG converted at a time: about this many bytes of them. */
    private static final int BAND_BYTES = 1 << 18;

    private final ImageLimits limits;
    /** TurboJPEG, or null for ImageIO. */
    private final NativeJpeg jpeg;

    /**
     * Creates a decoder with the {@link ImageLimits#DEFAULT_MAX_PIXELS} limit.
     *
     * @throws IllegalArgumentException if the system property {@code kodiak.jpeg.decoder} is not
     *     {@code auto}, {@code turbojpeg} or {@code java}
     * @throws IllegalStateException if it says {@code turbojpeg} and that cannot be used here
     */
    public ImageDecoder() {
        this(ImageLimits.DEFAULT_MAX_PIXELS);
    }

    /**
     * Creates a decoder.
     *
     * @param maxPixels the most pixels (width times height) an image may have
     * @throws IllegalArgumentException if the limit is not positive, or the system property
     *     {@code kodiak.jpeg.decoder} is not {@code auto}, {@code turbojpeg} or {@code java}
     * @throws IllegalStateException if that property says {@code turbojpeg} and it cannot be
     *     used here (Java 21, or the library is missing)
     */
    public ImageDecoder(long maxPixels) {
        this(maxPixels, JpegDecoderChoice.fromProperty());
    }

    /**
     * Creates a decoder with a given JPEG library, for tests.
     *
     * @param maxPixels the most pixels an image may have
     * @param jpeg the native JPEG library, or null for ImageIO
     */
    ImageDecoder(long maxPixels, NativeJpeg jpeg) {
        this.limits = new ImageLimits(maxPixels);
        this.jpeg = jpeg;
    }

    /**
     * Says which decoder this instance uses for JPEGs.
     *
     * @return {@code "turbojpeg"} (libjpeg-turbo through the FFM API) or {@code "java"} (ImageIO)
     */
    public String jpegDecoder() {
        return jpeg != null ? "turbojpeg" : "java";
    }

    /**
     * Returns the pixel limit.
     *
     * @return the most pixels an image may have
     */
    public long maxPixels() {
        return limits.maxPixels();
    }

    /**
     * Reads format, size and orientation from the header, without decoding pixels.
     *
     * @param bytes the encoded image
     * @return what the header says
     * @throws DecodeException if the bytes are empty, not an image, unsupported or corrupt
     */
    public ImageInfo probe(byte[] bytes) throws DecodeException {
        ImageFormat format = recognise(bytes);
        if (format == ImageFormat.WEBP) {
            checkWebpFrames(bytes);
        }
        ImageReader reader = reader(format);
        try (ImageInputStream in = new ByteImageInput(bytes)) {
            reader.setInput(in, true, true);
            return info(format, reader, bytes, format == ImageFormat.JPEG ? Headers.jpeg(bytes)
                    : null);
        } catch (IOException | RuntimeException e) {
            throw corrupt(format, e);
        } finally {
            reader.dispose();
        }
    }

    /**
     * Decodes an image, applies its EXIF orientation and converts it to {@code mode}.
     *
     * @param bytes the encoded image
     * @param mode the colour mode wanted, as in PIL's {@code convert(mode)}
     * @return the pixels
     * @throws DecodeException {@code EMPTY}, {@code NOT_AN_IMAGE}, {@code UNSUPPORTED_FORMAT},
     *     {@code TOO_LARGE} (checked from the header, before decoding) or {@code CORRUPT}
     */
    public Pixels decode(byte[] bytes, ColorMode mode) throws DecodeException {
        ImageFormat format = recognise(bytes);
        if (format == ImageFormat.JPEG && jpeg != null) {
            Pixels pixels = decodeNative(bytes, mode);
            if (pixels != null) {
                return pixels;
            }
        }
        long claimed = switch (format) {
            case GIF -> Headers.gifScreenPixels(bytes);
            case BMP -> Headers.bmpPixels(bytes);
            default -> 0;
        };
        if (claimed > limits.maxPixels()) {
            throw limits.tooLarge(format, "claims " + claimed + " pixels in its header");
        }
        if (format == ImageFormat.WEBP) {
            checkWebpFrames(bytes);
        }
        if (format == ImageFormat.WEBP && !Headers.webpComplete(bytes)) {
            throw new DecodeException(DecodeException.Reason.CORRUPT, "The WEBP image is "
                    + "truncated: its header announces more bytes than the " + bytes.length
                    + " received; send the whole file");
        }
        ImageReader reader = reader(format);
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        try (ImageInputStream in = new ByteImageInput(bytes)) {
            reader.setInput(in, true, true);
            Headers.Jpeg jpegHeader = format == ImageFormat.JPEG ? Headers.jpeg(bytes) : null;
            ImageInfo info = info(format, reader, bytes, jpegHeader);
            limits.check(format, info.width(), info.height(), mode.channels());
            Pixels pixels = format == ImageFormat.JPEG
                    ? jpeg(reader, jpegHeader, mode)
                    : convert(reader.read(0, reader.getDefaultReadParam()), mode);
            for (String warning : warnings) {
                if (saysTruncated(warning)) {
                    throw truncated(format, warning);
                }
                LOG.log(System.Logger.Level.DEBUG, "decoder warning on {0} image: {1}",
                        format, warning);
            }
            return pixels.orient(info.orientation());
        } catch (DecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw corrupt(format, e);
        } finally {
            reader.dispose();
        }
    }

    /**
     * A JPEG through TurboJPEG: header, limits, decode into native memory, PIL's colour rules
     * while copying out, then the EXIF orientation.
     *
     * @return the pixels, or null when TurboJPEG cannot take this (valid) JPEG and ImageIO
     *     should try: a chroma subsampling its API has no name for, such as 4:1:0
     */
    private Pixels decodeNative(byte[] bytes, ColorMode mode) throws DecodeException {
        ImageFormat format = ImageFormat.JPEG;
        try (NativeJpeg.Image image = jpeg.open(bytes)) {
            if (image.headerWarning() != null) {
                LOG.log(System.Logger.Level.DEBUG, "TurboJPEG warning on a JPEG header: {0}",
                        image.headerWarning());
            }
            int width = image.width();
            int height = image.height();
            limits.check(format, width, height, mode.channels());
            NativeJpeg.Layout layout = switch (image.colorSpace()) {
                case CMYK, YCCK -> NativeJpeg.Layout.CMYK;
                case GRAY -> mode == ColorMode.L ? NativeJpeg.Layout.GRAY : NativeJpeg.Layout.RGB;
                case RGB, YCBCR -> NativeJpeg.Layout.RGB;
            };
            ImageLimits.checkBuffer(format, width, height, layout.bytes());
            String warning = image.decode(layout);
            if (warning != null) {
                if (saysTruncated(warning) || !Headers.jpegHasEndAfterScan(bytes)) {
                    throw truncated(format, warning);
                }
                LOG.log(System.Logger.Level.DEBUG, "TurboJPEG warning on a JPEG: {0}", warning);
            }
            // Orienting while copying out, band by band, was slower: the stored rows arrive
            // in order, so a rotation then writes the whole output once per band.
            return copyOut(image, layout, mode)
                    .orient(Headers.orientation(Headers.jpeg(bytes).exif()));
        } catch (NativeJpeg.Failure e) {
            if (e.unsupported()) {
                LOG.log(System.Logger.Level.DEBUG, "TurboJPEG cannot take this JPEG ({0}); "
                        + "decoding it with ImageIO", e.getMessage());
                return null;
            }
            throw corrupt(format, e);
        } catch (RuntimeException e) {
            // as on ImageIO's path: whatever breaks on hostile bytes is the bytes' fault
            throw corrupt(format, e);
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
            convert(band, rows * width, layout, mode, out, y * width);
        }
        return new Pixels(width, height, mode, out);
    }

    /**
     * {@code n} decoded pixels to the wanted mode by PIL's rules, into {@code out} from pixel
     * {@code at}: CMYK to RGB or L, or RGB to L (the only conversions {@link #copyOut} needs).
     */
    private static void convert(byte[] band, int n, NativeJpeg.Layout layout, ColorMode mode,
            byte[] out, int at) {
        if (layout == NativeJpeg.Layout.CMYK) {
            // PIL reads every CMYK JPEG as "CMYK;I" (Adobe's inverted convention)
            for (int i = 0, p = 0; i < n; i++, p += 4) {
                int k = 255 - (band[p + 3] & 0xFF);
                PilColor.put(out, at + i, mode, PilColor.cmykChannel(255 - (band[p] & 0xFF), k),
                        PilColor.cmykChannel(255 - (band[p + 1] & 0xFF), k),
                        PilColor.cmykChannel(255 - (band[p + 2] & 0xFF), k));
            }
        } else {
            // colour to "L": PIL's luminance of the decoded RGB, not libjpeg's Y
            for (int i = 0, p = 0; i < n; i++, p += 3) {
                out[at + i] = (byte) Pixels.luminance(band[p] & 0xFF, band[p + 1] & 0xFF,
                        band[p + 2] & 0xFF);
            }
        }
    }

    /**
     * Refuses an extended WebP with a frame larger than its canvas: the size checks read the
     * canvas, and TwelveMonkeys would decode the frame at its own size.
     */
    private static void checkWebpFrames(byte[] bytes) throws DecodeException {
        int[] frame = Headers.webpFrameOutsideCanvas(bytes);
        if (frame != null) {
            throw new DecodeException(DecodeException.Reason.CORRUPT, "The WEBP image is "
                    + "damaged: it holds a " + frame[0] + "x" + frame[1] + " frame in a "
                    + frame[2] + "x" + frame[3] + " canvas; open it in an image viewer, re-save "
                    + "it, and send it again");
        }
    }

    /** Whether a decoder's warning says the data ended early (ImageIO's and libjpeg's words). */
    private static boolean saysTruncated(String warning) {
        String lower = warning.toLowerCase(Locale.ROOT);
        return lower.contains("premature end") || lower.contains("truncated");
    }

    private static DecodeException truncated(ImageFormat format, String warning) {
        return new DecodeException(DecodeException.Reason.CORRUPT, "The " + format
                + " file is truncated (" + warning + "); send the whole file");
    }

    private static ImageInfo info(ImageFormat format, ImageReader reader, byte[] bytes,
            Headers.Jpeg jpegHeader) throws IOException {
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        byte[] exif = switch (format) {
            case JPEG -> jpegHeader.exif();
            case PNG -> Headers.pngExif(bytes);
            case WEBP -> Headers.webpExif(bytes);
            default -> null;
        };
        return new ImageInfo(format, width, height, Headers.orientation(exif));
    }

    private static DecodeException corrupt(ImageFormat format, Exception e) {
        String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new DecodeException(DecodeException.Reason.CORRUPT, "The " + format
                + " image is damaged or truncated and cannot be decoded (" + detail + "); "
                + "open it in an image viewer, re-save it, and send it again", e);
    }

    private static ImageFormat recognise(byte[] bytes) throws DecodeException {
        if (bytes == null || bytes.length == 0) {
            throw new DecodeException(DecodeException.Reason.EMPTY,
                    "The image is empty (0 bytes); " + SUPPORTED);
        }
        ImageFormat format = ImageFormat.sniff(bytes);
        if (format != null) {
            return format;
        }
        String other = ImageFormat.sniffUnsupported(bytes);
        if (other != null) {
            String hint = other.equals("HEIC")
                    ? " (on an iPhone, choose Settings > Camera > Formats > Most Compatible, or "
                    + "share the photo as JPEG)" : "";
            throw new DecodeException(DecodeException.Reason.UNSUPPORTED_FORMAT,
                    other + " images are not supported" + hint + "; " + SUPPORTED);
        }
        throw new DecodeException(DecodeException.Reason.NOT_AN_IMAGE,
                "The data is not an image (" + describe(bytes) + "); " + SUPPORTED);
    }

    /** A safe, short description of unknown bytes for error messages. */
    private static String describe(byte[] bytes) {
        int n = Math.min(bytes.length, 64);
        int printable = 0;
        for (int i = 0; i < n; i++) {
            int c = bytes[i] & 0xFF;
            if (c >= 0x20 && c < 0x7F || c == '\n' || c == '\r' || c == '\t') {
                printable++;
            }
        }
        if (printable * 10 < n * 9) {
            return bytes.length + " bytes of binary data in no known image format";
        }
        String head = new String(bytes, 0, Math.min(bytes.length, 16), StandardCharsets.US_ASCII)
                .replaceAll("[^\\x20-\\x7E]", " ").trim();
        String lower = head.toLowerCase(Locale.ROOT);
        String kind = lower.startsWith("<!doctype html") || lower.startsWith("<html")
                ? "HTML, perhaps an error page saved under an image name" : "text";
        return "it looks like " + kind + ", starting \"" + head + "\"";
    }

    private static ImageReader reader(ImageFormat format) throws DecodeException {
        String name = format.name().toLowerCase(Locale.ROOT);
        ImageReader reader = find(name);
        if (reader == null) {
            ImageIO.scanForPlugins(); // for class loaders that hid the plugins at first use
            reader = find(name);
        }
        if (reader == null) {
            throw new DecodeException(DecodeException.Reason.UNSUPPORTED_FORMAT, "No " + format
                    + " decoder is on the class path; add com.twelvemonkeys.imageio:imageio-"
                    + name + " to the application");
        }
        return reader;
    }

    private static ImageReader find(String name) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(name);
        ImageReader first = null;
        while (readers.hasNext()) {
            ImageReader candidate = readers.next();
            if (!name.equals("jpeg")
                    || candidate.getClass().getName().startsWith("com.twelvemonkeys")) {
                if (first != null) {
                    first.dispose();
                }
                return candidate;
            }
            if (first == null) {
                first = candidate;
            } else {
                candidate.dispose();
            }
        }
        return first;
    }

    /**
     * JPEG: the raw decoded components (no colour management), then libjpeg's own colour
     * transform and PIL's CMYK handling.
     */
    private static Pixels jpeg(ImageReader reader, Headers.Jpeg header, ColorMode mode)
            throws IOException, DecodeException {
        Raster raster = reader.readRaster(0, null);
        int bands = raster.getNumBands();
        if (bands != 1 && bands != 3 && bands != 4) {
            throw new DecodeException(DecodeException.Reason.UNSUPPORTED_FORMAT, "JPEG images with "
                    + bands + " colour components are not supported; " + SUPPORTED);
        }
        Interleaved samples = Interleaved.of(raster);
        if (samples == null) {
            return jpegSlow(raster, header, mode);
        }
        int width = raster.getWidth();
        int height = raster.getHeight();
        int n = width * height;
        byte[] data = samples.data;
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
        int[] px = new int[4];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int at = samples.index(x, y);
                int p = y * width + x;
                if (bands == 1) {
                    int v = data[at] & 0xFF;
                    PilColor.put(out, p, mode, v, v, v);
                    continue;
                }
                for (int b = 0; b < bands; b++) {
                    px[b] = data[at + samples.offsets[b]] & 0xFF;
                }
                putJpeg(out, p, mode, px, bands, ycc, ycck);
            }
        }
        return new Pixels(width, height, mode, out);
    }

    /** Any raster layout: the same conversion through Raster.getPixels. */
    private static Pixels jpegSlow(Raster raster, Headers.Jpeg header, ColorMode mode) {
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
                if (bands == 1) {
                    PilColor.put(out, y * width + x, mode, px[0], px[0], px[0]);
                } else {
                    putJpeg(out, y * width + x, mode, px, bands, ycc, ycck);
                }
            }
        }
        return new Pixels(width, height, mode, out);
    }

    private static void putJpeg(byte[] out, int p, ColorMode mode, int[] px, int bands,
            boolean ycc, boolean ycck) {
        if (ycc) {
            PilColor.yccToRgb(px, 0);
        } else if (ycck) {
            PilColor.ycckToCmyk(px, 0);
        }
        if (bands == 3) {
            PilColor.put(out, p, mode, px[0], px[1], px[2]);
        } else {
            // PIL reads every CMYK JPEG as "CMYK;I" (Adobe's inverted convention)
            int k = 255 - px[3];
            PilColor.put(out, p, mode, PilColor.cmykChannel(255 - px[0], k),
                    PilColor.cmykChannel(255 - px[1], k), PilColor.cmykChannel(255 - px[2], k));
        }
    }

    /** Direct access to a raster of interleaved bytes, or null for other layouts. */
    private static final class Interleaved {
        final byte[] data;
        final int base;
        final int scanline;
        final int pixelStride;
        final int[] offsets;

        private Interleaved(byte[] data, int base, int scanline, int pixelStride, int[] offsets) {
            this.data = data;
            this.base = base;
            this.scanline = scanline;
            this.pixelStride = pixelStride;
            this.offsets = offsets;
        }

        static Interleaved of(Raster raster) {
            if (!(raster.getDataBuffer() instanceof DataBufferByte buffer)
                    || !(raster.getSampleModel() instanceof PixelInterleavedSampleModel model)
                    || buffer.getNumBanks() != 1) {
                return null;
            }
            // (ComponentSampleModel.getOffset would add the first band's offset too)
            int base = buffer.getOffset()
                    + (raster.getMinY() - raster.getSampleModelTranslateY())
                    * model.getScanlineStride()
                    + (raster.getMinX() - raster.getSampleModelTranslateX())
                    * model.getPixelStride();
            return new Interleaved(buffer.getData(), base, model.getScanlineStride(),
                    model.getPixelStride(), model.getBandOffsets());
        }

        int index(int x, int y) {
            return base + y * scanline + x * pixelStride;
        }

        /** Whether the bytes are exactly width x height pixels in band order, nothing else. */
        boolean isPacked(int width, int height) {
            for (int b = 0; b < offsets.length; b++) {
                if (offsets[b] != b) {
                    return false;
                }
            }
            return base == 0 && pixelStride == offsets.length
                    && scanline == width * pixelStride
                    && data.length == (long) width * height * pixelStride;
        }
    }

    /** PNG, GIF, BMP, WebP: the decoded raster's samples, converted by PIL's rules. */
    static Pixels convert(BufferedImage image, ColorMode mode) throws DecodeException {
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int width = raster.getWidth();
        int height = raster.getHeight();
        int bands = raster.getNumBands();
        byte[] out = new byte[width * height * mode.channels()];
        int[] row = new int[width * bands];
        Interleaved samples = Interleaved.of(raster);
        if (cm instanceof IndexColorModel palette) {
            int size = palette.getMapSize();
            int[] reds = new int[size];
            int[] greens = new int[size];
            int[] blues = new int[size];
            for (int i = 0; i < size; i++) {
                reds[i] = palette.getRed(i);
                greens[i] = palette.getGreen(i);
                blues[i] = palette.getBlue(i);
            }
            for (int y = 0; y < height; y++) {
                raster.getSamples(0, y, width, 1, 0, row);
                for (int x = 0; x < width; x++) {
                    int index = Math.min(row[x], size - 1);
                    PilColor.put(out, y * width + x, mode, reds[index], greens[index],
                            blues[index]);
                }
            }
        } else if (cm instanceof ComponentColorModel && cm.getComponentSize(0) == 8
                && (cm.getNumColorComponents() == 1 || cm.getNumColorComponents() == 3
                && cm.getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_RGB)
                && samples != null) {
            // 8-bit gray, gray+alpha, RGB, RGBA in any band order: read the bytes directly
            byte[] data = samples.data;
            int[] offsets = samples.offsets;
            boolean gray = cm.getNumColorComponents() == 1;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int at = samples.index(x, y);
                    int r = data[at + offsets[0]] & 0xFF;
                    int g = gray ? r : data[at + offsets[1]] & 0xFF;
                    int b = gray ? r : data[at + offsets[2]] & 0xFF;
                    PilColor.put(out, y * width + x, mode, r, g, b);
                }
            }
        } else if (cm instanceof ComponentColorModel) {
            int type = cm.getColorSpace().getType();
            int colors = cm.getNumColorComponents();
            boolean sixteen = raster.getDataBuffer().getDataType() == DataBuffer.TYPE_USHORT;
            int bits = cm.getComponentSize(0);
            if (colors == 1) {
                // PIL: 16-bit gray is mode "I" and clips at 255; 16-bit gray+alpha keeps the
                // high byte; 1/2/4-bit gray scales to 0..255.
                boolean clip = sixteen && !cm.hasAlpha();
                int max = (1 << bits) - 1;
                for (int y = 0; y < height; y++) {
                    raster.getPixels(0, y, width, 1, row);
                    for (int x = 0; x < width; x++) {
                        int v = row[x * bands];
                        if (clip) {
                            v = Math.min(v, 255);
                        } else if (sixteen) {
                            v = v >> 8;
                        } else if (bits < 8) {
                            v = v * 255 / max;
                        }
                        PilColor.put(out, y * width + x, mode, v, v, v);
                    }
                }
            } else if (colors == 3 && type == java.awt.color.ColorSpace.TYPE_RGB) {
                int shift = sixteen ? 8 : 0;
                for (int y = 0; y < height; y++) {
                    raster.getPixels(0, y, width, 1, row);
                    for (int x = 0; x < width; x++) {
                        int i = x * bands;
                        PilColor.put(out, y * width + x, mode, row[i] >> shift,
                                row[i + 1] >> shift, row[i + 2] >> shift);
                    }
                }
            } else {
                return viaRgb(image, mode);
            }
        } else if (cm instanceof DirectColorModel direct && !direct.isAlphaPremultiplied()) {
            int[] masks = {direct.getRedMask(), direct.getGreenMask(), direct.getBlueMask()};
            int[] shifts = new int[3];
            int[] maxima = new int[3];
            for (int c = 0; c < 3; c++) {
                shifts[c] = Integer.numberOfTrailingZeros(masks[c]);
                maxima[c] = masks[c] >>> shifts[c];
            }
            for (int y = 0; y < height; y++) {
                Object data = raster.getDataElements(0, y, width, 1, null);
                for (int x = 0; x < width; x++) {
                    int pixel = pixelOf(data, x);
                    int[] v = new int[3];
                    for (int c = 0; c < 3; c++) {
                        int raw = (pixel & masks[c]) >>> shifts[c];
                        // PIL unpacks 5- and 6-bit channels as v * 255 / max, truncating
                        v[c] = maxima[c] == 255 ? raw : raw * 255 / maxima[c];
                    }
                    PilColor.put(out, y * width + x, mode, v[0], v[1], v[2]);
                }
            }
        } else {
            return viaRgb(image, mode);
        }
        return new Pixels(width, height, mode, out);
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
