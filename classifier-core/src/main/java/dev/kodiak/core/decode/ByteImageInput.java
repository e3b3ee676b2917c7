package dev.kodiak.core.decode;

import java.io.IOException;
import java.util.Objects;
import javax.imageio.IIOException;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * The encoded bytes as ImageIO reads them, with one rule of ours: a decoder that keeps reading
 * after the end of the data is stopped with an {@link IIOException} after
 * {@link #MAX_READS_PAST_END} tries.
 *
 * <p>ImageIO's readers signal the end with {@link java.io.EOFException}, and some catch it and
 * carry on with zero bits: TwelveMonkeys' WebP lossless decoder (3.14) did, and a fuzzed 289-byte
 * WebP whose Huffman codes asked for more bits than the file holds kept it busy for 35 seconds,
 * one exception per byte it wished it had. A complete image never reads past its end more than
 * a few times, so a truncated or damaged one becomes a {@code CORRUPT} error at once. An
 * exception of another type is not swallowed by such a reader.
 *
 * <p>Reads the array in place, without the copy a {@code MemoryCacheImageInputStream} keeps.
 * Not thread-safe, as no image input stream is.
 */
final class ByteImageInput extends ImageInputStreamImpl {
    /** How many reads past the end a decoder gets before the stream refuses. */
    static final int MAX_READS_PAST_END = 1024;

    private final byte[] bytes;
    private int readsPastEnd;

    /**
     * Wraps bytes, without copying them.
     *
     * @param bytes the encoded image
     */
    ByteImageInput(byte[] bytes) {
        this.bytes = Objects.requireNonNull(bytes, "bytes");
    }

    @Override
    public int read() throws IOException {
        checkClosed();
        bitOffset = 0;
        if (streamPos >= bytes.length) {
            pastEnd();
            return -1;
        }
        return bytes[(int) streamPos++] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        checkClosed();
        Objects.checkFromIndexSize(off, len, b.length);
        bitOffset = 0;
        if (len == 0) {
            return 0;
        }
        if (streamPos >= bytes.length) {
            pastEnd();
            return -1;
        }
        int n = (int) Math.min(len, bytes.length - streamPos);
        System.arraycopy(bytes, (int) streamPos, b, off, n);
        streamPos += n;
        return n;
    }

    @Override
    public long length() {
        return bytes.length;
    }

    private void pastEnd() throws IIOException {
        if (++readsPastEnd > MAX_READS_PAST_END) {
            throw new IIOException("the decoder kept reading past the end of the "
                    + bytes.length + " bytes: the image data ends before the image does");
        }
    }
}
