package dev.kodiak.core.forward;

import dev.kodiak.core.KodiakException;

/**
 * Kodiak's own forward pass refused a model or an input: the file is not ONNX it can read, the
 * model uses an operator or attribute it does not implement, or the input does not fit. A
 * caller that has another runtime (ONNX Runtime) falls back to it on {@link Problem#UNSUPPORTED}.
 */
public final class ForwardException extends KodiakException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Problem {
        /** The bytes are not an ONNX model this reader understands. */
        MALFORMED,
        /** The model is valid ONNX but uses something this runtime does not implement. */
        UNSUPPORTED,
        /** The input or an intermediate tensor does not fit the model. */
        INPUT
    }

    private final Problem problem;

    /**
     * Creates an exception.
     *
     * @param problem what went wrong
     * @param message what happened and what to do
     * @param cause the underlying failure, or null
     */
    public ForwardException(Problem problem, String message, Throwable cause) {
        super(message, cause);
        this.problem = problem;
    }

    /**
     * Returns what went wrong.
     *
     * @return the problem
     */
    public Problem problem() {
        return problem;
    }
}
