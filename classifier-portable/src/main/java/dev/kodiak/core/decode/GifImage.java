package dev.kodiak.core.decode;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;

/**
 * The first frame of a GIF decoded in pure Java exactly as PIL 9.4's {@code GifImagePlugin} and
 * its C decoder ({@code GifDecode.c}) read it, then converted by {@code convert("RGB")} or
 * {@code "L"} from the "P" (or "L") image PIL makes of it ({@link PilPalette}). In two steps,
 * so that the size can be checked before any pixel exists: {@link #read(byte[])} parses the
 * blocks up to the first frame's data, {@link #pixels(ColorMode)} decodes it. The JVM and the
 * browser widget (compiled by TeaVM) run the same code: a browser's canvas loses the colour
 * under transparent pixels, which PIL keeps.
 *
 * <pre>{@code
 * GifImage gif = GifImage.read(bytes);
 * limits.check(ImageFormat.GIF, gif.width(), gif.height(), 3);
 * Pixels pixels = gif.pixels(ColorMode.RGB);
 * }</pre>
 *
 * <p>PIL's rules for the first frame:
 * <ul>
 * <li>the image is the logical screen, made larger when the frame reaches past it; outside the
 *     frame every pixel is the frame's transparent index if it has one, else index 0;</li>
 * <li>inside the frame every index is written, the transparent one too, and its colour is the
 *     palette's (the frame's own palette, else the global one; an index past the palette is
 *     gray); a frame's disposal only concerns the frames after it;</li>
 * <li>the LZW data is read as PIL reads it: sub-blocks from the frame's data to the end of the
 *     file, in reads of 64 KB, past the block terminator; decoding stops only when the frame is
 *     full. An end code makes PIL read again: at the end of the file that is "truncated",
 *     otherwise the codes go on. A clear code right after a clear is ignored, a first code
 *     above the clear code or a code past the table's next entry is an error, codes grow to 12
 *     bits and the table takes no entries once full. A frame full before the block terminator
 *     or the trailer is fine without them (ImageIO refused such files).</li>
 * </ul>
 * Immutable and thread-safe.
 */
public final class GifImage {
    private static final int MAX_BITS = 12;
    private static final int TABLE = 1 << MAX_BITS;

    private final byte[] file;
    private final int width;
    private final int height;
    private final int left;
    private final int top;
    private final int frameWidth;
    private final int frameHeight;
    private final boolean interlaced;
    private final int codeSize;
    private final int dataStart;
    private final int transparency;
    private final PilPalette palette;

    private GifImage(byte[] file, int width, int height, int[] frame, boolean interlaced,
            int codeSize, int dataStart, int transparency, PilPalette palette) {
        this.file = file;
        this.width = width;
        this.height = height;
        this.left = frame[0];
        this.top = frame[1];
        this.frameWidth = frame[2];
        this.frameHeight = frame[3];
        this.interlaced = interlaced;
        this.codeSize = codeSize;
        this.dataStart = dataStart;
        this.transparency = transparency;
        this.palette = palette;
    }

    /**
     * Whether bytes start like a GIF file.
     *
     * @param bytes a file's first bytes
     * @return true for "GIF87a" or "GIF89a"
     */
    public static boolean isGif(byte[] bytes) {
        return bytes != null && bytes.length >= 6 && bytes[0] == 'G' && bytes[1] == 'I'
                && bytes[2] == 'F' && bytes[3] == '8' && (bytes[4] == '7' || bytes[4] == '9')
                && bytes[5] == 'a';
    }

    /**
     * Parses the header, the palettes and the blocks before the first frame's image data.
     * Allocates nothing in proportion to the image's pixels.
     *
     * @param file the whole file
     * @return the parsed image
     * @throws DecodeException {@code NOT_AN_IMAGE} without the GIF signature, {@code CORRUPT}
     *     when the blocks end before a frame (or its first data) or PIL would fail on them
     */
    public static GifImage read(byte[] file) throws DecodeException {
        if (!isGif(file)) {
            throw new DecodeException(DecodeException.Reason.NOT_AN_IMAGE,
                    "The data is not a GIF image (no GIF signature)");
        }
        if (file.length < 13) {
            throw corrupt("its header is cut off");
        }
        int width = u16(file, 6);
        int height = u16(file, 8);
        int flags = file[10] & 0xFF;
        int at = 13;
        PilPalette global = null;
        if ((flags & 0x80) != 0) {
            int size = 3 << ((flags & 7) + 1);
            int end = Math.min(file.length, at + size);
            global = palette(file, at, end);
            at = end;
        }
        int transparency = -1;
        while (true) {
            if (at >= file.length || file[at] == ';') {
                throw corrupt("it holds no image");
            }
            int block = file[at++] & 0xFF;
            if (block == '!') {
                if (at >= file.length) {
                    throw corrupt("it holds no image");
                }
                int label = file[at++] & 0xFF;
                // the first sub-block holds what PIL reads of an extension
                int length = at < file.length ? file[at] & 0xFF : 0;
                if (label == 0xF9 && length > 0) {
                    if (length < 4 || at + 1 + 4 > file.length) {
                        throw corrupt("a graphic control extension is cut short");
                    }
                    if ((file[at + 1] & 1) != 0) {
                        transparency = file[at + 4] & 0xFF;
                    }
                }
                at = skipSubBlocks(file, at);
            } else if (block == ',') {
                if (at + 10 > file.length) {
                    throw corrupt("its first image descriptor is cut off");
                }
                int x0 = u16(file, at);
                int y0 = u16(file, at + 2);
                int w = u16(file, at + 4);
                int h = u16(file, at + 6);
                int frameFlags = file[at + 8] & 0xFF;
                at += 9;
                PilPalette local = null;
                boolean localIdentity = false;
                if ((frameFlags & 0x80) != 0) {
                    int size = 3 << ((frameFlags & 7) + 1);
                    int end = Math.min(file.length, at + size);
                    local = palette(file, at, end);
                    localIdentity = local == null;
                    at = end;
                }
                if (at >= file.length) {
                    throw corrupt("its first image has no data");
                }
                int codeSize = file[at] & 0xFF;
                if (codeSize > MAX_BITS) {
                    throw corrupt("its LZW code size is " + codeSize + ", more than 12 bits");
                }
                PilPalette chosen = local != null || localIdentity ? local : global;
                int canvasWidth = Math.max(width, x0 + w);
                int canvasHeight = Math.max(height, y0 + h);
                if (canvasWidth == 0 || canvasHeight == 0) {
                    throw corrupt("it is " + canvasWidth + "x" + canvasHeight + " pixels");
                }
                return new GifImage(file, canvasWidth, canvasHeight,
                        new int[] {x0, y0, w, h}, (frameFlags & 0x40) != 0, codeSize, at + 1,
                        transparency, chosen);
            }
            // any other byte between blocks is skipped, as PIL skips it
        }
    }

    /** The sub-blocks from {@code at} (a length byte each) up to and past a zero length. */
    private static int skipSubBlocks(byte[] file, int at) {
        while (at < file.length) {
            int length = file[at] & 0xFF;
            at += 1 + length;
            if (length == 0) {
                break;
            }
        }
        return Math.min(at, file.length);
    }

    /**
     * A palette, or null when PIL drops it: entry {@code i} is {@code (i, i, i)} for every
     * entry, so the indexes are the gray values ("L"), which the ramp gives too.
     */
    private static PilPalette palette(byte[] file, int start, int end) throws DecodeException {
        int n = end - start;
        if (n % 3 != 0) {
            throw corrupt("its palette is cut off");
        }
        boolean identity = true;
        for (int i = 0; i < n && identity; i += 3) {
            int v = i / 3;
            identity = (file[start + i] & 0xFF) == v && (file[start + i + 1] & 0xFF) == v
                    && (file[start + i + 2] & 0xFF) == v;
        }
        return identity ? null : PilPalette.of(java.util.Arrays.copyOfRange(file, start, end),
                3, n / 3, false);
    }

    /**
     * Returns the width of the image PIL makes: the logical screen, or more when the first
     * frame reaches past it.
     *
     * @return pixels
     */
    public int width() {
        return width;
    }

    /**
     * Returns the height of the image PIL makes.
     *
     * @return pixels
     */
    public int height() {
        return height;
    }

    /**
     * Decodes the first frame and converts it by PIL's rules.
     *
     * @param mode the colour mode wanted, as in PIL's {@code convert(mode)}
     * @return the pixels
     * @throws DecodeException {@code CORRUPT} when the data ends before the frame is full or
     *     holds a code PIL's decoder refuses; {@code TOO_LARGE} when the pixels do not fit one
     *     array
     */
    public Pixels pixels(ColorMode mode) throws DecodeException {
        ImageLimits.checkBuffer(ImageFormat.GIF, width, height, mode.channels());
        byte[] indexes = new byte[width * height];
        if (transparency > 0) {
            java.util.Arrays.fill(indexes, (byte) transparency);
        }
        if (frameWidth > 0 && frameHeight > 0) {
            new Lzw(file, dataStart, codeSize).decode(indexes, width, left, top, frameWidth,
                    frameHeight, interlaced);
        }
        byte[] out = new byte[width * height * mode.channels()];
        PilPalette colours = palette != null ? palette : PilPalette.of(new byte[0], 3, 0, false);
        for (int p = 0; p < indexes.length; p++) {
            colours.put(out, p, mode, indexes[p] & 0xFF);
        }
        return new Pixels(width, height, mode, out);
    }

    /**
     * PIL's GifDecode.c as {@code ImageFile.load} drives it: the data from the frame's first
     * sub-block to the end of the file, handed over in reads of 64 KB; the decoder asks for the
     * next read when a sub-block is not all there yet, or after an end code, and a read that
     * finds the file's end is PIL's "image file is truncated".
     */
    private static final class Lzw {
        /** ImageFile.decodermaxblock: what one read hands the decoder. */
        private static final int READ = 65536;

        private final byte[] file;
        private int at;
        /** The end of what PIL has read so far. */
        private int available;
        private int blockLeft;
        private int bitBuffer;
        private int bitCount;
        private final int bits;

        Lzw(byte[] file, int at, int bits) {
            this.file = file;
            this.at = at;
            this.available = (int) Math.min(file.length, (long) at + READ);
            this.bits = bits;
        }

        /** PIL's next read, or false at the end of the file. */
        private boolean read() {
            if (available == file.length) {
                return false;
            }
            available = (int) Math.min(file.length, (long) available + READ);
            return true;
        }

        /** The next code, or -1 when the file ends first (PIL: truncated). */
        private int code(int size) {
            while (bitCount < size) {
                if (blockLeft > 0) {
                    bitBuffer |= (file[at++] & 0xFF) << bitCount;
                    bitCount += 8;
                    blockLeft--;
                } else if (at < available && available - at >= (file[at] & 0xFF) + 1) {
                    // a new sub-block, started only when all of it has been read
                    blockLeft = file[at++] & 0xFF;
                } else if (!read()) {
                    return -1;
                }
            }
            int c = bitBuffer & ((1 << size) - 1);
            bitBuffer >>>= size;
            bitCount -= size;
            return c;
        }

        void decode(byte[] image, int stride, int x0, int y0, int w, int h, boolean interlaced)
                throws DecodeException {
            int clear = 1 << bits;
            int end = clear + 1;
            byte[] data = new byte[TABLE];
            short[] link = new short[TABLE];
            byte[] string = new byte[TABLE];
            int pass = interlaced ? 1 : 0;
            int step = interlaced ? 8 : 1;
            int x = 0;
            int y = 0;
            int next = clear + 2;
            int size = bits + 1;
            int mask = (1 << size) - 1;
            int state = 2;
            int lastCode = 0;
            int lastData = 0;
            while (true) {
                int c = code(size);
                if (c < 0) {
                    throw truncated();
                }
                if (c == clear) {
                    if (state != 2) {
                        next = clear + 2;
                        size = bits + 1;
                        mask = (1 << size) - 1;
                        state = 2;
                    }
                    continue;
                }
                if (c == end) {
                    // PIL returns, reads again and goes on with the bytes that follow
                    if (!read()) {
                        throw truncated();
                    }
                    continue;
                }
                int length;
                int from;
                if (state == 2) {
                    if (c > clear) {
                        throw corrupt("its first frame's LZW data is broken (code " + c
                                + " after a clear)");
                    }
                    lastData = c;
                    lastCode = c;
                    state = 3;
                    string[TABLE - 1] = (byte) c;
                    from = TABLE - 1;
                    length = 1;
                } else {
                    int thisCode = c;
                    if (c > next) {
                        throw corrupt("its first frame's LZW data is broken (code " + c
                                + " past the table's end)");
                    }
                    from = TABLE;
                    if (c == next) {
                        string[--from] = (byte) lastData;
                        c = lastCode;
                    }
                    while (c >= clear) {
                        if (from <= 0 || c >= TABLE) {
                            throw corrupt("its first frame's LZW data is broken");
                        }
                        string[--from] = data[c];
                        c = link[c];
                    }
                    lastData = c;
                    if (from <= 0) {
                        throw corrupt("its first frame's LZW data is broken");
                    }
                    string[--from] = (byte) c;
                    if (next < TABLE) {
                        data[next] = (byte) c;
                        link[next] = (short) lastCode;
                        if (next == mask && size < MAX_BITS) {
                            size++;
                            mask = (1 << size) - 1;
                        }
                        next++;
                    }
                    lastCode = thisCode;
                    length = TABLE - from;
                }
                for (int i = 0; i < length; i++) {
                    image[(y0 + y) * stride + x0 + x] = string[from + i];
                    if (++x >= w) {
                        x = 0;
                        y += step;
                        while (y >= h) {
                            switch (pass) {
                                case 1 -> {
                                    y = 4;
                                    pass = 2;
                                }
                                case 2 -> {
                                    step = 4;
                                    y = 2;
                                    pass = 3;
                                }
                                case 3 -> {
                                    step = 2;
                                    y = 1;
                                    pass = 0;
                                }
                                default -> {
                                    return; // the frame is full: PIL stops here
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static DecodeException truncated() {
        return new DecodeException(DecodeException.Reason.CORRUPT, "The GIF file is truncated "
                + "(its first frame's data ends before the frame is full); send the whole file");
    }

    private static DecodeException corrupt(String what) {
        return new DecodeException(DecodeException.Reason.CORRUPT, "The GIF image is damaged: "
                + what + "; open it in an image viewer, re-save it, and send it again");
    }

    private static int u16(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "GifImage[" + width + "x" + height + ", first frame " + frameWidth + "x"
                + frameHeight + " at " + left + "," + top + (interlaced ? " interlaced" : "")
                + (transparency >= 0 ? " transparent " + transparency : "") + "]";
    }
}
