package dev.kodiak.server;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The Open Inference Protocol's raw tensor layout, shared by REST's binary tensor data
 * extension and gRPC's {@code raw_input_contents} / {@code raw_output_contents}: values
 * little-endian, row-major, without padding; a {@code BYTES} element as a 4-byte little-endian
 * length and then its bytes. Stateless and thread-safe.
 */
final class OipTensors {
    private OipTensors() {
    }

    /**
     * Lays out {@code BYTES} elements.
     *
     * @param elements the elements
     * @return each element's 4-byte little-endian length, then its bytes
     */
    static byte[] serialize(List<byte[]> elements) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] length = new byte[4];
        for (byte[] e : elements) {
            ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).putInt(e.length);
            out.writeBytes(length);
            out.writeBytes(e);
        }
        return out.toByteArray();
    }

    /**
     * Lays out {@code FP32} values.
     *
     * @param values the values
     * @return 4 little-endian bytes per value
     */
    static byte[] floats(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    /**
     * Reads {@code BYTES} elements.
     *
     * @param name the tensor's name, for messages
     * @param data the bytes holding them, from its position to its limit (not changed)
     * @param reserve called with each element's size before it is copied (may refuse: 503)
     * @return the elements
     * @throws ApiException 400 when a length runs past the data
     */
    static List<byte[]> elements(String name, ByteBuffer data,
            java.util.function.LongConsumer reserve) {
        ByteBuffer in = data.slice().order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> out = new java.util.ArrayList<>();
        while (in.hasRemaining()) {
            if (in.remaining() < 4) {
                throw ApiException.badRequest("INVALID_INPUT", "Input '" + name + "' ends "
                        + "inside an element's 4-byte length");
            }
            long n = in.getInt() & 0xFFFFFFFFL;
            if (n > in.remaining()) {
                throw ApiException.badRequest("INVALID_INPUT", "Input '" + name + "' element "
                        + (out.size() + 1) + " claims " + n + " bytes but " + in.remaining()
                        + " are left");
            }
            reserve.accept(n);
            byte[] element = new byte[(int) n];
            in.get(element);
            out.add(element);
        }
        return out;
    }

    /**
     * Reads {@code FP32} values.
     *
     * @param name the tensor's name, for messages
     * @param data the bytes holding them, from its position to its limit (not changed)
     * @param reserve called with the values' size before they are copied (may refuse: 503)
     * @return the values
     * @throws ApiException 400 when the size is not a multiple of 4 or a value is not finite
     */
    static float[] floats(String name, ByteBuffer data,
            java.util.function.LongConsumer reserve) {
        int size = data.remaining();
        if (size % 4 != 0) {
            throw ApiException.badRequest("INVALID_INPUT", "Input '" + name + "' has " + size
                    + " bytes of FP32 data, not a multiple of 4");
        }
        reserve.accept(size);
        float[] values = new float[size / 4];
        data.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return finite(name, values);
    }

    /**
     * Checks that values are finite, as a model's input must be.
     *
     * @param name the tensor's name, for messages
     * @param values the values
     * @return the values
     * @throws ApiException 400 naming the first value that is not
     */
    static float[] finite(String name, float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                throw ApiException.badRequest("INVALID_INPUT", "Input '" + name + "' holds a "
                        + "value that is not a finite float (" + v + ")");
            }
        }
        return values;
    }
}
