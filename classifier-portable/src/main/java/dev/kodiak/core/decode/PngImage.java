package dev.kodiak.core.decode;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;

/**
 * A PNG decoded in pure Java, by PIL's rules, in two steps so that the inflating can be done by
 * whoever does it best: {@link #read(byte[])} parses the chunks and hands out the compressed
 * image data ({@link #compressed()}, a zlib stream), and {@link #pixels(byte[], ColorMode)} turns
 * the inflated bytes into {@link Pixels}. It is Kodiak's one PNG decoder: classifier-core's
 * {@code ImageDecoder} runs it with the JDK's inflater, and the browser widget runs it compiled
 * by TeaVM, with the browser's own {@code DecompressionStream("deflate")} in between, for the
 * PNGs a browser cannot hand over as PIL sees them (with alpha, which the canvas premultiplies,
 * losing the colour under transparent pixels; with 16 bits per sample, which browsers scale
 * down; with an orientation a browser does not read).
 *
 * <pre>{@code
 * PngImage png = PngImage.read(bytes);
 * byte[] raw = inflate(png.compressed(), png.inflatedSize());   // zlib, any inflater
 * Pixels pixels = png.pixels(raw, ColorMode.RGB);
 * }</pre>
 *
 * <p>PIL's rules ({@link PilSamples}, {@link PilPalette}, {@link PngMetadata}): alpha and
 * {@code tRNS} are dropped, not composited; palette entries give RGB, and indexes past the
 * palette gray; 1, 2 and 4-bit gray scale to 0..255; 16-bit samples keep their high byte, except
 * 16-bit gray without an alpha channel (with or without {@code tRNS}), which PIL reads as mode
 * "I" and clips at 255; the orientation {@code ImageOps.exif_transpose} finds is applied (an
 * {@code eXIf} chunk, ImageMagick's raw EXIF profile, or XMP). Both interlace methods are read.
 * Chunk CRCs are not checked (PIL checks those before the image data; Kodiak reads such files).
 *
 * <p>Immutable and thread-safe.
 */
public final class PngImage {
    private static final int[][] ADAM7 = {
        {0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2},
        {0, 1, 1, 2}};

    private final int width;
    private final int height;
    private final int bitDepth;
    private final int colorType;
    private final boolean interlaced;
    private final PilPalette palette;
    private final boolean transparency;
    private final int orientation;
    private final byte[] compressed;

    private PngImage(int width, int height, int bitDepth, int colorType, boolean interlaced,
            PilPalette palette, boolean transparency, int orientation, byte[] compressed) {
        this.width = width;
        this.height = height;
        this.bitDepth = bitDepth;
        this.colorType = colorType;
        this.interlaced = interlaced;
        this.palette = palette;
        this.transparency = transparency;
        this.orientation = orientation;
        this.compressed = compressed;
    }

    /**
     * Whether bytes start with the PNG signature.
     *
     * @param bytes a file's first bytes (8 are enough)
     * @return true for a PNG
     */
    public static boolean isPng(byte[] bytes) {
        return bytes != null && bytes.length >= 8 && (bytes[0] & 0xFF) == 0x89
                && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G' && bytes[4] == '\r'
                && bytes[5] == '\n' && bytes[6] == 0x1A && bytes[7] == '\n';
    }

    /**
     * Parses a PNG file's chunks. Allocates nothing in proportion to the image's pixels, so the
     * size can be checked against a limit before {@link #pixels(byte[], ColorMode)}.
     *
     * @param file the whole file
     * @return the parsed image, waiting for its inflated data
     * @throws DecodeException {@code NOT_AN_IMAGE} without the PNG signature,
     *     {@code UNSUPPORTED_FORMAT} for a compression, filter or interlace method PNG does not
     *     define, {@code CORRUPT} for a damaged header or missing image data
     */
    public static PngImage read(byte[] file) throws DecodeException {
        if (!isPng(file)) {
            throw new DecodeException(DecodeException.Reason.NOT_AN_IMAGE,
                    "The data is not a PNG image (no PNG signature)");
        }
        int at = 8;
        int width = 0;
        int height = 0;
        int bitDepth = 0;
        int colorType = -1;
        boolean interlaced = false;
        byte[] palette = null;
        boolean transparency = false;
        byte[] data = new byte[0];
        int dataLength = 0;
        boolean header = false;
        while (at + 8 <= file.length) {
            long length = u32(file, at);
            String type = new String(new char[] {(char) (file[at + 4] & 0xFF),
                (char) (file[at + 5] & 0xFF), (char) (file[at + 6] & 0xFF),
                (char) (file[at + 7] & 0xFF)});
            int start = at + 8;
            boolean cut = length > file.length - start;
            if (cut && !(type.equals("IDAT") && header)) {
                throw corrupt("its " + type + " chunk is cut off");
            }
            // a file cut inside its image data keeps what arrived: pixels() finds it short
            int end = cut ? file.length : start + (int) length;
            if (!header && !type.equals("IHDR")) {
                throw corrupt("it does not start with an IHDR chunk");
            }
            switch (type) {
                case "IHDR" -> {
                    if (length < 13) {
                        throw corrupt("its IHDR chunk is too short");
                    }
                    width = (int) Math.min(Integer.MAX_VALUE, u32(file, start));
                    height = (int) Math.min(Integer.MAX_VALUE, u32(file, start + 4));
                    bitDepth = file[start + 8] & 0xFF;
                    colorType = file[start + 9] & 0xFF;
                    int compression = file[start + 10] & 0xFF;
                    int filter = file[start + 11] & 0xFF;
                    int interlace = file[start + 12] & 0xFF;
                    if (width < 1 || height < 1) {
                        throw corrupt("it is " + width + "x" + height + " pixels");
                    }
                    if (!validDepth(colorType, bitDepth)) {
                        throw corrupt("colour type " + colorType + " with " + bitDepth
                                + " bits per sample is not a PNG combination");
                    }
                    if (compression != 0 || filter != 0 || interlace > 1) {
                        throw new DecodeException(DecodeException.Reason.UNSUPPORTED_FORMAT,
                                "The PNG uses compression " + compression + ", filter "
                                + filter + " or interlace method " + interlace + ", which PNG "
                                + "does not define; re-save it as a standard PNG");
                    }
                    interlaced = interlace == 1;
                    header = true;
                }
                case "PLTE" -> palette = java.util.Arrays.copyOfRange(file, start, end);
                case "tRNS" -> transparency = true;
                case "IDAT" -> {
                    if (dataLength + (end - start) > data.length) {
                        data = java.util.Arrays.copyOf(data, Math.max(dataLength + (end - start),
                                data.length * 2));
                    }
                    System.arraycopy(file, start, data, dataLength, end - start);
                    dataLength += end - start;
                }
                default -> {
                    // ancillary chunks change nothing PIL hands to a model
                }
            }
            if (type.equals("IEND") || cut) {
                break;
            }
            at = end + 4;
        }
        if (!header) {
            throw corrupt("it has no IHDR chunk");
        }
        if (dataLength == 0) {
            throw corrupt("it has no image data (IDAT)");
        }
        if (colorType == 3 && (palette == null || palette.length < 3)) {
            throw corrupt("it is a palette image without a palette (PLTE)");
        }
        return new PngImage(width, height, bitDepth, colorType, interlaced,
                colorType == 3 ? PilPalette.of(palette, 3, palette.length / 3, false) : null,
                transparency, PngMetadata.orientation(file),
                java.util.Arrays.copyOf(data, dataLength));
    }

    private static boolean validDepth(int colorType, int depth) {
        return switch (colorType) {
            case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
            case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
            case 2, 4, 6 -> depth == 8 || depth == 16;
            default -> false;
        };
    }

    /**
     * Returns the stored width.
     *
     * @return pixels, before the EXIF orientation
     */
    public int width() {
        return width;
    }

    /**
     * Returns the stored height.
     *
     * @return pixels, before the EXIF orientation
     */
    public int height() {
        return height;
    }

    /**
     * Returns the bits per sample.
     *
     * @return 1, 2, 4, 8 or 16
     */
    public int bitDepth() {
        return bitDepth;
    }

    /**
     * Returns the PNG colour type.
     *
     * @return 0 gray, 2 RGB, 3 palette, 4 gray and alpha, 6 RGBA
     */
    public int colorType() {
        return colorType;
    }

    /**
     * Returns whether the image data is Adam7-interlaced.
     *
     * @return true for interlace method 1
     */
    public boolean interlaced() {
        return interlaced;
    }

    /**
     * Whether any pixel may be transparent: an alpha channel or a {@code tRNS} chunk.
     *
     * @return true if the image carries transparency
     */
    public boolean hasAlpha() {
        return colorType == 4 || colorType == 6 || transparency;
    }

    /**
     * Returns the orientation PIL's {@code exif_transpose} applies: from the {@code eXIf}
     * chunk, or ImageMagick's raw EXIF profile, or XMP ({@link PngMetadata}).
     *
     * @return 1 (upright, also when absent) to 8
     */
    public int orientation() {
        return orientation;
    }

    /**
     * Returns the image data, every {@code IDAT} chunk joined.
     *
     * @return a zlib stream (a copy)
     */
    public byte[] compressed() {
        return compressed.clone();
    }

    /**
     * Returns how many bytes the image data inflates to: filtered scanlines, per pass when
     * interlaced.
     *
     * @return the byte count
     * @throws DecodeException {@code TOO_LARGE} if it exceeds what one array can hold
     */
    public int inflatedSize() throws DecodeException {
        long total = 0;
        if (!interlaced) {
            total = (long) height * (1 + rowBytes(width));
        } else {
            for (int[] pass : ADAM7) {
                long w = passSize(width, pass[0], pass[2]);
                long h = passSize(height, pass[1], pass[3]);
                if (w > 0 && h > 0) {
                    total += h * (1 + rowBytes(w));
                }
            }
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new DecodeException(DecodeException.Reason.TOO_LARGE, "The PNG image is "
                    + width + "x" + height + ", too large to decode; scale it down before "
                    + "sending");
        }
        return (int) total;
    }

    private int channels() {
        return switch (colorType) {
            case 2 -> 3;
            case 4 -> 2;
            case 6 -> 4;
            default -> 1;
        };
    }

    private long rowBytes(long pixels) {
        return (pixels * channels() * bitDepth + 7) / 8;
    }

    private static long passSize(long size, int offset, int step) {
        return size <= offset ? 0 : (size - offset + step - 1) / step;
    }

    /**
     * Unfilters the inflated image data and converts it by PIL's rules, then applies the EXIF
     * orientation.
     *
     * @param inflated the inflated {@link #compressed()} data; bytes past
     *     {@link #inflatedSize()} are ignored, as PIL ignores them
     * @param mode the colour mode wanted, as in PIL's {@code convert(mode)}
     * @return the upright pixels
     * @throws DecodeException {@code CORRUPT} if the data is short or uses an unknown filter
     */
    public Pixels pixels(byte[] inflated, ColorMode mode) throws DecodeException {
        int size = inflatedSize();
        if (inflated.length < size) {
            throw corrupt("its image data is truncated (" + inflated.length + " of " + size
                    + " bytes)");
        }
        if ((long) width * height * mode.channels() > Integer.MAX_VALUE - 8) {
            throw new DecodeException(DecodeException.Reason.TOO_LARGE, "The PNG image is "
                    + width + "x" + height + ", too large to decode; scale it down before "
                    + "sending");
        }
        byte[] out = new byte[width * height * mode.channels()];
        if (!interlaced) {
            convertRows(inflated, 0, width, height, 0, 0, 1, 1, out, mode);
        } else {
            int at = 0;
            for (int[] pass : ADAM7) {
                int w = (int) passSize(width, pass[0], pass[2]);
                int h = (int) passSize(height, pass[1], pass[3]);
                if (w > 0 && h > 0) {
                    convertRows(inflated, at, w, h, pass[0], pass[1], pass[2], pass[3], out,
                            mode);
                    at += h * (1 + (int) rowBytes(w));
                }
            }
        }
        return new Pixels(width, height, mode, out).orient(orientation);
    }

    /** Unfilters one (sub)image's rows and writes its pixels into their places in {@code out}. */
    private void convertRows(byte[] data, int offset, int w, int h, int x0, int y0, int dx,
            int dy, byte[] out, ColorMode mode) throws DecodeException {
        int stride = (int) rowBytes(w);
        int bpp = Math.max(1, channels() * bitDepth / 8);
        byte[] previous = new byte[stride];
        byte[] row = new byte[stride];
        for (int y = 0; y < h; y++) {
            int at = offset + y * (stride + 1);
            int filter = data[at] & 0xFF;
            System.arraycopy(data, at + 1, row, 0, stride);
            unfilter(filter, row, previous, bpp);
            int outY = y0 + y * dy;
            for (int x = 0; x < w; x++) {
                put(row, x, out, outY * width + x0 + x * dx, mode);
            }
            byte[] swap = previous;
            previous = row;
            row = swap;
        }
    }

    private static void unfilter(int filter, byte[] row, byte[] up, int bpp)
            throws DecodeException {
        int n = row.length;
        switch (filter) {
            case 0 -> {
                // None
            }
            case 1 -> {
                for (int i = bpp; i < n; i++) {
                    row[i] = (byte) (row[i] + row[i - bpp]);
                }
            }
            case 2 -> {
                for (int i = 0; i < n; i++) {
                    row[i] = (byte) (row[i] + up[i]);
                }
            }
            case 3 -> {
                for (int i = 0; i < n; i++) {
                    int left = i >= bpp ? row[i - bpp] & 0xFF : 0;
                    row[i] = (byte) (row[i] + ((left + (up[i] & 0xFF)) >> 1));
                }
            }
            case 4 -> {
                for (int i = 0; i < n; i++) {
                    int a = i >= bpp ? row[i - bpp] & 0xFF : 0;
                    int b = up[i] & 0xFF;
                    int c = i >= bpp ? up[i - bpp] & 0xFF : 0;
                    int p = a + b - c;
                    int pa = Math.abs(p - a);
                    int pb = Math.abs(p - b);
                    int pc = Math.abs(p - c);
                    int predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
                    row[i] = (byte) (row[i] + predictor);
                }
            }
            default -> throw corrupt("a scanline uses filter type " + filter
                    + ", which PNG does not define");
        }
    }

    /** One pixel of an unfiltered row, by PIL's rules, into {@code out} at pixel {@code p}. */
    private void put(byte[] row, int x, byte[] out, int p, ColorMode mode) {
        switch (colorType) {
            case 0 -> {
                int v;
                if (bitDepth == 16) {
                    v = PilSamples.grayModeI((row[x * 2] & 0xFF) << 8 | row[x * 2 + 1] & 0xFF);
                } else if (bitDepth == 8) {
                    v = row[x] & 0xFF;
                } else {
                    v = PilSamples.scale(sample(row, x), (1 << bitDepth) - 1);
                }
                PilColor.put(out, p, mode, v, v, v);
            }
            case 3 -> palette.put(out, p, mode, bitDepth == 8 ? row[x] & 0xFF : sample(row, x));
            case 4 -> {
                // 16 bits: the first byte of each sample is the high byte PIL keeps
                int v = row[x * 2 * (bitDepth / 8)] & 0xFF;
                PilColor.put(out, p, mode, v, v, v);
            }
            default -> {
                // 16 bits: the high bytes, as for gray with alpha
                int step = channels() * (bitDepth / 8);
                int at = x * step;
                int next = bitDepth / 8;
                PilColor.put(out, p, mode, row[at] & 0xFF, row[at + next] & 0xFF,
                        row[at + 2 * next] & 0xFF);
            }
        }
    }

    /** A sub-byte sample (1, 2 or 4 bits), most significant bits first. */
    private int sample(byte[] row, int x) {
        int perByte = 8 / bitDepth;
        int shift = 8 - bitDepth * (x % perByte + 1);
        return (row[x / perByte] & 0xFF) >> shift & ((1 << bitDepth) - 1);
    }

    private static long u32(byte[] b, int i) {
        return (long) (b[i] & 0xFF) << 24 | (b[i + 1] & 0xFF) << 16 | (b[i + 2] & 0xFF) << 8
                | b[i + 3] & 0xFF;
    }

    private static DecodeException corrupt(String what) {
        return new DecodeException(DecodeException.Reason.CORRUPT, "The PNG image is damaged: "
                + what + "; open it in an image viewer, re-save it, and send it again");
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "PngImage[" + width + "x" + height + " type " + colorType + " " + bitDepth
                + "-bit" + (interlaced ? " interlaced" : "") + (hasAlpha() ? " alpha" : "")
                + "]";
    }
}
