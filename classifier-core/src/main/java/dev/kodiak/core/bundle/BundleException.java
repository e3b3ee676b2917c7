package dev.kodiak.core.bundle;

import dev.kodiak.core.KodiakException;
import java.nio.file.Path;

/**
 * A model bundle cannot be used. {@link #problem()} says what kind of fault it is, {@link #file()}
 * which file, and the message what to do about it.
 */
public class BundleException extends KodiakException {
    private static final long serialVersionUID = 1L;

    /** The kinds of fault, so that callers can react without parsing messages. */
    public enum Problem {
        /** The bundle path, the manifest or a file the manifest lists does not exist. */
        MISSING_FILE,
        /** A file's sha256 differs from the one in the manifest. */
        CHECKSUM_MISMATCH,
        /** The manifest declares a format version this Kodiak does not read. */
        UNSUPPORTED_FORMAT_VERSION,
        /** The manifest is not valid JSON or a field is missing or wrong. */
        INVALID_MANIFEST,
        /** The model's output size differs from the number of labels. */
        LABEL_COUNT_MISMATCH,
        /** The model rejects a tensor of the manifest's input spec, or does not load. */
        MODEL_REJECTED,
        /**
         * The runtime's scores on the bundle's probe differ from PyTorch's at export: a broken
         * export, a replaced model file or an edited input spec.
         */
        PROBE_MISMATCH,
        /** The engine asked for needs a model file the bundle does not have. */
        RUNTIME_NOT_SERVED,
        /** The bundle could not be read (I/O error, broken zip). */
        UNREADABLE
    }

    private final Problem problem;
    private final transient Path file;

    /**
     * Creates an exception.
     *
     * @param problem the kind of fault
     * @param file the file at fault, or the bundle itself
     * @param message what happened and what to do
     */
    public BundleException(Problem problem, Path file, String message) {
        this(problem, file, message, null);
    }

    /**
     * Creates an exception with a cause.
     *
     * @param problem the kind of fault
     * @param file the file at fault, or the bundle itself
     * @param message what happened and what to do
     * @param cause the underlying failure, or null
     */
    public BundleException(Problem problem, Path file, String message, Throwable cause) {
        super(message, cause);
        this.problem = problem;
        this.file = file;
    }

    /**
     * Returns the kind of fault.
     *
     * @return the problem
     */
    public Problem problem() {
        return problem;
    }

    /**
     * Returns the file at fault.
     *
     * @return the path, or null when unknown
     */
    public Path file() {
        return file;
    }
}
