package dev.kodiak.server;

import io.helidon.http.Status;

/**
 * A request the server refuses, with the HTTP status, a stable machine-readable code and a
 * message for people. Rendered as {@code {"error": {"code": ..., "message": ...}}}.
 */
class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Status status;
    private final String code;
    private final String retryAfterSeconds;

    ApiException(Status status, String code, String message) {
        this(status, code, message, null);
    }

    ApiException(Status status, String code, String message, String retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    Status status() {
        return status;
    }

    String code() {
        return code;
    }

    /** @return the Retry-After value in seconds, or null */
    String retryAfterSeconds() {
        return retryAfterSeconds;
    }

    static ApiException badRequest(String code, String message) {
        return new ApiException(Status.BAD_REQUEST_400, code, message);
    }

    static ApiException overloaded(String message) {
        return new ApiException(Status.SERVICE_UNAVAILABLE_503, "OVERLOADED", message, "1");
    }
}
