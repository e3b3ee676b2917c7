package dev.kodiak.core.decode;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Decodes image bytes into {@link Pixels} exactly as PyTorch training code sees them through PIL:
 * {@code ImageOps.exif_transpose(Image.open(f)).convert("RGB")} (or {@code "L"}).
 *
 * <pre>{@code
 * ImageDecoder decoder = new ImageDecoder(50_000_000);
 * Pixels pixels = decoder.decode(bytes, ColorMode.RGB);
 * }</pre>
 *
 * <p>Three steps: the format is <em>sniffed</em> from the bytes (never from a name), the size
 * the header claims is <em>checked</em> against the limits ({@link ImageLimits}) before any
 * pixel is allocated, and the bytes are <em>dispatched</em> to the format's decoder. PIL's pixel
 * rules live in one class per family, shared by every decoder and by the browser widget:
 * {@link PilColor} (JPEG colour: YCbCr, YCCK, CMYK, RGB to "L"), {@link PilSamples} (depths other
 * than 8 bits) and {@link PilPalette} (palette images). Alpha is dropped, not composited;
 * embedded ICC profiles are ignored; the first frame of an animated GIF or WebP is used.
 *
 * <p>The decoders: PNGs, GIFs and BMPs by Kodiak's own readers ({@link PngImage},
 * {@link GifImage}, {@link BmpImage}), which follow PIL 9.4's plugins and which the widget runs
 * too. JPEGs by libjpeg-turbo's TurboJPEG library and WebPs by libwebp, the libraries PIL decodes
 * with, through the FFM API when they can be used (Java 22 or later, Debian's
 * {@code libturbojpeg0}, {@code libwebp7} and {@code libwebpdemux2} installed), else by ImageIO:
 * exact for JPEGs except 4:4:0 chroma, within noise for lossy WebPs. The system properties
 * {@code kodiak.jpeg.decoder} ({@code auto}, the default, {@code turbojpeg} or {@code java}) and
 * {@code kodiak.webp.decoder} ({@code auto}, {@code libwebp} or {@code java}) choose;
 * {@link #jpegDecoder()} and {@link #webpDecoder()} say which is in use. On Java 24 and later
 * the JVM warns about native access unless it runs with
 * {@code --enable-native-access=ALL-UNNAMED} (DJL needs that flag anyway).
 *
 * <p>Safety: truncated files are errors, and decoder crashes on hostile input become
 * {@link DecodeException}s. Thread-safe: each call uses its own reader or native handle.
 */
public final class ImageDecoder {
    /** The end of every message about a file that is not a supported image. */
    static final String SUPPORTED = "send a JPEG, PNG, GIF, BMP or WebP image";

    private final ImageLimits limits;
    private final JpegDecoding jpeg;
    private final WebpDecoding webp;

    /**
     * Creates a decoder with the {@link ImageLimits#DEFAULT_MAX_PIXELS} limit.
     *
     * @throws IllegalArgumentException if the system property {@code kodiak.jpeg.decoder} or
     *     {@code kodiak.webp.decoder} has a value it does not take
     * @throws IllegalStateException if one of them asks for a library that cannot be used here
     */
    public ImageDecoder() {
        this(ImageLimits.DEFAULT_MAX_PIXELS);
    }

    /**
     * Creates a decoder.
     *
     * @param maxPixels the most pixels (width times height) an image may have
     * @throws IllegalArgumentException if the limit is not positive, or the system property
     *     {@code kodiak.jpeg.decoder} is not {@code auto}, {@code turbojpeg} or {@code java}, or
     *     {@code kodiak.webp.decoder} not {@code auto}, {@code libwebp} or {@code java}
     * @throws IllegalStateException if one of them asks for a library that cannot be used here
     *     (Java 21, or the library is missing)
     */
    public ImageDecoder(long maxPixels) {
        this(maxPixels, JpegDecoderChoice.fromProperty());
    }

    /**
     * Creates a decoder with a given JPEG library and the WebP decoder the system property
     * chooses, for tests.
     *
     * @param maxPixels the most pixels an image may have
     * @param jpeg the native JPEG library, or null for ImageIO
     */
    ImageDecoder(long maxPixels, NativeJpeg jpeg) {
        this(maxPixels, jpeg, WebpDecoderChoice.fromProperty());
    }

    /**
     * Creates a decoder with given native libraries, for tests.
     *
     * @param maxPixels the most pixels an image may have
     * @param jpeg the native JPEG library, or null for ImageIO
     * @param webp the native WebP library, or null for ImageIO
     */
    ImageDecoder(long maxPixels, NativeJpeg jpeg, NativeWebp webp) {
        this.limits = new ImageLimits(maxPixels);
        this.jpeg = new JpegDecoding(limits, jpeg);
        this.webp = new WebpDecoding(limits, webp);
    }

    /**
     * Says which decoder this instance uses for JPEGs.
     *
     * @return {@code "turbojpeg"} (libjpeg-turbo through the FFM API) or {@code "java"} (ImageIO)
     */
    public String jpegDecoder() {
        return jpeg.name();
    }

    /**
     * Says which decoder this instance uses for WebPs.
     *
     * @return {@code "libwebp"} (PIL's decoder through the FFM API) or {@code "java"} (ImageIO)
     */
    public String webpDecoder() {
        return webp.name();
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
    public ImageInfo readHeader(byte[] bytes) throws DecodeException {
        ImageFormat format = sniff(bytes);
        return switch (format) {
            case PNG -> PngDecoding.readHeader(bytes);
            case BMP -> {
                BmpImage bmp = BmpImage.read(bytes);
                yield new ImageInfo(format, bmp.width(), bmp.height(), 1);
            }
            case GIF -> {
                GifImage gif = GifImage.read(bytes);
                yield new ImageInfo(format, gif.width(), gif.height(), 1);
            }
            case WEBP -> {
                checkWebpFrames(bytes);
                yield webp.readHeader(bytes);
            }
            default -> ImageIoDecoding.readHeader(format, bytes);
        };
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
        ImageFormat format = sniff(bytes);
        if (format == ImageFormat.JPEG) {
            return jpeg.decode(bytes, mode);
        }
        check(format, bytes);
        try {
            return switch (format) {
                case PNG -> PngDecoding.decode(bytes, mode, limits);
                case BMP -> {
                    BmpImage bmp = BmpImage.read(bytes);
                    limits.check(format, bmp.width(), bmp.height(), mode.channels());
                    yield bmp.pixels(mode);
                }
                case GIF -> {
                    GifImage gif = GifImage.read(bytes);
                    limits.check(format, gif.width(), gif.height(), mode.channels());
                    yield gif.pixels(mode);
                }
                case WEBP -> webp.decode(bytes, mode);
                case JPEG -> throw new IllegalStateException("JPEGs are decoded above");
            };
        } catch (RuntimeException e) {
            // as on ImageIO's path: whatever breaks on hostile bytes is the bytes' fault
            throw Refusals.corrupt(format, e);
        }
    }

    /** Refuses a WebP with a frame outside its canvas, or cut, before a reader sees it. */
    private static void check(ImageFormat format, byte[] bytes) throws DecodeException {
        if (format == ImageFormat.WEBP) {
            checkWebpFrames(bytes);
            if (!Headers.webpComplete(bytes)) {
                throw new DecodeException(DecodeException.Reason.CORRUPT, "The WEBP image is "
                        + "truncated: its header announces more bytes than the " + bytes.length
                        + " received; send the whole file");
            }
        }
    }

    /**
     * Refuses an extended WebP with a frame larger than its canvas, or reaching past it: the
     * size checks read the canvas, TwelveMonkeys would decode the frame at its own size, and
     * libwebp refuses such files too.
     */
    private static void checkWebpFrames(byte[] bytes) throws DecodeException {
        int[] frame = Headers.webpFrameOutsideCanvas(bytes);
        if (frame != null) {
            String at = frame[4] == 0 && frame[5] == 0 ? "" : " at " + frame[4] + ","
                    + frame[5];
            throw new DecodeException(DecodeException.Reason.CORRUPT, "The WEBP image is "
                    + "damaged: it holds a " + frame[0] + "x" + frame[1] + " frame" + at
                    + " in a " + frame[2] + "x" + frame[3] + " canvas; open it in an image "
                    + "viewer, re-save it, and send it again");
        }
    }

    /** The format, from the bytes; or the refusal that says what they are instead. */
    private static ImageFormat sniff(byte[] bytes) throws DecodeException {
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
}
