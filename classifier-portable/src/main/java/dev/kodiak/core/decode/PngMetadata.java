package dev.kodiak.core.decode;

/**
 * Where PIL 9.4's {@code exif_transpose} finds a PNG's orientation, read as PIL reads it. PIL
 * keeps the chunks it reads in {@code info}, a later chunk replacing an earlier one of the same
 * key, and {@code Image.getexif} then looks in this order:
 * <ol>
 * <li>{@code info["exif"]}: an {@code eXIf} chunk, or a {@code tEXt} chunk with the key
 *     {@code exif};</li>
 * <li>else ImageMagick's {@code "Raw profile type exif"} text chunk ({@code tEXt}, {@code zTXt}
 *     or {@code iTXt}): hex after its first three lines;</li>
 * <li>and, when neither holds an orientation tag, the first {@code tiff:Orientation="d"} or
 *     {@code tiff:Orientation>d} in an {@code XML:com.adobe.xmp} text chunk (XMP).</li>
 * </ol>
 * When an {@code exif} chunk comes before the image data, PIL answers from the chunks before the
 * image data alone; otherwise it reads the file to its end first ({@code IEND}, or the next
 * frame of an animated PNG), so chunks after the image data count. Text PIL would not decode
 * (an {@code iTXt} that is not UTF-8, a compression method other than 0) does not count; a
 * compressed text inflating to more than PIL's 1 MB is not read, nor any text after 64 MB of it
 * (PIL refuses such files). Stateless.
 */
final class PngMetadata {
    /** PIL's MAX_TEXT_CHUNK (ImageFile.SAFEBLOCK): a text chunk may inflate to 1 MB. */
    private static final int MAX_TEXT = 1 << 20;
    /** PIL's MAX_TEXT_MEMORY: past 64 MB of text PIL refuses the file, and no more is read. */
    private static final long MAX_TEXT_MEMORY = 64L << 20;
    private static final String EXIF = "exif";
    private static final String RAW_PROFILE = "Raw profile type exif";
    private static final String XMP = "XML:com.adobe.xmp";

    /** What PIL's info holds of the keys that matter, at one point of the file. */
    private byte[] exif;
    private byte[] rawProfile;
    private byte[] xmp;
    /** Text read so far, inflated: the work a file full of compressed text can ask for. */
    private long textMemory;

    private PngMetadata() {
    }

    /**
     * The orientation {@code exif_transpose} applies to a PNG.
     *
     * @param file the whole file, starting with the PNG signature
     * @return 1 (none, also when nothing says) to 8
     */
    static int orientation(byte[] file) {
        PngMetadata info = new PngMetadata();
        boolean animated = false;
        boolean imageSeen = false;
        int at = 8;
        while (at + 8 <= file.length) {
            long length = u32(file, at);
            if (length > file.length - at - 8L) {
                break; // cut: PIL cannot read it either
            }
            String type = type(file, at + 4);
            int start = at + 8;
            int end = start + (int) length;
            if (type.equals("IDAT") && !imageSeen) {
                imageSeen = true;
                if (info.exif != null) {
                    // PIL's getexif does not load the image when "exif" is already known
                    return info.orientationNow();
                }
            }
            if (type.equals("IEND") || imageSeen && animated && type.equals("fcTL")) {
                break;
            }
            if (type.equals("acTL") && length >= 8) {
                long frames = u32(file, start);
                animated = frames > 1 && frames <= 0x80000000L;
            }
            info.read(type, file, start, end);
            at = end + 4;
        }
        return info.orientationNow();
    }

    /**
     * One chunk, as PngStream's chunk handlers store it in info; only the keys that can carry
     * an orientation are kept (and inflated).
     */
    private void read(String type, byte[] b, int start, int end) {
        if (textMemory > MAX_TEXT_MEMORY) {
            return;
        }
        switch (type) {
            case "eXIf" -> exif = concat("Exif\0\0", b, start, end);
            case "tEXt" -> {
                int zero = indexOf(b, start, end);
                int keyEnd = zero < 0 ? end : zero;
                String key = latin1(b, start, keyEnd);
                textMemory += end - keyEnd;
                if (matters(key)) {
                    store(key, zero < 0 ? new byte[0]
                            : java.util.Arrays.copyOfRange(b, zero + 1, end), true);
                }
            }
            case "zTXt" -> {
                int zero = indexOf(b, start, end);
                int keyEnd = zero < 0 ? end : zero;
                int method = zero < 0 || zero + 1 >= end ? 0 : b[zero + 1] & 0xFF;
                String key = latin1(b, start, keyEnd);
                if (method != 0 || !matters(key)) {
                    return; // (PIL refuses a file with another method)
                }
                byte[] value;
                try {
                    value = zero < 0 ? new byte[0] : Inflate.zlib(b, zero + 2, end, MAX_TEXT);
                } catch (Inflate.Failure e) {
                    value = new byte[0]; // PIL: zlib.error gives "", too large refuses the file
                }
                textMemory += value.length;
                store(key, value, false);
            }
            case "iTXt" -> readInternational(b, start, end);
            default -> {
                // no other chunk puts these keys in info
            }
        }
    }

    /** iTXt: keyword, flag, method, language, translated keyword, text; all or nothing. */
    private void readInternational(byte[] b, int start, int end) {
        int keyEnd = indexOf(b, start, end);
        if (keyEnd < 0 || end - (keyEnd + 1) < 2) {
            return;
        }
        boolean compressed = b[keyEnd + 1] != 0;
        int method = b[keyEnd + 2] & 0xFF;
        int languageEnd = indexOf(b, keyEnd + 3, end);
        int translatedEnd = languageEnd < 0 ? -1 : indexOf(b, languageEnd + 1, end);
        String key = latin1(b, start, keyEnd);
        if (translatedEnd < 0 || !matters(key)) {
            return;
        }
        byte[] text;
        if (compressed) {
            if (method != 0) {
                return;
            }
            try {
                text = Inflate.zlib(b, translatedEnd + 1, end, MAX_TEXT);
            } catch (Inflate.Failure e) {
                return;
            }
        } else {
            text = java.util.Arrays.copyOfRange(b, translatedEnd + 1, end);
        }
        textMemory += text.length;
        if (!utf8(b, keyEnd + 3, languageEnd) || !utf8(b, languageEnd + 1, translatedEnd)
                || !utf8(text, 0, text.length)) {
            return;
        }
        store(key, text, false);
    }

    private static boolean matters(String key) {
        return key.equals(EXIF) || key.equals(RAW_PROFILE) || key.equals(XMP);
    }

    private void store(String key, byte[] value, boolean plain) {
        switch (key) {
            // only tEXt keeps "exif" as bytes; PIL fails on the text of other chunks there
            case EXIF -> exif = plain ? value : null;
            case RAW_PROFILE -> rawProfile = value;
            case XMP -> xmp = value;
            default -> {
                // not about orientation
            }
        }
    }

    /** Image.getexif, then exif_transpose's choice, on what info holds now. */
    private int orientationNow() {
        byte[] block = exif;
        if (block == null && rawProfile != null) {
            block = rawProfileBytes(rawProfile);
        }
        int tag = -1;
        if (block != null) {
            int from = startsWith(block, "Exif\0\0") ? 6 : 0;
            tag = Headers.orientationTag(java.util.Arrays.copyOfRange(block, from, block.length));
        }
        if (tag < 0 && xmp != null) {
            tag = xmpOrientation(xmp);
        }
        return tag >= 1 && tag <= 8 ? tag : 1;
    }

    /**
     * {@code bytes.fromhex("".join(text.split("\n")[3:]))}: the hex after the profile's name
     * and length lines, whitespace between bytes ignored.
     *
     * @return the bytes, or null when the text is not such hex (PIL fails on the file)
     */
    static byte[] rawProfileBytes(byte[] text) {
        int newlines = 0;
        int from = 0;
        while (from < text.length && newlines < 3) {
            if (text[from++] == '\n') {
                newlines++;
            }
        }
        // the lines after the third, joined: every newline goes
        byte[] joined = new byte[text.length - from];
        int length = 0;
        for (int i = from; i < text.length; i++) {
            if (text[i] != '\n') {
                joined[length++] = text[i];
            }
        }
        byte[] out = new byte[length / 2];
        int n = 0;
        int i = 0;
        while (i < length) {
            int c = joined[i] & 0xFF;
            if (c == ' ' || c == '\t' || c == '\r' || c == 0x0B || c == 0x0C) {
                i++; // whitespace before a byte's two digits, not between them
                continue;
            }
            int high = hex(c);
            int low = i + 1 < length ? hex(joined[i + 1] & 0xFF) : -1;
            if (high < 0 || low < 0) {
                return null;
            }
            out[n++] = (byte) (high << 4 | low);
            i += 2;
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /**
     * PIL's {@code re.search(r'tiff:Orientation(="|>)([0-9])', xmp)}.
     *
     * @return the digit, or -1 when nothing matches
     */
    static int xmpOrientation(byte[] xmp) {
        byte[] name = "tiff:Orientation".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i + name.length < xmp.length; i++) {
            boolean match = true;
            for (int j = 0; j < name.length && match; j++) {
                match = xmp[i + j] == name[j];
            }
            if (!match) {
                continue;
            }
            int at = i + name.length;
            if (xmp[at] == '>') {
                at += 1;
            } else if (xmp[at] == '=' && at + 1 < xmp.length && xmp[at + 1] == '"') {
                at += 2;
            } else {
                continue;
            }
            if (at < xmp.length && xmp[at] >= '0' && xmp[at] <= '9') {
                return xmp[at] - '0';
            }
        }
        return -1;
    }

    /** Whether {@code b[start, end)} is strict UTF-8, as Python decodes it. */
    static boolean utf8(byte[] b, int start, int end) {
        int i = start;
        while (i < end) {
            int c = b[i] & 0xFF;
            int more;
            int min;
            if (c < 0x80) {
                i++;
                continue;
            } else if (c >= 0xC2 && c <= 0xDF) {
                more = 1;
                min = 0x80;
            } else if (c >= 0xE0 && c <= 0xEF) {
                more = 2;
                min = 0x800;
            } else if (c >= 0xF0 && c <= 0xF4) {
                more = 3;
                min = 0x10000;
            } else {
                return false;
            }
            if (end - i <= more) {
                return false;
            }
            int code = c & (0x3F >> more);
            for (int k = 1; k <= more; k++) {
                int next = b[i + k] & 0xFF;
                if ((next & 0xC0) != 0x80) {
                    return false;
                }
                code = code << 6 | next & 0x3F;
            }
            if (code < min || code > 0x10FFFF || code >= 0xD800 && code <= 0xDFFF) {
                return false;
            }
            i += more + 1;
        }
        return true;
    }

    private static int hex(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static byte[] concat(String prefix, byte[] b, int start, int end) {
        byte[] out = new byte[prefix.length() + end - start];
        for (int i = 0; i < prefix.length(); i++) {
            out[i] = (byte) prefix.charAt(i);
        }
        System.arraycopy(b, start, out, prefix.length(), end - start);
        return out;
    }

    private static boolean startsWith(byte[] b, String prefix) {
        if (b.length < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (b[i] != (byte) prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] b, int start, int end) {
        for (int i = start; i < end; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    private static String latin1(byte[] b, int start, int end) {
        char[] chars = new char[end - start];
        for (int i = start; i < end; i++) {
            chars[i - start] = (char) (b[i] & 0xFF);
        }
        return new String(chars);
    }

    private static String type(byte[] b, int at) {
        return new String(new char[] {(char) (b[at] & 0xFF), (char) (b[at + 1] & 0xFF),
            (char) (b[at + 2] & 0xFF), (char) (b[at + 3] & 0xFF)});
    }

    private static long u32(byte[] b, int i) {
        return (long) (b[i] & 0xFF) << 24 | (b[i + 1] & 0xFF) << 16 | (b[i + 2] & 0xFF) << 8
                | b[i + 3] & 0xFF;
    }
}
