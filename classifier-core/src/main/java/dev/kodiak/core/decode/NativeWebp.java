package dev.kodiak.core.decode;

/**
 * What {@link ImageDecoder} needs from libwebp, the library PIL decodes WebPs with: the canvas
 * from the header, then the first frame composed on the canvas as RGBA by libwebp's animation
 * decoder (which PIL uses for every WebP, still or animated), and rows of it copied out. PIL's
 * rules (alpha dropped, "L"), the EXIF orientation, limits and messages stay in Java.
 *
 * <p>The one implementation, {@code LibWebp}, calls Debian's {@code libwebpdemux.so.2} (and
 * through it {@code libwebp.so.7}) through the FFM API, final only in Java 22; it is compiled
 * from {@code src/main/java22} and loaded by reflection ({@link WebpDecoderChoice}), as
 * {@link NativeJpeg}'s is.
 *
 * <p>Implementations are immutable and thread-safe; each {@link Image} holds native memory,
 * belongs to the thread that opened it, and must be closed.
 */
interface NativeWebp {
    /**
     * Says what the library is, for logs.
     *
     * @return for example {@code "libwebpdemux.so.2 (libwebp 1.2.4) through the FFM API"}
     */
    String describe();

    /**
     * Reads the header ({@code WebPGetFeatures}), copying the bytes to native memory for the
     * decode that may follow. Allocates nothing in proportion to the image's size.
     *
     * @param webp the encoded image
     * @return the open image; close it
     * @throws Failure if libwebp cannot read the header
     */
    Image open(byte[] webp) throws Failure;

    /** One WebP between its header and its pixels. */
    interface Image extends AutoCloseable {
        /** @return the canvas width, at least 1 */
        int width();

        /** @return the canvas height, at least 1 */
        int height();

        /** @return whether the header announces an animation */
        boolean animated();

        /**
         * Decodes the first frame onto the canvas ({@code width * height * 4} bytes of RGBA
         * in native memory, twice over inside libwebp, which the caller has checked against its
         * limits first): {@code WebPAnimDecoderNew} with PIL's options (none: RGBA, no
         * threads), then {@code WebPAnimDecoderGetNext}.
         *
         * @throws Failure if the data cannot be decoded
         */
        void decode() throws Failure;

        /**
         * Copies decoded RGBA rows out of native memory.
         *
         * @param firstRow the first row
         * @param rows how many rows
         * @param dst where to copy them, {@code rows * width * 4} bytes
         * @param offset index in {@code dst} of the first byte
         * @throws IllegalStateException if {@link #decode()} has not succeeded
         * @throws IndexOutOfBoundsException if the rows or {@code dst} are out of bounds
         */
        void copyRows(int firstRow, int rows, byte[] dst, int offset);

        /** Frees the native memory and the library's decoder. */
        @Override
        void close();
    }

    /** libwebp refused the data: its own words, or the status it returned. */
    final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        /**
         * Creates a failure.
         *
         * @param message what libwebp said
         */
        Failure(String message) {
            super(message);
        }
    }
}
