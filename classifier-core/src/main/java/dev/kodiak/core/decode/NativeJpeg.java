package dev.kodiak.core.decode;

/**
 * What {@link ImageDecoder} needs from a native JPEG library: read a header, decode the whole
 * image into native memory in one of three layouts, and copy rows of it out. Colour rules (PIL's
 * CMYK and "L" conversions), EXIF orientation, limits and error messages stay in Java, the same
 * for every decoder.
 *
 * <p>The one implementation, {@code TurboJpeg}, calls libjpeg-turbo through the FFM API, final
 * only in Java 22; it is compiled from {@code src/main/java22} and loaded by reflection
 * ({@link JpegDecoderChoice}), so that nothing compiled for Java 21, or by TeaVM, refers to it.
 *
 * <p>Implementations are immutable and thread-safe; each {@link Image} holds native memory,
 * belongs to the thread that opened it, and must be closed.
 */
interface NativeJpeg {
    /** Layouts the decoded pixels can take, interleaved, rows top to bottom. */
    enum Layout {
        /** R, G, B: libjpeg's YCbCr (or RGB) to RGB, or gray replicated. */
        RGB(3),
        /** One gray value: only for grayscale JPEGs. */
        GRAY(1),
        /** C, M, Y, K as libjpeg stores them (YCCK converted), for 4-component JPEGs. */
        CMYK(4);

        private final int bytes;

        Layout(int bytes) {
            this.bytes = bytes;
        }

        /** @return bytes per pixel */
        int bytes() {
            return bytes;
        }
    }

    /** The colour space of the stored components, as libjpeg reads it from the markers. */
    enum ColorSpace {
        /** Three components, stored as RGB (Adobe transform 0, or component ids R G B). */
        RGB,
        /** Three components, YCbCr: nearly every photo. */
        YCBCR,
        /** One component. */
        GRAY,
        /** Four components, stored as CMYK. */
        CMYK,
        /** Four components, YCCK (Adobe transform 2). */
        YCCK
    }

    /**
     * Says what the library is, for logs.
     *
     * @return for example {@code "libturbojpeg.so.0 through the FFM API"}
     */
    String describe();

    /**
     * Reads the header of a JPEG, copying the bytes to native memory for the decode that may
     * follow. Allocates nothing in proportion to the image size.
     *
     * @param jpeg the encoded image
     * @return the open image; close it
     * @throws Failure if the library cannot read the header
     */
    Image open(byte[] jpeg) throws Failure;

    /** One JPEG between its header and its pixels. */
    interface Image extends AutoCloseable {
        /** @return stored width in pixels, at least 1 */
        int width();

        /** @return stored height in pixels, at least 1 */
        int height();

        /** @return the colour space of the stored components */
        ColorSpace colorSpace();

        /** @return the library's warning while reading the header, or null */
        String headerWarning();

        /**
         * Decodes the whole image into native memory ({@code width * height *
         * layout.bytes()} bytes, which the caller has checked against its limits first) with
         * libjpeg's default, PIL's: accurate integer IDCT and fancy upsampling.
         *
         * @param layout the pixel layout wanted
         * @return the library's first warning (the image was decoded anyway), or null
         * @throws Failure if the data cannot be decoded
         */
        String decode(Layout layout) throws Failure;

        /**
         * Copies decoded rows out of native memory.
         *
         * @param firstRow the first row
         * @param rows how many rows
         * @param dst where to copy them, {@code rows * width * layout.bytes()} bytes
         * @param offset index in {@code dst} of the first byte
         * @throws IllegalStateException if {@link #decode(Layout)} has not succeeded
         * @throws IndexOutOfBoundsException if the rows or {@code dst} are out of bounds
         */
        void copyRows(int firstRow, int rows, byte[] dst, int offset);

        /** Frees the native memory and the library's handle. */
        @Override
        void close();
    }

    /** The library refused the data, or could not start: its own message. */
    final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        /** Whether the data may be a valid JPEG that only this library cannot take. */
        private final boolean unsupported;

        /**
         * Creates a failure.
         *
         * @param message the library's message
         * @param unsupported true when another decoder may still read the data (an unusual
         *     chroma subsampling, say), false when the data is damaged
         */
        Failure(String message, boolean unsupported) {
            super(message);
            this.unsupported = unsupported;
        }

        /** @return true when another decoder should try, false when the data is damaged */
        boolean unsupported() {
            return unsupported;
        }
    }
}
