package dev.kodiak.server;

import io.helidon.http.HeaderValues;
import io.helidon.http.HttpMediaType;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;

/**
 * The image of a classify request, in any of the three accepted forms: a multipart form with an
 * {@code image} field, a raw body ({@code image/*} or {@code application/octet-stream}), or JSON
 * {@code {"image": "<base64 or data: URL>"}} (which may also carry {@code top_k},
 * {@code threshold} and {@code labels}). Bad requests become {@link ApiException}s with the
 * status and code the API documents.
 *
 * @param image the encoded image bytes
 * @param parameters parameters found in the body (JSON and form fields), as text
 */
record ImageRequest(byte[] image, Map<String, String> parameters) {
    private static final String ACCEPTED = "send multipart/form-data with an 'image' field, "
            + "a raw image body (image/jpeg, image/png, ... or application/octet-stream), or "
            + "application/json {\"image\": \"<base64>\"}";

    /**
     * A body that did not arrive in time. Helidon does not time out reads on its own, so the
     * body is read on a helper thread; when the time is up, the handler answers 408 and then
     * {@link #abort()}s the reader, which closes the connection.
     */
    static final class UploadTimeoutException extends ApiException {
        private static final long serialVersionUID = 1L;
        private final transient Thread reader;

        UploadTimeoutException(Thread reader, Duration timeout) {
            super(Status.REQUEST_TIMEOUT_408, "UPLOAD_TIMEOUT", "The request body did not "
                    + "arrive within " + timeout.toSeconds() + " s; check the connection and "
                    + "send the image again");
            this.reader = reader;
        }

        /** Stops the reader thread; call it after the 408 has been sent. */
        void abort() {
            reader.interrupt();
        }
    }

    /**
     * A body over the limit. The handler answers 413 at once, then {@link #drain()}s: it reads
     * and discards what the client still sends, for a bounded time and amount, before the
     * connection closes. Closing with unread bytes makes the kernel reset the connection, and a
     * client still sending would lose the 413 it has not read yet.
     */
    static final class PayloadTooLargeException extends ApiException {
        private static final long serialVersionUID = 1L;
        /** How long the server keeps reading after a 413. */
        static final Duration DRAIN_TIME = Duration.ofSeconds(3);
        private final transient ServerRequest request;
        private final transient InputStream body;
        private final long drainBytes;

        PayloadTooLargeException(ServerRequest request, InputStream body, long maxBodyBytes) {
            super(Status.REQUEST_ENTITY_TOO_LARGE_413, "PAYLOAD_TOO_LARGE",
                    message(" (" + maxBodyBytes + " bytes)"));
            this.request = request;
            this.body = body;
            this.drainBytes = backstop(maxBodyBytes);
        }

        static String message(String limit) {
            return "The request body is larger than this server accepts" + limit + "; send a "
                    + "smaller image (the model needs only a few hundred pixels a side)";
        }

        /**
         * Discards the rest of the body: for at most {@link #DRAIN_TIME} and at most the
         * {@link #backstop}'s worth of bytes (a chunked body that grows past the backstop also
         * stops Helidon's reader). Nothing is read from a client that asked
         * {@code Expect: 100-continue} and was refused before its body: it sends none, and
         * reading would make Helidon send a {@code 100 Continue} after the 413.
         */
        void drain() {
            if (body == null && request.headers().containsToken(HeaderValues.EXPECT_100)) {
                return;
            }
            Thread drainer = Thread.ofVirtual().name("kodiak-drain").start(() -> {
                try {
                    InputStream in = body != null ? body : request.content().inputStream();
                    byte[] buffer = new byte[16384];
                    long left = drainBytes;
                    for (int n; left > 0 && (n = in.read(buffer, 0,
                            (int) Math.min(buffer.length, left))) > 0; ) {
                        left -= n;
                    }
                } catch (IOException | RuntimeException e) {
                    // the client stopped or sent more than the limit again: just close
                }
            });
            try {
                drainer.join(DRAIN_TIME);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            drainer.interrupt();
        }
    }

    /**
     * Helidon's own body limit: bodies up to it reach the handler, which answers 413 above
     * {@code maxBodyBytes} and drains the rest; Helidon answers larger ones at the headers.
     *
     * @param maxBodyBytes the configured limit
     * @return twice the limit
     */
    static long backstop(long maxBodyBytes) {
        return 2 * maxBodyBytes;
    }

    /** Counts the body's bytes; one over the limit and the request is refused. */
    private static final class LimitedInputStream extends java.io.FilterInputStream {
        private final ServerRequest request;
        private final long limit;
        private long count;

        LimitedInputStream(ServerRequest request, InputStream in, long limit) {
            super(in);
            this.request = request;
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                counted(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                counted(n);
            }
            return n;
        }

        private void counted(int n) {
            count += n;
            if (count > limit) {
                throw new PayloadTooLargeException(request, in, limit);
            }
        }

        @Override
        public void close() {
            // the body stays open: after a 413 it is drained, otherwise Helidon finishes it
        }
    }

    /**
     * Reads the body, giving up after {@code timeout}. The size limit is checked against
     * {@code Content-Length} before reading and by counting while reading (chunked bodies).
     *
     * @param request the HTTP request
     * @param timeout the longest the body may take to arrive
     * @param maxBodyBytes the largest body accepted
     * @return the image and body parameters
     * @throws ApiException 400, 408 ({@link UploadTimeoutException}), 413
     *     ({@link PayloadTooLargeException}) or 415
     */
    static ImageRequest read(ServerRequest request, Duration timeout, long maxBodyBytes) {
        HttpMediaType type = request.headers().contentType().orElseThrow(() -> new ApiException(
                Status.UNSUPPORTED_MEDIA_TYPE_415, "UNSUPPORTED_MEDIA_TYPE",
                "The request has no Content-Type; " + ACCEPTED));
        String media = type.mediaType().text().toLowerCase(Locale.ROOT);
        if (!media.equals("multipart/form-data") && !media.equals("application/json")
                && !media.endsWith("+json") && !media.startsWith("image/")
                && !media.equals("application/octet-stream")) {
            throw new ApiException(Status.UNSUPPORTED_MEDIA_TYPE_415, "UNSUPPORTED_MEDIA_TYPE",
                    "Content-Type " + media + " is not accepted; " + ACCEPTED);
        }
        if (request.headers().contentLength().orElse(0) > maxBodyBytes) {
            throw new PayloadTooLargeException(request, null, maxBodyBytes);
        }
        FutureTask<ImageRequest> task = new FutureTask<>(() -> read(request, type, media,
                maxBodyBytes));
        Thread reader = Thread.ofVirtual().name("kodiak-upload").start(task);
        try {
            return task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new UploadTimeoutException(reader, timeout);
        } catch (InterruptedException e) {
            reader.interrupt();
            Thread.currentThread().interrupt();
            throw ApiException.overloaded("The server is stopping; retry in a second");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private static ImageRequest read(ServerRequest request, HttpMediaType type, String media,
            long maxBodyBytes) {
        try (InputStream body = new LimitedInputStream(request, request.content().inputStream(),
                maxBodyBytes)) {
            if (media.equals("multipart/form-data")) {
                return multipart(body, type.text());
            }
            if (media.equals("application/json") || media.endsWith("+json")) {
                return json(body);
            }
            return new ImageRequest(body.readAllBytes(), Map.of());
        } catch (RequestException e) {
            throw fromHelidon(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Helidon's own limit (max-payload-size) reports 413 as a RequestException. */
    static ApiException fromHelidon(RequestException e) {
        if (e.status().code() == Status.REQUEST_ENTITY_TOO_LARGE_413.code()) {
            return new ApiException(Status.REQUEST_ENTITY_TOO_LARGE_413, "PAYLOAD_TOO_LARGE",
                    PayloadTooLargeException.message(""));
        }
        return ApiException.badRequest("BAD_REQUEST", "The request body could not be read: "
                + e.getMessage());
    }

    private static ImageRequest multipart(InputStream body, String contentType) {
        MimeConfig config = MimeConfig.custom().setMaxHeaderCount(64).setMaxHeaderLen(8192)
                .setMaxLineLen(-1).setStrictParsing(false).build();
        MimeTokenStream parts = new MimeTokenStream(config);
        parts.parseHeadless(body, contentType);
        byte[] image = null;
        Map<String, String> parameters = new LinkedHashMap<>();
        List<String> seen = new ArrayList<>();
        String name = null;
        try {
            for (EntityState state = parts.getState(); state != EntityState.T_END_OF_STREAM;
                    state = parts.next()) {
                switch (state) {
                    case T_START_BODYPART -> name = null;
                    case T_FIELD -> {
                        Field field = parts.getField();
                        if (field.getName().equalsIgnoreCase("Content-Disposition")) {
                            name = dispositionName(field.getBody());
                        }
                    }
                    case T_BODY -> {
                        if (name == null) {
                            break;
                        }
                        seen.add(name);
                        try (InputStream part = parts.getDecodedInputStream()) {
                            if (name.equals("image")) {
                                image = part.readAllBytes();
                            } else if (name.equals("top_k") || name.equals("threshold")
                                    || name.equals("labels")) {
                                parameters.put(name, new String(part.readNBytes(4096),
                                        java.nio.charset.StandardCharsets.UTF_8).trim());
                            } else {
                                part.transferTo(java.io.OutputStream.nullOutputStream());
                            }
                        }
                    }
                    default -> {
                    }
                }
            }
        } catch (MimeException | IOException e) {
            if (e.getCause() instanceof RequestException re) {
                throw fromHelidon(re);
            }
            throw ApiException.badRequest("MALFORMED_MULTIPART", "The multipart body is malformed ("
                    + e.getMessage() + "); " + ACCEPTED);
        }
        if (seen.isEmpty() && image == null) {
            throw ApiException.badRequest("MALFORMED_MULTIPART", "The multipart body has no "
                    + "parts (is the boundary right?); " + ACCEPTED);
        }
        if (image == null) {
            throw ApiException.badRequest("MISSING_FIELD", "The form has no 'image' field (it has "
                    + seen + "); name the file field 'image'");
        }
        return new ImageRequest(image, parameters);
    }

    private static String dispositionName(String disposition) {
        for (String part : disposition.split(";")) {
            String p = part.trim();
            if (p.regionMatches(true, 0, "name=", 0, 5)) {
                String value = p.substring(5).trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                return value;
            }
        }
        return null;
    }

    private static ImageRequest json(InputStream body) {
        JsonObject object;
        try (JsonReader reader = Json.createReader(body)) {
            JsonValue value = reader.readValue();
            if (value.getValueType() != JsonValue.ValueType.OBJECT) {
                throw ApiException.badRequest("INVALID_JSON", "The JSON body must be an object "
                        + "like {\"image\": \"<base64>\"}");
            }
            object = value.asJsonObject();
        } catch (JsonException e) {
            if (e.getCause() instanceof RequestException re) {
                throw fromHelidon(re);
            }
            throw ApiException.badRequest("INVALID_JSON", "The body is not valid JSON ("
                    + e.getMessage() + "); send {\"image\": \"<base64>\"}");
        }
        JsonValue image = object.get("image");
        if (image == null || image.getValueType() != JsonValue.ValueType.STRING) {
            throw ApiException.badRequest("MISSING_FIELD", "The JSON body has no string field "
                    + "'image'; send {\"image\": \"<base64 or data: URL>\"}");
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        for (String key : List.of("top_k", "threshold", "labels")) {
            JsonValue v = object.get(key);
            if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
                continue;
            }
            parameters.put(key, switch (v.getValueType()) {
                case STRING -> ((JsonString) v).getString();
                case NUMBER -> ((JsonNumber) v).toString();
                case ARRAY -> String.join(",", v.asJsonArray().stream()
                        .map(e -> e instanceof JsonString s ? s.getString() : e.toString())
                        .toList());
                default -> v.toString();
            });
        }
        return new ImageRequest(base64(((JsonString) image).getString()), parameters);
    }

    /**
     * Decodes standard or URL-safe base64, optionally inside a {@code data:} URL.
     *
     * @throws ApiException 400 INVALID_BASE64
     */
    static byte[] base64(String text) {
        String data = text.strip();
        if (data.regionMatches(true, 0, "data:", 0, 5)) {
            int comma = data.indexOf(',');
            if (comma < 0 || !data.substring(0, comma).toLowerCase(Locale.ROOT)
                    .endsWith(";base64")) {
                throw ApiException.badRequest("INVALID_BASE64", "The data: URL is not base64 "
                        + "encoded; send data:image/...;base64,<data>");
            }
            data = data.substring(comma + 1);
        }
        data = data.replaceAll("\\s", "");
        try {
            return data.indexOf('-') >= 0 || data.indexOf('_') >= 0
                    ? Base64.getUrlDecoder().decode(data) : Base64.getDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("INVALID_BASE64", "The 'image' field is not valid "
                    + "base64 (" + e.getMessage() + ")");
        }
    }
}
