package dev.kodiak.core.decode;

/**
 * The heap decoding an image takes at its peak, estimated from its header before any pixel is
 * allocated: what a server reserves from a memory budget before it decodes, so that a few huge
 * uploads cannot exhaust the heap and cheap requests keep being served.
 *
 * <pre>{@code
 * ImageInfo info = decoder.readHeader(bytes);
 * long bytesNeeded = DecodeMemory.estimate(info, bytes);
 * }</pre>
 *
 * <p>The estimate covers the decoder's raster (its samples at their stored depth: a 16-bit RGBA
 * PNG inflates to 8 bytes a pixel; GIFs and BMPs hold a byte of indexes a pixel, JPEGs and
 * WebPs through ImageIO 4 bytes), the converted 8-bit pixels, a rotated copy for EXIF
 * orientations other than 1, and the resize's working rows. It errs high. The native libraries'
 * buffers (TurboJPEG's pixels, libwebp's two canvases of 4 bytes a pixel) are not on the heap and
 * are not counted. Stateless and thread-safe.
 */
public final class DecodeMemory {
    /** Working memory besides the pixel buffers: resize rows, tensor, decoder state. */
    public static final long OVERHEAD = 8L << 20;


    private DecodeMemory() {
    }

    /**
     * Estimates the peak bytes of decoding and preprocessing an image.
     *
     * @param info what {@link ImageDecoder#readHeader(byte[])} read from the header
     * @param image the encoded bytes (PNG headers tell the sample depth)
     * @return bytes, at least {@link #OVERHEAD}
     */
    public static long estimate(ImageInfo info, byte[] image) {
        long raster = switch (info.format()) {
            case PNG -> pngBytesPerPixel(image);
            case JPEG -> 4; // up to four 8-bit components
            default -> 4; // WebP through ImageIO: 32-bit pixels; GIF, BMP indexes (errs high)
        };
        long converted = 3;
        long rotated = info.orientation() > 1 ? 3 : 0;
        return info.pixels() * (raster + converted + rotated) + OVERHEAD;
    }

    /**
     * Estimates the peak bytes of decoding a JPEG from its frame header alone, for a JPEG whose
     * header ImageIO cannot read but libjpeg-turbo may still decode (it forgives more).
     *
     * @param image the encoded bytes
     * @return bytes, or 0 when the bytes hold no JPEG frame header
     */
    public static long estimateJpegFrame(byte[] image) {
        if (ImageFormat.sniff(image) != ImageFormat.JPEG) {
            return 0;
        }
        Headers.Jpeg header = Headers.jpeg(image);
        long pixels = (long) header.width() * header.height();
        return pixels == 0 ? 0 : pixels * (4 + 3 + 3) + OVERHEAD;
    }

    /** Samples per pixel times bytes per sample, from the IHDR chunk. */
    private static long pngBytesPerPixel(byte[] b) {
        if (b.length < 26) {
            return 8;
        }
        int depth = b[24] & 0xFF;
        int channels = switch (b[25] & 0xFF) {
            case 0, 3 -> 1; // gray, palette indices
            case 2 -> 3;
            case 4 -> 2;
            default -> 4; // RGBA, or unknown: the largest
        };
        return (long) channels * (depth > 8 ? 2 : 1) + ((b[25] & 0xFF) == 3 ? 3 : 0);
    }
}
