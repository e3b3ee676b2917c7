package dev.kodiak.core.decode;

import dev.kodiak.core.KodiakException;

/**
 * Bytes could not be decoded into an image. {@link #reason()} says why, in a form a server can
 * map to a status code; the message says what to do.
 */
public class DecodeException extends KodiakException {
    private static final long serialVersionUID = 1L;

    /** Why decoding failed. */
    public enum Reason {
        /** There were no bytes at all. */
        EMPTY,
        /** The bytes are not an image (text, HTML, random data). */
        NOT_AN_IMAGE,
        /** An image format Kodiak does not decode (SVG, HEIC, TIFF, ...). */
        UNSUPPORTED_FORMAT,
        /**
         * The header claims more pixels than the configured limit, or one side more than
         * {@link ImageLimits#MAX_ASPECT_RATIO} times the other.
         */
        TOO_LARGE,
        /** A supported format, but truncated or damaged. */
        CORRUPT
    }

    private final Reason reason;

    /**
     * Creates an exception.
     *
     * @param reason why decoding failed
     * @param message what happened and what to do
     */
    public DecodeException(Reason reason, String message) {
        this(reason, message, null);
    }

    /**
     * Creates an exception with a cause.
     *
     * @param reason why decoding failed
     * @param message what happened and what to do
     * @param cause the decoder's own failure, or null
     */
    public DecodeException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /**
     * Returns why decoding failed.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }
}
