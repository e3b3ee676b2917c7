package dev.kodiak.core.bundle;

import dev.kodiak.core.KodiakException;
import java.util.List;

/**
 * A manifest's text is not one this Kodiak can use: a field is missing or wrong, or it declares
 * another format version. Thrown by the shared {@link ManifestReader}, which runs on the JVM and
 * in the browser; on the JVM, classifier-core's {@code Bundle.open} turns it into a
 * {@code BundleException} naming the file.
 */
public class InvalidManifestException extends KodiakException {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;
    private final int formatVersion;

    /**
     * Creates an exception.
     *
     * @param problems one message per invalid or missing field (empty for a version mismatch)
     * @param formatVersion the format version the manifest declares when this Kodiak does not
     *     read it, otherwise 0
     */
    public InvalidManifestException(List<String> problems, int formatVersion) {
        super(formatVersion != 0
                ? "the manifest declares bundle format version " + formatVersion + " but this "
                + "Kodiak reads version " + Manifest.FORMAT_VERSION + "; re-export the model with "
                + "this Kodiak's tools/export_bundle.py, or use the Kodiak release that wrote it"
                : String.join("; ", problems) + "; fix the manifest or re-export the bundle with "
                + "tools/export_bundle.py", null);
        this.problems = List.copyOf(problems);
        this.formatVersion = formatVersion;
    }

    /**
     * Returns what is wrong, one message per field.
     *
     * @return the problems, empty for a version mismatch
     */
    public List<String> problems() {
        return problems;
    }

    /**
     * Returns the declared format version when it is not {@link Manifest#FORMAT_VERSION}.
     *
     * @return the version, or 0 when the version is fine
     */
    public int formatVersion() {
        return formatVersion;
    }
}
