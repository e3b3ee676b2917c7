package dev.kodiak.core.decode;

/**
 * A small zlib inflater (RFC 1950 and 1951) in pure Java, for the few compressed text chunks of a
 * PNG that change the pixels PIL hands over (an EXIF block or XMP packet carrying the
 * orientation), so that {@link PngImage#read(byte[])} can read them in the browser too, where no
 * synchronous inflater exists. Image data goes through the platform's inflater instead, which is
 * faster. The Adler-32 checksum is not checked (PIL stops reading before it, as the image data's
 * reader does). Stateless.
 */
final class Inflate {
    private static final int[] LENGTH_BASE = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23,
        27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    private static final int[] LENGTH_EXTRA = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3,
        3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    private static final int[] DISTANCE_BASE = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97,
        129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385,
        24577};
    private static final int[] DISTANCE_EXTRA = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
        7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    /** The order in which code length code lengths are stored. */
    private static final int[] CODE_LENGTH_ORDER = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12,
        3, 13, 2, 14, 1, 15};

    /** The data is not a zlib stream this inflater can finish. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message);
        }
    }

    private final byte[] in;
    private final int end;
    private int at;
    private int bits;
    private int bitCount;
    private byte[] out;
    private int size;
    private final int max;

    private Inflate(byte[] in, int start, int end, int max) {
        this.in = in;
        this.at = start;
        this.end = end;
        this.max = max;
        this.out = new byte[Math.min(max, Math.max(64, (end - start) * 4))];
    }

    /**
     * Inflates a zlib stream.
     *
     * @param data the bytes holding it
     * @param start the index of its first byte
     * @param end the index after its last byte
     * @param max the most bytes it may inflate to
     * @return the inflated bytes
     * @throws Failure if the stream is damaged, cut short, or inflates to more than {@code max}
     */
    static byte[] zlib(byte[] data, int start, int end, int max) throws Failure {
        if (end - start < 2) {
            throw new Failure("no zlib header");
        }
        int cmf = data[start] & 0xFF;
        int flags = data[start + 1] & 0xFF;
        if ((cmf & 0x0F) != 8 || (cmf << 8 | flags) % 31 != 0 || (flags & 0x20) != 0) {
            throw new Failure("not a zlib stream of deflate data");
        }
        Inflate inflate = new Inflate(data, start + 2, end, max);
        inflate.blocks();
        return java.util.Arrays.copyOf(inflate.out, inflate.size);
    }

    private void blocks() throws Failure {
        boolean last;
        do {
            last = bits(1) == 1;
            switch (bits(2)) {
                case 0 -> stored();
                case 1 -> codes(Huffman.FIXED_LITERALS, Huffman.FIXED_DISTANCES);
                case 2 -> dynamic();
                default -> throw new Failure("a block of unknown type");
            }
        } while (!last);
    }

    private int bits(int n) throws Failure {
        while (bitCount < n) {
            if (at >= end) {
                throw new Failure("the stream is cut short");
            }
            bits |= (in[at++] & 0xFF) << bitCount;
            bitCount += 8;
        }
        int v = bits & ((1 << n) - 1);
        bits >>>= n;
        bitCount -= n;
        return v;
    }

    private void stored() throws Failure {
        bits = 0;
        bitCount = 0;
        if (end - at < 4) {
            throw new Failure("the stream is cut short");
        }
        int length = (in[at] & 0xFF) | (in[at + 1] & 0xFF) << 8;
        int check = (in[at + 2] & 0xFF) | (in[at + 3] & 0xFF) << 8;
        at += 4;
        if (length != (~check & 0xFFFF)) {
            throw new Failure("a stored block's length is damaged");
        }
        if (end - at < length) {
            throw new Failure("the stream is cut short");
        }
        for (int i = 0; i < length; i++) {
            put(in[at++]);
        }
    }

    private void dynamic() throws Failure {
        int literals = bits(5) + 257;
        int distances = bits(5) + 1;
        int codeLengths = bits(4) + 4;
        if (literals > 286 || distances > 30) {
            throw new Failure("too many codes");
        }
        int[] lengths = new int[19];
        for (int i = 0; i < codeLengths; i++) {
            lengths[CODE_LENGTH_ORDER[i]] = bits(3);
        }
        Huffman lengthCode = new Huffman(lengths, 19);
        int[] both = new int[literals + distances];
        for (int i = 0; i < both.length;) {
            int symbol = lengthCode.decode(this);
            if (symbol < 16) {
                both[i++] = symbol;
                continue;
            }
            int repeat;
            int value = 0;
            if (symbol == 16) {
                if (i == 0) {
                    throw new Failure("a repeat with nothing before it");
                }
                value = both[i - 1];
                repeat = 3 + bits(2);
            } else if (symbol == 17) {
                repeat = 3 + bits(3);
            } else {
                repeat = 11 + bits(7);
            }
            if (i + repeat > both.length) {
                throw new Failure("code lengths run past their end");
            }
            while (repeat-- > 0) {
                both[i++] = value;
            }
        }
        if (both[256] == 0) {
            throw new Failure("no end-of-block code");
        }
        codes(new Huffman(java.util.Arrays.copyOf(both, literals), literals),
                new Huffman(java.util.Arrays.copyOfRange(both, literals, both.length),
                        distances));
    }

    private void codes(Huffman literal, Huffman distance) throws Failure {
        while (true) {
            int symbol = literal.decode(this);
            if (symbol < 256) {
                put((byte) symbol);
            } else if (symbol == 256) {
                return;
            } else {
                symbol -= 257;
                if (symbol >= 29) {
                    throw new Failure("a length code out of range");
                }
                int length = LENGTH_BASE[symbol] + bits(LENGTH_EXTRA[symbol]);
                int code = distance.decode(this);
                if (code >= 30) {
                    throw new Failure("a distance code out of range");
                }
                int back = DISTANCE_BASE[code] + bits(DISTANCE_EXTRA[code]);
                if (back > size) {
                    throw new Failure("a distance before the start");
                }
                for (int i = 0; i < length; i++) {
                    put(out[size - back]);
                }
            }
        }
    }

    private void put(byte b) throws Failure {
        if (size == out.length) {
            if (size >= max) {
                throw new Failure("it inflates to more than " + max + " bytes");
            }
            out = java.util.Arrays.copyOf(out, (int) Math.min(max, size * 2L));
        }
        out[size++] = b;
    }

    /** A canonical Huffman code, decoded a bit at a time (the data here is small). */
    private static final class Huffman {
        static final Huffman FIXED_LITERALS = fixed(288);
        static final Huffman FIXED_DISTANCES = fixed(30);

        /** How many codes have each length, 0 to 15. */
        private final int[] counts = new int[16];
        /** The symbols, ordered by code. */
        private final int[] symbols;

        Huffman(int[] lengths, int n) throws Failure {
            symbols = new int[n];
            for (int i = 0; i < n; i++) {
                counts[lengths[i]]++;
            }
            counts[0] = 0;
            int left = 1;
            for (int len = 1; len < 16; len++) {
                left = (left << 1) - counts[len];
                if (left < 0) {
                    throw new Failure("an over-subscribed Huffman code");
                }
            }
            int[] offsets = new int[16];
            for (int len = 1; len < 15; len++) {
                offsets[len + 1] = offsets[len] + counts[len];
            }
            for (int i = 0; i < n; i++) {
                if (lengths[i] != 0) {
                    symbols[offsets[lengths[i]]++] = i;
                }
            }
        }

        /** The fixed code of 288 literals/lengths or of 30 distances (RFC 1951, 3.2.6). */
        private static Huffman fixed(int n) {
            int[] lengths = new int[n];
            for (int i = 0; i < n; i++) {
                lengths[i] = n == 30 ? 5 : i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
            }
            try {
                return new Huffman(lengths, n);
            } catch (Failure e) {
                throw new IllegalStateException(e);
            }
        }

        int decode(Inflate inflate) throws Failure {
            int code = 0;
            int first = 0;
            int index = 0;
            for (int len = 1; len < 16; len++) {
                code |= inflate.bits(1);
                int count = counts[len];
                if (code - first < count) {
                    return symbols[index + code - first];
                }
                index += count;
                first = (first + count) << 1;
                code <<= 1;
            }
            throw new Failure("an invalid Huffman code");
        }
    }
}
