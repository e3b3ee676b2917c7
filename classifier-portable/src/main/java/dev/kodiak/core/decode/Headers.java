package dev.kodiak.core.decode;

import java.nio.charset.StandardCharsets;

/**
 * Reads what the decoder needs from container headers without decoding pixels: JPEG markers
 * (JFIF, Adobe transform, components, EXIF), WebP chunks and the EXIF orientation tag. Every
 * read is bounds-checked: hostile headers give "none".
 */
final class Headers {
    /**
     * What libjpeg looks at to choose a JPEG's colour space, plus its EXIF block, the frame's
     * size (0 x 0 when no frame header was found) and whether its frame is arithmetic-coded.
     */
    record Jpeg(boolean jfif, int adobeTransform, int[] componentIds, byte[] exif, int width,
            int height, boolean arithmetic) {
        /** @return true when the 3 components are YCbCr, by libjpeg's own rules */
        boolean isYCbCr() {
            if (componentIds.length != 3) {
                return false;
            }
            if (jfif) {
                return true;
            }
            if (adobeTransform >= 0) {
                return adobeTransform != 0;
            }
            return !(componentIds[0] == 'R' && componentIds[1] == 'G' && componentIds[2] == 'B');
        }

        /** @return true when the 4 components are YCCK, by libjpeg's own rules */
        boolean isYcck() {
            return componentIds.length == 4 && adobeTransform >= 0 && adobeTransform != 0;
        }
    }

    private Headers() {
    }

    static Jpeg jpeg(byte[] b) {
        boolean jfif = false;
        int adobe = -1;
        int[] ids = new int[0];
        byte[] exif = null;
        int width = 0;
        int height = 0;
        boolean arithmetic = false;
        int i = 2;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xFF) != 0xFF) {
                break;
            }
            int marker = b[i + 1] & 0xFF;
            if (marker == 0xFF) {
                i++;
                continue;
            }
            if (marker == 0xD8 || marker >= 0xD0 && marker <= 0xD7 || marker == 0x01) {
                i += 2;
                continue;
            }
            if (marker == 0xD9 || marker == 0xDA) {
                break;
            }
            int length = u16be(b, i + 2);
            int start = i + 4;
            int end = i + 2 + length;
            if (length < 2 || end > b.length) {
                break;
            }
            if (marker == 0xE0 && matches(b, start, end, "JFIF\0")) {
                jfif = true;
            } else if (marker == 0xE1 && exif == null && matches(b, start, end, "Exif\0\0")) {
                exif = java.util.Arrays.copyOfRange(b, start + 6, end);
            } else if (marker == 0xEE && matches(b, start, end, "Adobe") && end - start >= 12) {
                adobe = b[start + 11] & 0xFF;
            } else if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8
                    && marker != 0xCC && end - start >= 6) {
                height = u16be(b, start + 1);
                width = u16be(b, start + 3);
                arithmetic = marker >= 0xC9; // SOF9 to SOF15 (DAC, 0xCC, is skipped above)
                int n = b[start + 5] & 0xFF;
                if (end - start >= 6 + 3 * n) {
                    ids = new int[n];
                    for (int c = 0; c < n; c++) {
                        ids[c] = b[start + 6 + 3 * c] & 0xFF;
                    }
                }
            }
            i = end;
        }
        return new Jpeg(jfif, adobe, ids, exif, width, height, arithmetic);
    }

    /**
     * Whether an EOI marker (FF D9) follows the first scan's header. Entropy-coded data never
     * holds FF D9 (an FF there is followed by 00 or a restart marker), so a JPEG without one is
     * cut short, whatever warning a decoder gave first: libjpeg reports only its first warning,
     * and a damaged file may warn about something else before its data runs out.
     */
    static boolean jpegHasEndAfterScan(byte[] b) {
        // skip the segments before the first scan (an EXIF thumbnail has an EOI of its own)
        int i = 2;
        while (i + 4 <= b.length && (b[i] & 0xFF) == 0xFF) {
            int marker = b[i + 1] & 0xFF;
            if (marker == 0xFF) {
                i++;
            } else if (marker == 0xD8 || marker >= 0xD0 && marker <= 0xD7 || marker == 0x01) {
                i += 2;
            } else if (marker == 0xD9 || marker == 0xDA) {
                break;
            } else {
                i += 2 + u16be(b, i + 2);
            }
        }
        for (int j = i; j + 1 < b.length; j++) {
            if (b[j] == (byte) 0xFF && b[j + 1] == (byte) 0xD9) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a RIFF (WebP) file holds all the bytes its header announces. TwelveMonkeys decodes
     * a cut WebP without complaint, so truncation is checked here.
     */
    static boolean webpComplete(byte[] b) {
        return b.length >= 12 && u32le(b, 4) + 8 <= b.length;
    }

    /**
     * A lossy frame of an extended WebP that is larger than the canvas its VP8X chunk declares,
     * at the top level or inside an animation frame. The reader sizes the image by the canvas,
     * but TwelveMonkeys decodes each VP8 frame by its own header, so a 16x12 canvas holding a
     * frame that claims 16201x16254 pixels allocated 111 MB past every size check (found by
     * fuzzing). libwebp refuses such files too.
     *
     * @return {frame width, frame height, canvas width, canvas height, frame x, frame y} of the
     *     first such frame, or null when there is none (or no VP8X chunk, where the frame is the
     *     canvas)
     */
    static int[] webpFrameOutsideCanvas(byte[] b) {
        if (b.length < 30 || !matches(b, 12, 16, "VP8X") || u32le(b, 16) < 10) {
            return null;
        }
        int canvasWidth = 1 + u24le(b, 24);
        int canvasHeight = 1 + u24le(b, 27);
        return webpFrameOutside(b, 12, b.length, canvasWidth, canvasHeight);
    }

    /** The chunks in [start, end): their VP8 frames, and those inside ANMF chunks. */
    private static int[] webpFrameOutside(byte[] b, int start, int end, int canvasWidth,
            int canvasHeight) {
        int i = start;
        while (i + 8 <= end) {
            long length = u32le(b, i + 4);
            if (length > end - i - 8) {
                length = end - i - 8; // a cut chunk: look at what there is
            }
            int data = i + 8;
            int dataEnd = data + (int) length;
            // the size follows the frame tag and the start code, which TwelveMonkeys skips
            // unchecked, so it is read here whatever those bytes hold, and wherever the chunk
            // ends: TwelveMonkeys reads those ten bytes even from a shorter chunk (found by
            // fuzzing: a 7-byte VP8 chunk "holding" 15468x15325 pixels took 100 MB)
            if (matches(b, i, i + 4, "VP8 ") && data + 10 <= b.length) {
                int width = u16le(b, data + 6) & 0x3FFF;
                int height = u16le(b, data + 8) & 0x3FFF;
                if (width > canvasWidth || height > canvasHeight) {
                    return new int[] {width, height, canvasWidth, canvasHeight, 0, 0};
                }
            } else if (matches(b, i, i + 4, "ANMF") && length >= 16) {
                // an animation frame's rectangle must lie in the canvas, as libwebp's demuxer
                // requires; TwelveMonkeys made the image as large as it reached (found by
                // fuzzing)
                int x = 2 * u24le(b, data);
                int y = 2 * u24le(b, data + 3);
                int width = 1 + u24le(b, data + 6);
                int height = 1 + u24le(b, data + 9);
                if ((long) x + width > canvasWidth || (long) y + height > canvasHeight) {
                    return new int[] {width, height, canvasWidth, canvasHeight, x, y};
                }
                int[] inner = webpFrameOutside(b, data + 16, dataEnd, canvasWidth, canvasHeight);
                if (inner != null) {
                    return inner;
                }
            }
            i = dataEnd + (int) (length & 1);
        }
        return null;
    }

    /**
     * The EXIF chunk of an extended WebP, without an "Exif\0\0" prefix, or null: the first
     * one, and only when the VP8X header announces it, as libwebp's demuxer (PIL's source of
     * {@code info["exif"]}) keeps it; a simple WebP's chunks after the image are not read.
     */
    static byte[] webpExif(byte[] b) {
        if (b.length < 21 || !matches(b, 12, 16, "VP8X") || (b[20] & 0x08) == 0) {
            return null;
        }
        int i = 12;
        while (i + 8 <= b.length) {
            long length = u32le(b, i + 4);
            if (length > b.length - i - 8) {
                return null;
            }
            if (matches(b, i, i + 4, "EXIF")) {
                int start = i + 8;
                int end = start + (int) length;
                if (matches(b, start, end, "Exif\0\0")) {
                    start += 6;
                }
                return java.util.Arrays.copyOfRange(b, start, end);
            }
            i += 8 + (int) (length + (length & 1));
        }
        return null;
    }

    /**
     * The EXIF orientation of an image, from wherever PIL's {@code exif_transpose} finds it in
     * the format: a JPEG's APP1 block, a PNG's {@code eXIf} chunk or text chunks
     * ({@link PngMetadata}), a WebP's {@code EXIF} chunk.
     *
     * @param format the format, sniffed from the bytes
     * @param b the encoded image
     * @return 1 to 8, or 1 when absent or unreadable
     */
    static int orientation(ImageFormat format, byte[] b) {
        return switch (format) {
            case JPEG -> orientation(jpeg(b).exif());
            case PNG -> PngMetadata.orientation(b);
            case WEBP -> orientation(webpExif(b));
            default -> 1;
        };
    }

    /**
     * The orientation tag (0x0112) of IFD0 in a TIFF-structured EXIF block.
     *
     * @return 1 to 8, or 1 when absent or unreadable
     */
    static int orientation(byte[] tiff) {
        int value = orientationTag(tiff);
        return value >= 1 && value <= 8 ? value : 1;
    }

    /**
     * The orientation tag (0x0112) of IFD0 in a TIFF-structured EXIF block, whatever its value:
     * PIL looks elsewhere (a PNG's XMP) only when the tag is absent, not when it is 0 or 9.
     *
     * @param tiff the block, without an "Exif\0\0" prefix, or null
     * @return the tag's value (0 when it is not a SHORT or LONG), or -1 when the block is absent,
     *     unreadable or has no such tag
     */
    static int orientationTag(byte[] tiff) {
        if (tiff == null || tiff.length < 8) {
            return -1;
        }
        boolean little;
        if (tiff[0] == 'I' && tiff[1] == 'I') {
            little = true;
        } else if (tiff[0] == 'M' && tiff[1] == 'M') {
            little = false;
        } else {
            return -1;
        }
        long ifd = little ? u32le(tiff, 4) : u32be(tiff, 4);
        if (ifd < 8 || ifd + 2 > tiff.length) {
            return -1;
        }
        int entries = little ? u16le(tiff, (int) ifd) : u16be(tiff, (int) ifd);
        for (int e = 0; e < entries; e++) {
            int at = (int) ifd + 2 + 12 * e;
            if (at + 12 > tiff.length) {
                return -1;
            }
            int tag = little ? u16le(tiff, at) : u16be(tiff, at);
            if (tag == 0x0112) {
                int type = little ? u16le(tiff, at + 2) : u16be(tiff, at + 2);
                if (type == 3) { // SHORT
                    return little ? u16le(tiff, at + 8) : u16be(tiff, at + 8);
                } else if (type == 4) { // LONG
                    long value = little ? u32le(tiff, at + 8) : u32be(tiff, at + 8);
                    return (int) Math.min(value, Integer.MAX_VALUE);
                }
                return 0;
            }
        }
        return -1;
    }

    private static boolean matches(byte[] b, int start, int end, String ascii) {
        byte[] want = ascii.getBytes(StandardCharsets.ISO_8859_1);
        if (end - start < want.length || start + want.length > b.length) {
            return false;
        }
        for (int i = 0; i < want.length; i++) {
            if (b[start + i] != want[i]) {
                return false;
            }
        }
        return true;
    }

    private static int u16be(byte[] b, int i) {
        return (b[i] & 0xFF) << 8 | b[i + 1] & 0xFF;
    }

    private static int u16le(byte[] b, int i) {
        return (b[i + 1] & 0xFF) << 8 | b[i] & 0xFF;
    }

    private static int u24le(byte[] b, int i) {
        return (b[i + 2] & 0xFF) << 16 | u16le(b, i);
    }

    private static long u32be(byte[] b, int i) {
        return (long) u16be(b, i) << 16 | u16be(b, i + 2);
    }

    private static long u32le(byte[] b, int i) {
        return (long) u16le(b, i + 2) << 16 | u16le(b, i);
    }
}
