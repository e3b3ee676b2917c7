package dev.kodiak.core.decode;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;

/**
 * A Windows or OS/2 bitmap decoded in pure Java exactly as PIL 9.4's {@code BmpImagePlugin}
 * reads it, then converted by PIL's rules ({@link PilPalette}, {@link PilSamples}). In two
 * steps, so that the size can be checked before any pixel exists: {@link #read(byte[])} parses
 * the headers and the palette, {@link #pixels(ColorMode)} decodes. The JVM and the browser
 * widget (compiled by TeaVM) run the same code.
 *
 * <pre>{@code
 * BmpImage bmp = BmpImage.read(bytes);
 * limits.check(ImageFormat.BMP, bmp.width(), bmp.height(), 3);
 * Pixels pixels = bmp.pixels(ColorMode.RGB);
 * }</pre>
 *
 * <p>What PIL reads, and so this class:
 * <ul>
 * <li>headers of 12 bytes (OS/2 1.x: 16-bit sizes, palette entries of 3 bytes), 40 (Windows
 *     3), 64 (OS/2 2.x, read as the first 40 bytes of a Windows header), 108 and 124 (Windows 4
 *     and 5); rows bottom-up, or top-down when the height is negative;</li>
 * <li>1, 4 and 8 bits through the palette (an index past the palette's end is gray); 16 bits as
 *     5-5-5 or, with bit fields, 5-6-5; 24 bits; 32 bits with the bit fields PIL knows, alpha
 *     dropped;</li>
 * <li>a palette that is a gray ramp ({@code i, i, i} for every entry, or black and white for two
 *     entries) makes PIL read the pixels as 8-bit gray ({@code "L"}) or 1-bit ({@code "1"})
 *     whatever the file's depth: for a 4-bit file that reads its bytes as gray values, and PIL
 *     refuses where a row is then longer than the file's row;</li>
 * <li>RLE8 and RLE4 ({@code BmpRleDecoder}): runs clipped at the row's end, absolute runs not
 *     (and in RLE4 an odd count loses its last pixel), absolute runs padded to an even position
 *     of the file, end-of-line and delta escapes filling the pixels they skip with index 0, and
 *     PIL's delta: it skips the two bytes after the escape and takes the offsets from the two
 *     after those. Where the data ends before the image (an early end-of-bitmap), PIL refuses
 *     the file; here the rest is index 0.</li>
 * </ul>
 * A size no bitmap can have (0, or more than 2<sup>31</sup> - 1 pixels a side, or more pixel
 * data than a BMP's 32-bit offsets reach) is {@code CORRUPT}; a size over a limit is for the
 * caller to refuse. Immutable and thread-safe.
 */
public final class BmpImage {
    private static final int RAW = 0;
    private static final int RLE8 = 1;
    private static final int RLE4 = 2;
    private static final int BITFIELDS = 3;

    /** How the samples of a row become pixels. */
    private enum Layout {
        /** Palette indexes of {@code bits} bits. */
        INDEXED,
        /** PIL's "L": one byte a pixel, its gray value. */
        GRAY,
        /** PIL's "1": one bit a pixel, 0 or 255. */
        BILEVEL,
        /** 16 bits, 5-5-5 ("BGR;15"). */
        BGR15,
        /** 16 bits, 5-6-5 ("BGR;16"). */
        BGR16,
        /** 3 or 4 bytes a pixel, the colours at {@link #red}, {@link #green}, {@link #blue}. */
        BYTES
    }

    private final byte[] file;
    private final int width;
    private final int height;
    private final boolean topDown;
    private final int bits;
    private final int compression;
    private final Layout layout;
    private final int unpackBits;
    private final int red;
    private final int green;
    private final int blue;
    private final PilPalette palette;
    private final int offset;

    private BmpImage(byte[] file, int width, int height, boolean topDown, int bits,
            int compression, Layout layout, int unpackBits, int[] channels, PilPalette palette,
            int offset) {
        this.file = file;
        this.width = width;
        this.height = height;
        this.topDown = topDown;
        this.bits = bits;
        this.compression = compression;
        this.layout = layout;
        this.unpackBits = unpackBits;
        this.red = channels[0];
        this.green = channels[1];
        this.blue = channels[2];
        this.palette = palette;
        this.offset = offset;
    }

    /**
     * Whether bytes start like a BMP file.
     *
     * @param bytes a file's first bytes
     * @return true for "BM"
     */
    public static boolean isBmp(byte[] bytes) {
        return bytes != null && bytes.length >= 2 && bytes[0] == 'B' && bytes[1] == 'M';
    }

    /**
     * Parses the headers and the palette. Allocates nothing in proportion to the image's pixels.
     *
     * @param file the whole file
     * @return the parsed image
     * @throws DecodeException {@code NOT_AN_IMAGE} without "BM", {@code UNSUPPORTED_FORMAT} for
     *     a header, depth, compression or bit field layout PIL does not read, {@code CORRUPT}
     *     for a cut header or a size no bitmap can have
     */
    public static BmpImage read(byte[] file) throws DecodeException {
        if (!isBmp(file)) {
            throw new DecodeException(DecodeException.Reason.NOT_AN_IMAGE,
                    "The data is not a BMP image (it does not start with \"BM\")");
        }
        if (file.length < 18) {
            throw corrupt("its header is cut off");
        }
        long dataOffset = u32(file, 10);
        long headerSize = u32(file, 14);
        if (headerSize != 12 && headerSize != 40 && headerSize != 64 && headerSize != 108
                && headerSize != 124) {
            throw unsupported("a header of " + headerSize + " bytes");
        }
        int h = 18; // the header's fields, after its size
        if (file.length < 14 + headerSize) {
            throw corrupt("its header is cut off");
        }
        long width;
        long height;
        int bits;
        int compression;
        long colors;
        int entryBytes;
        boolean topDown = false;
        if (headerSize == 12) {
            width = u16(file, h);
            height = u16(file, h + 2);
            bits = u16(file, h + 6);
            compression = RAW;
            colors = 0;
            entryBytes = 3;
        } else {
            topDown = (file[h + 7] & 0xFF) == 0xFF;
            width = u32(file, h);
            height = topDown ? (1L << 32) - u32(file, h + 4) : u32(file, h + 4);
            bits = u16(file, h + 10);
            long method = u32(file, h + 12);
            compression = method > 5 ? -1 : (int) method;
            colors = u32(file, h + 28);
            entryBytes = 4;
        }
        int position = 14 + (int) headerSize;
        if (colors == 0) {
            colors = bits < 32 ? 1L << bits : 1L << 32;
        }
        if (dataOffset == 14 + headerSize && bits <= 8) {
            dataOffset += 4 * colors; // PIL's guess for files that point at their palette
        }
        if (bits != 1 && bits != 4 && bits != 8 && bits != 16 && bits != 24 && bits != 32) {
            throw unsupported(bits + " bits per pixel");
        }
        Layout layout = bits <= 8 ? Layout.INDEXED : bits == 16 ? Layout.BGR15 : Layout.BYTES;
        int[] channels = bits == 24 || bits == 32 ? new int[] {2, 1, 0} : new int[3];
        if (compression == BITFIELDS) {
            long[] masks = new long[4];
            if (headerSize >= 56) {
                for (int i = 0; i < 4; i++) {
                    masks[i] = u32(file, h + 36 + 4 * i);
                }
            } else {
                if (file.length < position + 12) {
                    throw corrupt("its bit fields are cut off");
                }
                for (int i = 0; i < 3; i++) {
                    masks[i] = u32(file, position + 4 * i);
                }
                position += 12;
            }
            layout = bitfields(bits, masks, channels);
        } else if (compression != RAW && compression != RLE8 && compression != RLE4) {
            throw unsupported("compression " + compression + (compression == 4 ? " (JPEG)"
                    : compression == 5 ? " (PNG)" : ""));
        }
        if ((compression == RLE8 || compression == RLE4) && bits > 8) {
            throw unsupported("RLE compression of " + bits + "-bit pixels");
        }
        PilPalette palette = null;
        int unpackBits = bits;
        if (layout == Layout.INDEXED) {
            if (colors > 65536) {
                throw unsupported("a palette of " + colors + " colours");
            }
            int count = (int) colors;
            int available = (int) Math.min((long) entryBytes * count, file.length - position);
            byte[] entries = java.util.Arrays.copyOfRange(file, position, position + available);
            position += available;
            if (grayRamp(entries, entryBytes, count)) {
                // PIL then reads the pixels as "1" or "L", whatever the file's depth
                layout = count == 2 ? Layout.BILEVEL : Layout.GRAY;
                unpackBits = count == 2 ? 1 : 8;
            } else {
                palette = PilPalette.of(entries, entryBytes, count, true);
            }
        }
        if (width < 1 || height < 1 || width > Integer.MAX_VALUE || height > Integer.MAX_VALUE
                || compression != RLE8 && compression != RLE4
                && stride(width, bits) * height > 0xFFFFFFFFL) {
            throw new DecodeException(DecodeException.Reason.CORRUPT, "The BMP image is "
                    + "damaged: its header claims " + width + "x" + height + " pixels, which "
                    + "no bitmap can be; open it in an image viewer, re-save it, and send it "
                    + "again");
        }
        long start = dataOffset != 0 ? dataOffset : position;
        return new BmpImage(file, (int) width, (int) height, topDown, bits, compression, layout,
                unpackBits, channels, palette, (int) Math.min(start, Integer.MAX_VALUE));
    }

    /** The layouts PIL 9.4 accepts for BI_BITFIELDS, or an error. */
    private static Layout bitfields(int bits, long[] m, int[] channels) throws DecodeException {
        if (bits == 32) {
            // BGRX, XBGR, ABGR, RGBA, BGRA (masks named R, G, B, A)
            if (masks(m, 0xFF0000, 0xFF00, 0xFF, 0) || masks(m, 0xFF0000, 0xFF00, 0xFF, 0xFF000000L)
                    || masks(m, 0, 0, 0, 0)) {
                set(channels, 2, 1, 0);
                return Layout.BYTES;
            }
            if (masks(m, 0xFF000000L, 0xFF0000, 0xFF00, 0)
                    || masks(m, 0xFF000000L, 0xFF0000, 0xFF00, 0xFF)) {
                set(channels, 3, 2, 1);
                return Layout.BYTES;
            }
            if (masks(m, 0xFF, 0xFF00, 0xFF0000, 0xFF000000L)) {
                set(channels, 0, 1, 2);
                return Layout.BYTES;
            }
        } else if (bits == 24 && masks(m, 0xFF0000, 0xFF00, 0xFF, -1)) {
            set(channels, 2, 1, 0);
            return Layout.BYTES;
        } else if (bits == 16 && masks(m, 0xF800, 0x7E0, 0x1F, -1)) {
            return Layout.BGR16;
        } else if (bits == 16 && masks(m, 0x7C00, 0x3E0, 0x1F, -1)) {
            return Layout.BGR15;
        }
        throw unsupported("the bit field layout " + Long.toHexString(m[0]) + "/"
                + Long.toHexString(m[1]) + "/" + Long.toHexString(m[2]) + "/"
                + Long.toHexString(m[3]) + " at " + bits + " bits");
    }

    private static boolean masks(long[] m, long r, long g, long b, long a) {
        return m[0] == r && m[1] == g && m[2] == b && (a < 0 || m[3] == a);
    }

    private static void set(int[] channels, int r, int g, int b) {
        channels[0] = r;
        channels[1] = g;
        channels[2] = b;
    }

    /**
     * PIL's test for a palette it can drop: entry {@code i} is {@code (i, i, i)}, or for two
     * entries black and white. A palette the file holds only in part fails it.
     */
    private static boolean grayRamp(byte[] entries, int entryBytes, int count) {
        for (int i = 0; i < count; i++) {
            int value = count == 2 ? i * 255 : i & 0xFF;
            int at = i * entryBytes;
            if (at + 3 > entries.length || (entries[at] & 0xFF) != value
                    || (entries[at + 1] & 0xFF) != value || (entries[at + 2] & 0xFF) != value) {
                return false;
            }
        }
        return true;
    }

    private static long stride(long width, int bits) {
        return (width * bits + 31) >> 3 & ~3L;
    }

    /**
     * Returns the width.
     *
     * @return pixels
     */
    public int width() {
        return width;
    }

    /**
     * Returns the height.
     *
     * @return pixels
     */
    public int height() {
        return height;
    }

    /**
     * Decodes the pixels and converts them by PIL's rules.
     *
     * @param mode the colour mode wanted, as in PIL's {@code convert(mode)}
     * @return the pixels, top row first
     * @throws DecodeException {@code CORRUPT} when the pixel data is cut short or PIL's reading
     *     of it fails; {@code TOO_LARGE} when the pixels do not fit one array
     */
    public Pixels pixels(ColorMode mode) throws DecodeException {
        ImageLimits.checkBuffer(ImageFormat.BMP, width, height, mode.channels());
        byte[] out = new byte[width * height * mode.channels()];
        if (compression == RLE8 || compression == RLE4) {
            byte[] indexes = rle();
            for (int row = 0; row < height; row++) {
                int y = topDown ? row : height - 1 - row;
                for (int x = 0; x < width; x++) {
                    putIndex(out, y * width + x, mode, indexes[row * width + x] & 0xFF);
                }
            }
            return new Pixels(width, height, mode, out);
        }
        long stride = stride(width, bits);
        long rowBytes = ((long) unpackBits * width + 7) / 8;
        if (layout == Layout.BYTES || layout == Layout.BGR15 || layout == Layout.BGR16) {
            rowBytes = (long) width * (bits / 8);
        }
        if (rowBytes > stride) {
            throw corrupt("PIL cannot read its " + width + "-pixel rows of " + bits + "-bit gray "
                    + "at " + unpackBits + " bit" + (unpackBits == 1 ? "" : "s") + " a pixel");
        }
        long needed = (height - 1) * stride + rowBytes;
        if (offset > file.length || needed > file.length - offset) {
            throw new DecodeException(DecodeException.Reason.CORRUPT, "The BMP file is "
                    + "truncated (its pixels need " + needed + " bytes, " + Math.max(0,
                    file.length - offset) + " are there); send the whole file");
        }
        for (int row = 0; row < height; row++) {
            int y = topDown ? row : height - 1 - row;
            int at = offset + (int) (row * stride);
            for (int x = 0; x < width; x++) {
                put(out, y * width + x, mode, at, x);
            }
        }
        return new Pixels(width, height, mode, out);
    }

    /** One stored pixel of the row starting at {@code at}. */
    private void put(byte[] out, int p, ColorMode mode, int at, int x) {
        switch (layout) {
            case INDEXED, GRAY, BILEVEL -> {
                int v;
                if (unpackBits == 8) {
                    v = file[at + x] & 0xFF;
                } else {
                    int perByte = 8 / unpackBits;
                    int shift = 8 - unpackBits * (x % perByte + 1);
                    v = (file[at + x / perByte] & 0xFF) >> shift & ((1 << unpackBits) - 1);
                }
                putIndex(out, p, mode, v);
            }
            case BGR15, BGR16 -> {
                int pixel = file[at + 2 * x] & 0xFF | (file[at + 2 * x + 1] & 0xFF) << 8;
                boolean six = layout == Layout.BGR16;
                int r = PilSamples.scale(six ? pixel >> 11 & 31 : pixel >> 10 & 31, 31);
                int g = six ? PilSamples.scale(pixel >> 5 & 63, 63)
                        : PilSamples.scale(pixel >> 5 & 31, 31);
                int b = PilSamples.scale(pixel & 31, 31);
                PilColor.put(out, p, mode, r, g, b);
            }
            default -> {
                int px = at + x * (bits / 8);
                PilColor.put(out, p, mode, file[px + red] & 0xFF, file[px + green] & 0xFF,
                        file[px + blue] & 0xFF);
            }
        }
    }

    /** A palette index, or a gray value or bit when PIL dropped the palette. */
    private void putIndex(byte[] out, int p, ColorMode mode, int v) {
        if (layout == Layout.INDEXED) {
            palette.put(out, p, mode, v);
        } else {
            int gray = layout == Layout.BILEVEL ? (v != 0 ? 255 : 0) : v;
            PilColor.put(out, p, mode, gray, gray, gray);
        }
    }

    /** PIL 9.4's BmpRleDecoder: the stored rows' indexes, bottom row first unless top-down. */
    private byte[] rle() {
        boolean four = compression == RLE4;
        int total = width * height;
        byte[] data = new byte[total];
        long length = 0;
        int x = 0;
        int at = offset;
        while (length < total) {
            if (at + 2 > file.length) {
                break;
            }
            int count = file[at] & 0xFF;
            int value = file[at + 1] & 0xFF;
            at += 2;
            if (count != 0) {
                if (x + count > width) {
                    count = Math.max(0, width - x);
                }
                for (int i = 0; i < count; i++) {
                    int v = !four ? value : i % 2 == 0 ? value >> 4 : value & 0x0F;
                    if (length < total) {
                        data[(int) length] = (byte) v;
                    }
                    length++;
                }
                x += count;
            } else if (value == 0) {
                // end of line: index 0 up to the next row
                length += (width - length % width) % width;
                x = 0;
            } else if (value == 1) {
                break;
            } else if (value == 2) {
                // PIL 9.4 reads two bytes to see that they are there, then the offsets from the
                // next two
                if (at + 4 > file.length) {
                    break;
                }
                int right = file[at + 2] & 0xFF;
                int up = file[at + 3] & 0xFF;
                at += 4;
                length += right + (long) up * width;
                x = (int) (length % width);
            } else {
                int bytes = four ? value / 2 : value;
                int read = Math.min(bytes, file.length - at);
                for (int i = 0; i < read; i++) {
                    int b = file[at + i] & 0xFF;
                    if (four) {
                        store(data, length++, b >> 4);
                        store(data, length++, b & 0x0F);
                    } else {
                        store(data, length++, b);
                    }
                }
                at += read;
                if (read < bytes) {
                    break;
                }
                x += value;
                if (at % 2 != 0) {
                    at++;
                }
            }
        }
        return data;
    }

    private static void store(byte[] data, long at, int value) {
        if (at < data.length) {
            data[(int) at] = (byte) value;
        }
    }

    private static DecodeException corrupt(String what) {
        return new DecodeException(DecodeException.Reason.CORRUPT, "The BMP image is damaged: "
                + what + "; open it in an image viewer, re-save it, and send it again");
    }

    private static DecodeException unsupported(String what) {
        return new DecodeException(DecodeException.Reason.UNSUPPORTED_FORMAT, "BMP images with "
                + what + " are not supported (nor by PIL); re-save it as PNG or JPEG");
    }

    private static int u16(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
    }

    private static long u32(byte[] b, int i) {
        return (long) u16(b, i) | (long) u16(b, i + 2) << 16;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "BmpImage[" + width + "x" + height + " " + bits + "-bit" + (compression == RLE8
                ? " RLE8" : compression == RLE4 ? " RLE4" : "") + (topDown ? " top-down" : "")
                + "]";
    }
}
