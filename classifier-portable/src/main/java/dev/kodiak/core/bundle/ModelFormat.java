package dev.kodiak.core.bundle;

import java.util.List;

/** The model files a bundle can hold, and the runtimes each one serves. */
public enum ModelFormat {
    /** {@code model.pt}: TorchScript, run by libtorch (runtime {@code pytorch}). */
    TORCHSCRIPT("torchscript", List.of(Manifest.RUNTIME_PYTORCH)),
    /**
     * {@code model.onnx}: ONNX, run by ONNX Runtime on the JVM ({@code onnxruntime}) and by
     * onnxruntime-web in a browser ({@code onnxruntime-web}).
     */
    ONNX("onnx", List.of(Manifest.RUNTIME_ONNXRUNTIME, Manifest.RUNTIME_ONNXRUNTIME_WEB));

    private final String id;
    private final List<String> runtimes;

    ModelFormat(String id, List<String> runtimes) {
        this.id = id;
        this.runtimes = runtimes;
    }

    /**
     * Returns the format's name in a manifest.
     *
     * @return {@code torchscript} or {@code onnx}
     */
    public String id() {
        return id;
    }

    /**
     * Returns the runtimes that can run a file of this format.
     *
     * @return runtime names as a manifest's {@code runtimes} lists them
     */
    public List<String> runtimes() {
        return runtimes;
    }
}
