package dev.kodiak.server;

import dev.kodiak.core.decode.DecodeException;
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

    /**
     * The same failure, said of one image of a batch.
     *
     * @param image the image's position, from 1
     * @param of how many images the request holds
     * @return a copy whose message names the image
     */
    ApiException forImage(int image, int of) {
        return new ApiException(status, code, "Image " + image + " of " + of + ": "
                + getMessage(), retryAfterSeconds);
    }

    /**
     * The request's deadline passed before its answer was ready.
     *
     * @return a 503 with Retry-After
     */
    static ApiException deadlineExceeded() {
        return new ApiException(Status.SERVICE_UNAVAILABLE_503, "DEADLINE_EXCEEDED",
                "The server is too busy to answer within the request deadline; retry in a "
                + "second", "1");
    }

    /**
     * An image the decoder refused, as the status its reason calls for.
     *
     * @param e the decoder's refusal
     * @return 400 for an empty image, 415 for no image or an unsupported format, 422 for one
     *     too large or damaged
     */
    static ApiException decodeError(DecodeException e) {
        return switch (e.reason()) {
            case EMPTY -> badRequest("EMPTY_IMAGE", e.getMessage());
            case NOT_AN_IMAGE -> new ApiException(Status.UNSUPPORTED_MEDIA_TYPE_415,
                    "NOT_AN_IMAGE", e.getMessage());
            case UNSUPPORTED_FORMAT -> new ApiException(Status.UNSUPPORTED_MEDIA_TYPE_415,
                    "UNSUPPORTED_FORMAT", e.getMessage());
            case TOO_LARGE -> new ApiException(Status.UNPROCESSABLE_CONTENT_422,
                    "IMAGE_TOO_LARGE", e.getMessage());
            case CORRUPT -> new ApiException(Status.UNPROCESSABLE_CONTENT_422,
                    "UNDECODABLE_IMAGE", e.getMessage());
        };
    }
}
