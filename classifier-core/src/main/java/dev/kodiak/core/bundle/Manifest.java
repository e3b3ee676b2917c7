package dev.kodiak.core.bundle;

import dev.kodiak.core.preprocess.InputSpec;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The contents of a bundle's {@code kodiak.json}. Immutable.
 *
 * @param formatVersion the bundle format version ({@link #FORMAT_VERSION} is the one this
 *     Kodiak reads)
 * @param name the model's name, used in URLs ({@code [a-z0-9][a-z0-9._-]*})
 * @param version the model's version, free text
 * @param description one line for people, may be empty
 * @param modelFile the TorchScript file's name inside the bundle
 * @param output whether the model gives logits or probabilities
 * @param labels class names in the model's output order
 * @param input how images become the model's input tensor
 * @param provenance where the model came from
 * @param files sha256 (lower-case hex) of every file of the bundle, by name
 */
public record Manifest(int formatVersion, String name, String version, String description,
        String modelFile, ModelOutput output, List<String> labels, InputSpec input,
        Provenance provenance, Map<String, String> files) {
    /** The rule of {@link #isValidName(String)}. */
    private static final Pattern NAME =
            Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    /** The bundle format version this Kodiak reads and {@code tools/export_bundle.py} writes. */
    public static final int FORMAT_VERSION = 1;

    /** The manifest's file name inside a bundle. */
    public static final String FILE_NAME = "kodiak.json";

    /** Copies the collections. */
    public Manifest {
        labels = List.copyOf(labels);
        files = Map.copyOf(files);
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
        return name != null && NAME.matcher(name).matches();
    }

    /**
     * Returns the sha256 of the model file, which identifies the weights.
     *
     * @return lower-case hex
     */
    public String modelSha256() {
        return files.get(modelFile);
    }
}
