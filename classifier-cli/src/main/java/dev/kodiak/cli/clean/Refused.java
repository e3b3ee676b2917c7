package dev.kodiak.cli.clean;

/**
 * A request {@code kodiak clean} will not carry out, whoever refused it (the server, the session
 * or the journal): nothing was changed, and the message says why and what to do. The
 * {@link Kind} is how the page is told: an HTTP status and an error code.
 */
final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a request is refused, as an HTTP status and the code of the JSON error. */
    enum Kind {
        /** The request is malformed or names something impossible (400). */
        BAD_REQUEST(400, "bad_request"),
        /** The request is not from this run's page (403). */
        FORBIDDEN(403, "forbidden"),
        /** No such route, view, file or thumbnail (404). */
        NOT_FOUND(404, "not_found"),
        /** The route takes another method (405). */
        METHOD_NOT_ALLOWED(405, "method_not_allowed"),
        /** The folder or the journal is not as the request expects (409). */
        CONFLICT(409, "conflict"),
        /** The body is too large (413). */
        TOO_LARGE(413, "too_large"),
        /** The body is not JSON (415). */
        UNSUPPORTED_MEDIA_TYPE(415, "unsupported_media_type");

        private final int status;
        private final String code;

        Kind(int status, String code) {
            this.status = status;
            this.code = code;
        }

        /** @return the HTTP status */
        int status() {
            return status;
        }

        /** @return the {@code code} of the JSON error */
        String code() {
            return code;
        }
    }

    private final Kind kind;

    /**
     * A refusal.
     *
     * @param kind how it is answered
     * @param message why, and what to do
     */
    Refused(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    /**
     * A refusal because the folder or journal is not as expected (409).
     *
     * @param message why, and what to do
     * @return the refusal
     */
    static Refused conflict(String message) {
        return new Refused(Kind.CONFLICT, message);
    }

    /** @return how it is answered */
    Kind kind() {
        return kind;
    }
}
