package dev.kodiak.core.decode;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** The image formats Kodiak decodes, recognised by their first bytes, never by file name. */
public enum ImageFormat {
    /** JPEG/JFIF/EXIF, baseline or progressive, gray, YCbCr, CMYK or YCCK. */
    JPEG("image/jpeg"),
    /** PNG, 1 to 16 bits, gray, RGB, palette, with or without alpha. */
    PNG("image/png"),
    /** GIF; the first frame of an animation. */
    GIF("image/gif"),
    /** Windows bitmap. */
    BMP("image/bmp"),
    /** WebP, lossy or lossless, with or without alpha. */
    WEBP("image/webp");

    private final String mediaType;

    ImageFormat(String mediaType) {
        this.mediaType = mediaType;
    }

    /**
     * Returns the IANA media type.
     *
     * @return for example {@code image/jpeg}
     */
    public String mediaType() {
        return mediaType;
    }

    /**
     * Recognises a supported format from the first bytes.
     *
     * @param b the file's bytes (at least the first 12 are looked at)
     * @return the format, or null if the bytes start like none of them
     */
    public static ImageFormat sniff(byte[] b) {
        if (startsWith(b, 0, 0xFF, 0xD8, 0xFF)) {
            return JPEG;
        }
        if (startsWith(b, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return PNG;
        }
        if (startsWith(b, 0, 'G', 'I', 'F', '8') && b.length > 5 && (b[4] == '7' || b[4] == '9')
                && b[5] == 'a') {
            return GIF;
        }
        if (startsWith(b, 0, 'B', 'M') && b.length >= 26) {
            return BMP;
        }
        if (startsWith(b, 0, 'R', 'I', 'F', 'F') && startsWith(b, 8, 'W', 'E', 'B', 'P')) {
            return WEBP;
        }
        return null;
    }

    /**
     * Names a known but unsupported format, to make the error message useful.
     *
     * @param b the file's bytes
     * @return a name such as "SVG" or "HEIC", or null if the bytes look like no image format
     */
    static String sniffUnsupported(byte[] b) {
        if (startsWith(b, 0, 'I', 'I', 0x2A, 0x00) || startsWith(b, 0, 'M', 'M', 0x00, 0x2A)) {
            return "TIFF";
        }
        if (startsWith(b, 4, 'f', 't', 'y', 'p') && b.length >= 12) {
            String brand = new String(b, 8, 4, StandardCharsets.ISO_8859_1);
            if (brand.startsWith("avi")) {
                return "AVIF";
            }
            if (brand.startsWith("hei") || brand.startsWith("mif") || brand.startsWith("hev")) {
                return "HEIC";
            }
            return null;
        }
        if (startsWith(b, 0, 0x00, 0x00, 0x01, 0x00)) {
            return "ICO";
        }
        if (startsWith(b, 0, '%', 'P', 'D', 'F')) {
            return "PDF";
        }
        if (startsWith(b, 0, 0xFF, 0x4F, 0xFF, 0x51)
                || startsWith(b, 4, 'j', 'P', ' ', ' ')) {
            return "JPEG 2000";
        }
        String head = new String(b, 0, Math.min(b.length, 512), StandardCharsets.ISO_8859_1)
                .toLowerCase(Locale.ROOT);
        if (head.contains("<svg")) {
            return "SVG";
        }
        return null;
    }

    private static boolean startsWith(byte[] b, int offset, int... prefix) {
        if (b.length < offset + prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((b[offset + i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
