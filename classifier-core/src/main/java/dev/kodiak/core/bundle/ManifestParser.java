package dev.kodiak.core.bundle;

import com.google.gson.JsonParseException;
import dev.kodiak.core.fields.Fields;
import dev.kodiak.core.fields.JsonFields;
import dev.kodiak.core.fields.Problems;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.InputSpecReader;
import java.nio.file.Path;

/**
 * Reads manifest text on the JVM: Gson parses it, then the shared {@link ManifestReader} (the
 * one the browser widget runs too) checks every field. Stateless and thread-safe.
 *
 * <pre>{@code
 * Manifest manifest = ManifestParser.parse(Files.readString(file), file);
 * }</pre>
 */
public final class ManifestParser {
    private ManifestParser() {
    }

    /**
     * Parses and checks manifest text.
     *
     * @param json the text of {@code kodiak.json}
     * @param file where the text came from, for messages
     * @return the manifest
     * @throws BundleException {@code UNSUPPORTED_FORMAT_VERSION} for another format version,
     *     {@code INVALID_MANIFEST} for anything else wrong, naming each field
     */
    public static Manifest parse(String json, Path file) throws BundleException {
        JsonFields root = json(json, file);
        try {
            return ManifestReader.read(root);
        } catch (InvalidManifestException e) {
            if (e.formatVersion() != 0) {
                throw new BundleException(BundleException.Problem.UNSUPPORTED_FORMAT_VERSION,
                        file, file + " declares bundle format version " + e.formatVersion()
                        + " but this Kodiak reads version " + Manifest.FORMAT_VERSION
                        + "; re-export the model with this Kodiak's tools/export_bundle.py, or "
                        + "use the Kodiak release that wrote it", e);
            }
            throw new BundleException(BundleException.Problem.INVALID_MANIFEST, file,
                    "Invalid " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses an input spec object such as a manifest's {@code "input"}.
     *
     * @param json the object's text
     * @return the spec
     * @throws IllegalArgumentException naming every invalid field
     */
    public static InputSpec parseInputSpec(String json) {
        JsonFields object;
        try {
            object = json(json, null);
        } catch (BundleException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Problems problems = new Problems();
        InputSpec spec = InputSpecReader.read(new Fields(object, problems.at("input.")));
        if (spec == null) {
            throw new IllegalArgumentException("Invalid input spec: " + problems.joined());
        }
        return spec;
    }

    private static JsonFields json(String json, Path file) throws BundleException {
        String where = file == null ? "the text" : file.toString();
        try {
            return GsonFields.parse(json);
        } catch (JsonParseException e) {
            throw new BundleException(BundleException.Problem.INVALID_MANIFEST, file,
                    where + " is not valid JSON: " + GsonFields.complaint(e) + "; re-export "
                    + "the bundle with tools/export_bundle.py", e);
        } catch (IllegalArgumentException e) {
            throw new BundleException(BundleException.Problem.INVALID_MANIFEST, file,
                    where + " " + e.getMessage(), e);
        }
    }
}
