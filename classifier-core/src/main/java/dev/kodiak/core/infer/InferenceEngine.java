package dev.kodiak.core.infer;

import java.util.Locale;

/**
 * Which runtime runs a bundle's model on the JVM. {@link #AUTO} takes ONNX Runtime when the
 * bundle has an ONNX file, and libtorch otherwise.
 */
public enum InferenceEngine {
    /** ONNX Runtime when the bundle serves it, otherwise libtorch. */
    AUTO("auto"),
    /** ONNX Runtime (the bundle's {@code model.onnx}), through DJL's OnnxRuntime engine. */
    ONNXRUNTIME("onnxruntime"),
    /** libtorch (the bundle's TorchScript {@code model.pt}), through DJL's PyTorch engine. */
    PYTORCH("pytorch");

    private final String id;

    InferenceEngine(String id) {
        this.id = id;
    }

    /**
     * Returns the name used in configuration and in a manifest's {@code runtimes}.
     *
     * @return {@code auto}, {@code onnxruntime} or {@code pytorch}
     */
    public String id() {
        return id;
    }

    /**
     * Reads a configured name.
     *
     * @param text {@code auto}, {@code onnxruntime} or {@code pytorch}, any case
     * @return the engine
     * @throws IllegalArgumentException naming the accepted values
     */
    public static InferenceEngine parse(String text) {
        String wanted = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        for (InferenceEngine engine : values()) {
            if (engine.id.equals(wanted)) {
                return engine;
            }
        }
        throw new IllegalArgumentException("Invalid engine: '" + text + "'; use auto, "
                + "onnxruntime or pytorch");
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return id;
    }
}
