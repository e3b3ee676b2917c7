package dev.kodiak.core.bundle;

/**
 * Which of a bundle's models answers: the float32 model ({@code model.onnx} or {@code model.pt})
 * or the int8 one ({@code model.int8.onnx}, see {@link Int8Model}), or {@code AUTO} to let the
 * opener decide (int8 only where the bundle has it, its measured agreement with fp32 is at or
 * above its threshold, and the machine runs int8 fast).
 */
public enum Precision {
    /** int8 when the bundle has it, it measured well, and the CPU has int8 dot products. */
    AUTO("auto"),
    /** The float32 model. */
    FP32("fp32"),
    /** The int8 model; opening a bundle without one fails. */
    INT8("int8");

    private final String id;

    Precision(String id) {
        this.id = id;
    }

    /**
     * Returns the name used in settings, manifests and answers.
     *
     * @return {@code auto}, {@code fp32} or {@code int8}
     */
    public String id() {
        return id;
    }

    /**
     * Reads a precision's name, in any case.
     *
     * @param text {@code auto}, {@code fp32} or {@code int8}
     * @return the precision
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Precision parse(String text) {
        for (Precision p : values()) {
            if (p.id.equalsIgnoreCase(text == null ? "" : text.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("precision must be auto, fp32 or int8, not '" + text
                + "'");
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return id;
    }
}
