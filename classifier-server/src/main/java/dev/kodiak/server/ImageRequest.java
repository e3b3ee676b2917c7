package dev.kodiak.server;

import io.helidon.http.HttpMediaType;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.stream.NameValuePair;
import org.apache.james.mime4j.stream.RawBody;
import org.apache.james.mime4j.stream.RawField;
import org.apache.james.mime4j.stream.RawFieldParser;

/**
 * The image of a classify request, parsed from a body in any of the three accepted forms: a
 * multipart form with an {@code image} field, a raw body ({@code image/*} or
 * {@code application/octet-stream}), or JSON {@code {"image": "<base64 or data: URL>"}} (which
 * may also carry {@code top_k}, {@code threshold} and {@code labels}). Pure parsing of bytes
 * already in memory ({@link BodyReader} reads them): bad bodies become {@link ApiException}s
 * with the status and code the API documents, never anything else.
 *
 * @param image the encoded image bytes
 * @param parameters parameters found in the body (JSON and form fields), as text
 */
record ImageRequest(byte[] image, Map<String, String> parameters) {
    /** The accepted forms, for messages. */
    static final String ACCEPTED = "send multipart/form-data with an 'image' field, "
            + "a raw image body (image/jpeg, image/png, ... or application/octet-stream), or "
            + "application/json {\"image\": \"<base64>\"}";

    /**
     * Checks a media type before the body is read.
     *
     * @param media the Content-Type's media type, such as {@code image/png}
     * @throws ApiException 415 if it is not one of the accepted forms
     */
    static void checkMediaType(String media) {
        String m = media.toLowerCase(Locale.ROOT);
        if (!m.equals("multipart/form-data") && !m.equals("application/json")
                && !m.endsWith("+json") && !m.startsWith("image/")
                && !m.equals("application/octet-stream")) {
            throw new ApiException(Status.UNSUPPORTED_MEDIA_TYPE_415, "UNSUPPORTED_MEDIA_TYPE",
                    "Content-Type " + m + " is not accepted; " + ACCEPTED);
        }
    }

    /**
     * Parses a body.
     *
     * @param body the body's bytes
     * @param contentType the request's Content-Type header, parameters included (the multipart
     *     boundary)
     * @return the image and the body's parameters
     * @throws ApiException 400 (malformed multipart or JSON, missing field, bad base64) or 415
     */
    static ImageRequest parse(byte[] body, String contentType) {
        int control = controlCharacter(contentType);
        if (control >= 0) {
            // HTTP forbids them in a field value; mime4j's header parser throws on CR and LF
            throw new ApiException(Status.UNSUPPORTED_MEDIA_TYPE_415, "UNSUPPORTED_MEDIA_TYPE",
                    "Content-Type '" + printable(contentType) + "' cannot be read: it holds the "
                    + "control character U+" + String.format(Locale.ROOT, "%04X", (int)
                    contentType.charAt(control)) + "; " + ACCEPTED);
        }
        HttpMediaType type;
        try {
            type = HttpMediaType.create(contentType);
        } catch (RuntimeException e) {
            throw new ApiException(Status.UNSUPPORTED_MEDIA_TYPE_415, "UNSUPPORTED_MEDIA_TYPE",
                    "Content-Type '" + contentType + "' cannot be read; " + ACCEPTED);
        }
        String media = type.mediaType().text().toLowerCase(Locale.ROOT);
        checkMediaType(media);
        if (media.equals("multipart/form-data")) {
            return multipart(new ByteArrayInputStream(body), contentType);
        }
        if (media.equals("application/json") || media.endsWith("+json")) {
            return json(new ByteArrayInputStream(body));
        }
        return new ImageRequest(body, Map.of());
    }

    /** The index of the first character HTTP forbids in a field value (all C0 but tab, DEL). */
    private static int controlCharacter(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7F) {
                return i;
            }
        }
        return -1;
    }

    /** The value with control characters as '?', and at most 200 characters, for messages. */
    private static String printable(String value) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length() && i < 200; i++) {
            char c = value.charAt(i);
            out.append(c < 0x20 || c == 0x7F ? '?' : c);
        }
        return value.length() > 200 ? out + "..." : out.toString();
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
                            name = dispositionName(field);
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
                                        StandardCharsets.UTF_8).trim());
                            } else {
                                part.transferTo(OutputStream.nullOutputStream());
                            }
                        }
                    }
                    default -> {
                    }
                }
            }
        } catch (MimeException | IOException | RuntimeException e) {
            if (e.getCause() instanceof RequestException re) {
                throw BodyReader.fromHelidon(re);
            }
            if (e instanceof ApiException api) {
                throw api;
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

    /**
     * The {@code name} parameter of a part's Content-Disposition, read by mime4j's field parser:
     * quoted values may hold {@code ;} and {@code =} (a file name like {@code "a;name=x.jpg"}).
     */
    static String dispositionName(Field field) {
        RawBody body = RawFieldParser.DEFAULT.parseRawBody(field instanceof RawField raw ? raw
                : new RawField(field.getName(), field.getBody()));
        for (NameValuePair pair : body.getParams()) {
            if (pair.getName().equalsIgnoreCase("name")) {
                return pair.getValue();
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
        } catch (JsonException | IllegalStateException e) {
            throw ApiException.badRequest("INVALID_JSON", "The body is not valid JSON ("
                    + e.getMessage() + "); send {\"image\": \"<base64>\"}");
        } catch (NumberFormatException e) {
            // Parsson makes a BigDecimal of every number as it reads, and BigDecimal refuses
            // exponents beyond an int (1e4002222222222222) with this, not a JsonException
            throw ApiException.badRequest("INVALID_JSON", "The JSON body holds a number too "
                    + "large to read (" + e.getMessage() + "); send {\"image\": \"<base64>\"} "
                    + "with top_k and threshold as plain numbers");
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
