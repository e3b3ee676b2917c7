package dev.kodiak.core.bundle;

import dev.kodiak.core.preprocess.InputSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The contents of a bundle's {@code kodiak.json}. Immutable.
 *
 * @param formatVersion the bundle format version ({@link #FORMAT_VERSION} is the one this
 *     Kodiak reads)
 * @param name the model's name, used in URLs ({@code [a-z0-9][a-z0-9._-]*})
 * @param version the model's version, free text
 * @param description one line for people, may be empty
 * @param models the model files inside the bundle, by format (at least one)
 * @param output whether the model gives logits or probabilities
 * @param runtimes the runtimes the bundle serves ({@link #RUNTIME_PYTORCH},
 *     {@link #RUNTIME_ONNXRUNTIME}, {@link #RUNTIME_ONNXRUNTIME_WEB}), each backed by a file
 * @param labels class names in the model's output order
 * @param input how images become the model's input tensor
 * @param provenance where the model came from
 * @param files sha256 (lower-case hex) of every file of the bundle, by name
 * @param probe the self-check PyTorch's scores make, if the exporter wrote one
 * @param int8 the int8 model ({@code model.int8.onnx}) and its probe, if the bundle has one
 */
public record Manifest(int formatVersion, String name, String version, String description,
        Map<ModelFormat, String> models, ModelOutput output, List<String> runtimes,
        List<String> labels, InputSpec input, Provenance provenance, Map<String, String> files,
        Optional<Probe> probe, Optional<Int8Model> int8) {
    /** The bundle format version this Kodiak reads and {@code tools/export_bundle.py} writes. */
    public static final int FORMAT_VERSION = 1;

    /** The manifest's file name inside a bundle. */
    public static final String FILE_NAME = "kodiak.json";

    /** The runtime that runs TorchScript through libtorch (DJL's PyTorch engine). */
    public static final String RUNTIME_PYTORCH = "pytorch";

    /** The runtime that runs ONNX on the JVM (ONNX Runtime through DJL). */
    public static final String RUNTIME_ONNXRUNTIME = "onnxruntime";

    /** The runtime that runs ONNX in a reader's browser (onnxruntime-web, WebAssembly). */
    public static final String RUNTIME_ONNXRUNTIME_WEB = "onnxruntime-web";

    /** Copies the collections and checks that every runtime has its model file. */
    public Manifest {
        if (models == null || models.isEmpty()) {
            throw new IllegalArgumentException("Invalid manifest: no model file");
        }
        models = Map.copyOf(new EnumMap<>(models));
        runtimes = List.copyOf(runtimes);
        labels = List.copyOf(labels);
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files)); // manifest order
        probe = probe == null ? Optional.empty() : probe;
        int8 = int8 == null ? Optional.empty() : int8;
        for (String runtime : runtimes) {
            if (formatOf(runtime) == null || !models.containsKey(formatOf(runtime))) {
                throw new IllegalArgumentException("Invalid manifest: runtime '" + runtime
                        + "' has no model file");
            }
        }
    }

    /**
     * The model format a runtime runs.
     *
     * @param runtime a runtime name such as {@code onnxruntime}
     * @return its format, or null for an unknown runtime
     */
    public static ModelFormat formatOf(String runtime) {
        for (ModelFormat format : ModelFormat.values()) {
            if (format.runtimes().contains(runtime)) {
                return format;
            }
        }
        return null;
    }

    /**
     * The runtimes model files of these formats can serve, in a stable order.
     *
     * @param formats the formats present
     * @return runtime names
     */
    public static List<String> runtimesOf(Iterable<ModelFormat> formats) {
        List<String> runtimes = new ArrayList<>();
        for (ModelFormat format : formats) {
            runtimes.addAll(format.runtimes());
        }
        return runtimes;
    }

    /**
     * Whether a text can name a model: 1 to 64 of a-z, 0-9, '.', '_' and '-', starting with a
     * letter or digit, because names appear in URLs. The same rule holds for the names a server
     * gives its models.
     *
     * @param name a candidate name
     * @return true if it is a valid model name
     */
    public static boolean isValidName(String name) {
        if (name == null || name.isEmpty() || name.length() > 64) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean alnum = c >= 'a' && c <= 'z' || c >= '0' && c <= '9';
            if (!alnum && (i == 0 || c != '.' && c != '_' && c != '-')) {
                return false;
            }
        }
        return true;
    }

    /**
     * Creates a manifest without an int8 model.
     *
     * @param formatVersion see the record
     * @param name see the record
     * @param version see the record
     * @param description see the record
     * @param models see the record
     * @param output see the record
     * @param runtimes see the record
     * @param labels see the record
     * @param input see the record
     * @param provenance see the record
     * @param files see the record
     * @param probe see the record
     */
    public Manifest(int formatVersion, String name, String version, String description,
            Map<ModelFormat, String> models, ModelOutput output, List<String> runtimes,
            List<String> labels, InputSpec input, Provenance provenance, Map<String, String> files,
            Optional<Probe> probe) {
        this(formatVersion, name, version, description, models, output, runtimes, labels, input,
                provenance, files, probe, Optional.empty());
    }

    /**
     * Returns the file of one model format.
     *
     * @param format the format
     * @return its file name inside the bundle, or empty when the bundle has none
     */
    public Optional<String> modelFile(ModelFormat format) {
        return Optional.ofNullable(models.get(format));
    }

    /**
     * Whether the bundle serves a runtime.
     *
     * @param runtime a runtime name such as {@link #RUNTIME_ONNXRUNTIME}
     * @return true if it is listed in {@link #runtimes()}
     */
    public boolean serves(String runtime) {
        return runtimes.contains(runtime);
    }

    /**
     * Returns the sha256 that identifies the weights: the TorchScript file's, or the ONNX file's
     * in a bundle without TorchScript. API answers and reports carry it.
     *
     * @return lower-case hex
     */
    public String modelSha256() {
        String file = models.containsKey(ModelFormat.TORCHSCRIPT)
                ? models.get(ModelFormat.TORCHSCRIPT) : models.get(ModelFormat.ONNX);
        return files.get(file);
    }
}
