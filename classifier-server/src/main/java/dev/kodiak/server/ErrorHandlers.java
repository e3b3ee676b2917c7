package dev.kodiak.server;

import static dev.kodiak.server.json.JsonP.JSON;

import dev.kodiak.server.json.Responses;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.http.HttpMediaType;
import io.helidon.http.Method;
import io.helidon.http.NotFoundException;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.ServerConnectionException;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * How the server answers what goes wrong: an {@link ApiException} as its status and
 * {@code {"error": {"code", "message"}}}, a path that does not exist as the blog's 404 page for
 * browsers and JSON for everyone else, Helidon's own refusals (malformed HTTP, bodies over the
 * limit) as JSON, a client that went away as nothing, and anything else as a logged 500 that
 * blames the server, never the request.
 */
final class ErrorHandlers {
    private static final System.Logger LOG = System.getLogger(ErrorHandlers.class.getName());

    private ErrorHandlers() {
    }

    /**
     * Registers the handlers on a routing.
     *
     * @param routing the server's HTTP routing
     * @param endConnection ends the HTTP/2 connection of a request whose body is abandoned
     *     ({@link Http2Watch#endConnection}); HTTP/1's answer says {@code Connection: close}
     */
    static void register(HttpRouting.Builder routing, Consumer<ServerRequest> endConnection) {
        routing.error(ApiException.class, (req, res, e) -> apiError(req, res, e, endConnection))
                .error(NotFoundException.class, ErrorHandlers::notFound)
                .error(HttpException.class, ErrorHandlers::httpError)
                .error(RequestException.class, (req, res, e) ->
                        apiError(req, res, BodyReader.fromHelidon(e), endConnection))
                .error(ServerConnectionException.class, ErrorHandlers::clientGone)
                .error(DataReader.InsufficientDataAvailableException.class,
                        ErrorHandlers::clientGone)
                .error(Throwable.class, ErrorHandlers::bug);
    }

    /**
     * Answers 405 for a method a route does not take.
     *
     * @param req the request
     * @param res the response
     */
    static void methodNotAllowed(ServerRequest req, ServerResponse res) {
        throw new ApiException(Status.METHOD_NOT_ALLOWED_405, "METHOD_NOT_ALLOWED",
                req.prologue().method().text() + " is not allowed on " + req.path().path()
                + "; see /openapi.yaml");
    }

    private static void apiError(ServerRequest req, ServerResponse res, ApiException e,
            Consumer<ServerRequest> endConnection) {
        if (e.retryAfterSeconds() != null) {
            res.header(HeaderNames.RETRY_AFTER, e.retryAfterSeconds());
        }
        boolean http2 = "2.0".equals(req.prologue().protocolVersion());
        if (e instanceof BodyReader.PayloadTooLargeException tooLarge) {
            closeAfter(http2, res);
            sendJson(req, res, e.status(), e.code(), e.getMessage());
            tooLarge.drain();
            if (http2 && !req.content().consumed()) {
                endConnection.accept(req); // the rest of the body is still owed
            }
            return;
        }
        if (e instanceof BodyReader.UploadTimeoutException timeout) {
            closeAfter(http2, res);
            try {
                sendJson(req, res, e.status(), e.code(), e.getMessage());
            } finally {
                timeout.abort();
                if (http2) {
                    endConnection.accept(req);
                }
            }
            return;
        }
        sendJson(req, res, e.status(), e.code(), e.getMessage());
    }

    /**
     * Asks HTTP/1 to close the connection after this answer. HTTP/2 has no such header (a
     * response with {@code Connection} is malformed there: Helidon resets the stream instead of
     * answering), so the caller ends the connection itself when the body is still owed.
     */
    private static void closeAfter(boolean http2, ServerResponse res) {
        if (!http2) {
            res.header(HeaderNames.CONNECTION, "close");
        }
    }

    private static void notFound(ServerRequest req, ServerResponse res, NotFoundException e) {
        String path = req.path().path();
        boolean browser = req.headers().isAccepted(MediaTypes.TEXT_HTML)
                && !path.startsWith("/api/") && !isOip(req)
                && req.prologue().method() == Method.GET;
        if (browser && NotFoundPage.BYTES != null) {
            res.status(Status.NOT_FOUND_404);
            res.headers().contentType(HttpMediaType.create(MediaTypes.TEXT_HTML)
                    .withCharset("UTF-8"));
            res.send(NotFoundPage.BYTES);
            return;
        }
        sendJson(req, res, Status.NOT_FOUND_404, "NOT_FOUND", "Nothing at " + path
                + "; the API is under /api/v1 (see /openapi.yaml)");
    }

    /** The blog's 404 page, read once (null without the blog on the class path). */
    private static final class NotFoundPage {
        static final byte[] BYTES = read();

        private static byte[] read() {
            try (InputStream page = ErrorHandlers.class.getResourceAsStream(
                    "/" + KodiakServer.SITE_ON_CLASSPATH + "/404.html")) {
                return page == null ? null : page.readAllBytes();
            } catch (IOException e) {
                return null;
            }
        }
    }

    /** Helidon's own HTTP outcomes, such as static content's 304 Not Modified. */
    private static void httpError(ServerRequest req, ServerResponse res, HttpException e) {
        if (e.status().code() < 400) {
            res.status(e.status());
            res.send();
            return;
        }
        sendJson(req, res, e.status(), e.status().code() >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST",
                e.getMessage());
    }

    private static void clientGone(ServerRequest req, ServerResponse res, Throwable e) {
        // The client closed or reset the connection mid-request: nobody is left to answer.
        LOG.log(System.Logger.Level.DEBUG, "client went away during {0}: {1}",
                req.path().path(), e.toString());
        try {
            sendJson(req, res, Status.BAD_REQUEST_400, "INCOMPLETE_REQUEST",
                    "The request body ended before its announced length");
        } catch (RuntimeException ignored) {
            // the connection is gone
        }
    }

    private static void bug(ServerRequest req, ServerResponse res, Throwable e) {
        LOG.log(System.Logger.Level.ERROR, "unexpected failure on " + req.path().path(), e);
        sendJson(req, res, Status.INTERNAL_SERVER_ERROR_500, "INTERNAL_ERROR", "Something went wrong "
                + "on the server (a bug, not your request); it has been logged");
    }

    /** Whether a request is the Open Inference Protocol's (its errors have their own shape). */
    static boolean isOip(ServerRequest req) {
        String path = req.path().absolute().path();
        return path.equals(OipService.ROOT) || path.startsWith(OipService.ROOT + "/");
    }

    /**
     * Writes an error: Kodiak's {@code {"error": {"code", "message"}}}, or under {@code /v2}
     * the Open Inference Protocol's {@code {"error": "<message>"}}.
     */
    static void sendJson(ServerRequest req, ServerResponse res, Status status, String code,
            String message) {
        res.status(status);
        res.headers().contentType(MediaTypes.APPLICATION_JSON);
        String body = isOip(req) ? JSON.createObjectBuilder().add("error", message)
                .build().toString() : Responses.errorText(code, message);
        res.send(body.getBytes(StandardCharsets.UTF_8));
    }

    /** Errors Helidon answers before routing (malformed HTTP, bodies over the limit) as JSON. */
    static DirectHandlers jsonDirectHandlers() {
        DirectHandler json = (request, type, status, headers, message) -> {
            String code = status.code() == 413 ? "PAYLOAD_TOO_LARGE"
                    : status.code() == 503 ? "OVERLOADED"
                    : status.code() >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST";
            String text = status.code() == 413
                    ? BodyReader.PayloadTooLargeException.message("")
                    : status.code() >= 500 ? "The server could not handle the request"
                    : "The HTTP request is malformed"
                    + (message == null || message.isBlank() ? "" : " (" + message + ")");
            return DirectHandler.TransportResponse.builder()
                    .status(status).headers(headers)
                    .header(HeaderNames.CONTENT_TYPE, "application/json")
                    .entity(Responses.errorText(code, text).getBytes(StandardCharsets.UTF_8))
                    .build();
        };
        DirectHandlers.Builder handlers = DirectHandlers.builder();
        for (DirectHandler.EventType type : DirectHandler.EventType.values()) {
            handlers.addHandler(type, json);
        }
        return handlers.build();
    }
}
