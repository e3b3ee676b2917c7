package dev.kodiak.core.forward;

/**
 * A reader of protocol buffers' wire format (varints, fixed 32/64-bit values and
 * length-delimited fields), enough to walk an ONNX file field by field without generated code.
 * One reader covers one message: {@link #message()} returns a reader over a nested one.
 * Not thread-safe.
 */
final class Wire {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH = 2;
    static final int FIXED32 = 5;

    private final byte[] data;
    private final int end;
    private int at;
    private int tag;

    Wire(byte[] data, int start, int end) {
        this.data = data;
        this.at = start;
        this.end = end;
    }

    /** @return whether another field follows; if so, {@link #field()} and {@link #type()} name it */
    boolean next() throws ForwardException {
        if (at >= end) {
            return false;
        }
        long key = varint();
        tag = (int) key;
        if ((key >>> 3) == 0) {
            throw malformed("a field number 0");
        }
        return true;
    }

    int field() {
        return tag >>> 3;
    }

    int type() {
        return tag & 7;
    }

    long varint() throws ForwardException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (at >= end) {
                throw malformed("a varint cut short");
            }
            int b = data[at++] & 0xff;
            value |= (long) (b & 0x7f) << shift;
            if (b < 0x80) {
                return value;
            }
        }
        throw malformed("a varint longer than 10 bytes");
    }

    int fixed32() throws ForwardException {
        need(4);
        int v = (data[at] & 0xff) | (data[at + 1] & 0xff) << 8 | (data[at + 2] & 0xff) << 16
                | (data[at + 3] & 0xff) << 24;
        at += 4;
        return v;
    }

    long fixed64() throws ForwardException {
        long lo = fixed32() & 0xffffffffL;
        long hi = fixed32() & 0xffffffffL;
        return lo | hi << 32;
    }

    /** @return the length of a length-delimited field, its bytes starting at {@link #position()} */
    int length() throws ForwardException {
        long n = varint();
        if (n < 0 || n > end - at) {
            throw malformed("a field of " + n + " bytes where " + (end - at) + " remain");
        }
        return (int) n;
    }

    /** Moves past {@code n} bytes that {@link #length()} has checked. */
    void advance(int n) {
        at += n;
    }

    int position() {
        return at;
    }

    byte[] data() {
        return data;
    }

    /** Reads a length-delimited field as a nested message. */
    Wire message() throws ForwardException {
        int n = length();
        Wire nested = new Wire(data, at, at + n);
        at += n;
        return nested;
    }

    String string() throws ForwardException {
        int n = length();
        String s = utf8(data, at, n);
        at += n;
        return s;
    }

    byte[] bytes() throws ForwardException {
        int n = length();
        byte[] b = new byte[n];
        System.arraycopy(data, at, b, 0, n);
        at += n;
        return b;
    }

    /** Skips the current field's value. */
    void skip() throws ForwardException {
        switch (type()) {
            case VARINT -> varint();
            case FIXED64 -> {
                need(8);
                at += 8;
            }
            case LENGTH -> {
                int n = length(); // not at += length(): that adds to the old position
                at += n;
            }
            case FIXED32 -> {
                need(4);
                at += 4;
            }
            default -> throw malformed("wire type " + type());
        }
    }

    /** Reads a repeated varint field's value: one value, or a packed run of them. */
    void varints(LongList into) throws ForwardException {
        if (type() == LENGTH) {
            int n = length();
            int stop = at + n;
            Wire packed = new Wire(data, at, stop);
            while (packed.at < stop) {
                into.add(packed.varint());
            }
            at = stop;
        } else {
            into.add(varint());
        }
    }

    /** Reads a repeated float field's value: one value, or a packed run of them. */
    void floats(FloatList into) throws ForwardException {
        if (type() == LENGTH) {
            int n = length();
            if (n % 4 != 0) {
                throw malformed("packed floats of " + n + " bytes");
            }
            for (int i = 0; i < n; i += 4) {
                into.add(Float.intBitsToFloat(fixed32()));
            }
        } else {
            into.add(Float.intBitsToFloat(fixed32()));
        }
    }

    /** Reads a repeated double field's value: one value, or a packed run of them. */
    void doubles(FloatList into) throws ForwardException {
        if (type() == LENGTH) {
            int n = length();
            if (n % 8 != 0) {
                throw malformed("packed doubles of " + n + " bytes");
            }
            for (int i = 0; i < n; i += 8) {
                into.add((float) Double.longBitsToDouble(fixed64()));
            }
        } else {
            into.add((float) Double.longBitsToDouble(fixed64()));
        }
    }

    private void need(int n) throws ForwardException {
        if (end - at < n) {
            throw malformed("a value cut short");
        }
    }

    private static ForwardException malformed(String what) {
        return new ForwardException(ForwardException.Problem.MALFORMED, "The file is not an "
                + "ONNX model this reader understands: it holds " + what + "; export it again "
                + "(tools/export_bundle.py), or run it with ONNX Runtime", null);
    }

    /** UTF-8 without java.nio.charset, which TeaVM would pull in whole. */
    static String utf8(byte[] b, int start, int n) {
        StringBuilder s = new StringBuilder(n);
        int i = start;
        int stop = start + n;
        while (i < stop) {
            int c = b[i++] & 0xff;
            if (c < 0x80) {
                s.append((char) c);
                continue;
            }
            int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
            int cp = c & (0x3f >> extra);
            for (int k = 0; k < extra && i < stop; k++) {
                cp = cp << 6 | (b[i++] & 0x3f);
            }
            // a damaged sequence becomes U+FFFD, as decoders do
            s.appendCodePoint(cp > 0x10ffff || cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);
        }
        return s.toString();
    }

    /** A growable list of longs. */
    static final class LongList {
        long[] values = new long[8];
        int size;

        void add(long v) {
            if (size == values.length) {
                long[] grown = new long[size * 2];
                System.arraycopy(values, 0, grown, 0, size);
                values = grown;
            }
            values[size++] = v;
        }

        long[] toArray() {
            long[] out = new long[size];
            System.arraycopy(values, 0, out, 0, size);
            return out;
        }
    }

    /** A growable list of floats. */
    static final class FloatList {
        float[] values = new float[8];
        int size;

        void add(float v) {
            if (size == values.length) {
                float[] grown = new float[size * 2];
                System.arraycopy(values, 0, grown, 0, size);
                values = grown;
            }
            values[size++] = v;
        }

        float[] toArray() {
            float[] out = new float[size];
            System.arraycopy(values, 0, out, 0, size);
            return out;
        }
    }
}
