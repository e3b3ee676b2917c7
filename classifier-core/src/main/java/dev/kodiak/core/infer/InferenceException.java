package dev.kodiak.core.infer;

import dev.kodiak.core.KodiakException;

/** The model failed to run on an input. Wraps DJL's {@code TranslateException} as its cause. */
public class InferenceException extends KodiakException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what happened and what to do
     * @param cause the engine's failure
     */
    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
