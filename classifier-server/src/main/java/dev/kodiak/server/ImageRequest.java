package dev.kodiak.server;

import static dev.kodiak.server.json.JsonP.JSON;

import io.helidon.http.HttpMediaType;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import jakarta.json.JsonException;
import jakarta.json.stream.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.LongConsumer;
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
 * @param otherFields the names of the body's other fields (at most 100), so that a misspelt
 *     parameter can be named
 */
record ImageRequest(byte[] image, Map<String, String> parameters, List<String> otherFields) {
    /** Copies the collections. */
    ImageRequest {
        parameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        otherFields = List.copyOf(otherFields);
    }

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
        return parse(body, contentType, bytes -> { });
    }

    /**
     * Parses a body, reserving the memory of the image's copy (JSON and multipart bodies decode
     * their image into a new array) before it is made.
     *
     * @param body the body's bytes
     * @param contentType the request's Content-Type header, parameters included
     * @param reserve called with the bytes the image's copy will take; it may refuse (503)
     * @return the image and the body's parameters
     * @throws ApiException 400 (malformed multipart or JSON, missing field, bad base64), 415 or
     *     503
     */
    static ImageRequest parse(byte[] body, String contentType, LongConsumer reserve) {
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
            reserve.accept(body.length); // the image part's copy is at most the body
            return multipart(new ByteArrayInputStream(body), contentType);
        }
        if (media.equals("application/json") || media.endsWith("+json")) {
            return json(body, reserve);
        }
        return new ImageRequest(body, Map.of(), List.of());
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
                            } else if (PARAMETERS.contains(name)) {
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
                    + names(seen) + "); name the file field 'image'");
        }
        List<String> others = new ArrayList<>(seen);
        others.removeIf(n -> n.equals("image") || PARAMETERS.contains(n));
        return new ImageRequest(image, parameters, others.subList(0, Math.min(100,
                others.size())));
    }

    /** At most ten part names, each at most 40 characters, for a message of bounded size. */
    static String names(List<String> seen) {
        List<String> shown = new ArrayList<>();
        for (String name : seen.subList(0, Math.min(10, seen.size()))) {
            shown.add(name.length() > 40 ? name.substring(0, 40) + "..." : name);
        }
        return shown + (seen.size() > 10 ? " and " + (seen.size() - 10) + " more parts" : "");
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

    /** Strings longer than this are emptied before the JSON parser sees them. */
    private static final int LONGEST_PARAMETER = 64 * 1024;

    /**
     * A JSON body. The image is found and decoded straight from the body's bytes
     * ({@link JsonImage}); the JSON parser reads the rest as a stream, with every long string
     * emptied, so a 10 MB body costs its decoded image and not ten times itself. Only the
     * parameters Kodiak reads are kept.
     */
    private static ImageRequest json(byte[] body, LongConsumer reserve) {
        JsonImage.Span span = JsonImage.find(body);
        if (span != null && span.count() > 1) {
            throw ApiException.badRequest("INVALID_JSON", "The JSON body has " + span.count()
                    + " 'image' fields; send one: {\"image\": \"<base64>\"}");
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        List<String> others = new ArrayList<>();
        String image = null;
        try (JsonParser parser = JSON.createParser(new ByteArrayInputStream(
                JsonImage.slim(body, LONGEST_PARAMETER)))) {
            if (!parser.hasNext() || parser.next() != JsonParser.Event.START_OBJECT) {
                throw ApiException.badRequest("INVALID_JSON", "The JSON body must be an object "
                        + "like {\"image\": \"<base64>\"}");
            }
            for (JsonParser.Event e = parser.next(); e != JsonParser.Event.END_OBJECT;
                    e = parser.next()) {
                String key = parser.getString();
                JsonParser.Event value = parser.next();
                if (key.equals("image")) {
                    image = value == JsonParser.Event.VALUE_STRING ? parser.getString() : null;
                    skip(parser, value);
                } else if (PARAMETERS.contains(key)) {
                    parameters.put(key, text(parser, value, key));
                } else {
                    if (others.size() < 100) {
                        others.add(key);
                    }
                    skip(parser, value);
                }
            }
            if (parser.hasNext()) {
                parser.next(); // throws: content after the object
                throw ApiException.badRequest("INVALID_JSON", "The JSON body has content after "
                        + "its object; send one object like {\"image\": \"<base64>\"}");
            }
        } catch (JsonException | IllegalStateException | NoSuchElementException e) {
            throw ApiException.badRequest("INVALID_JSON", "The body is not valid JSON ("
                    + e.getMessage() + "); send {\"image\": \"<base64>\"}");
        } catch (NumberFormatException | ArithmeticException | UnsupportedOperationException e) {
            // Parsson makes a BigDecimal of a number it is asked for, and refuses exponents
            // beyond an int (1e4002222222222222) or more than 1100 digits with these, not with a
            // JsonException
            throw ApiException.badRequest("INVALID_JSON", "The JSON body holds a number too "
                    + "large to read (" + e.getMessage() + "); send {\"image\": \"<base64>\"} "
                    + "with top_k and threshold as plain numbers");
        }
        for (Map.Entry<String, String> p : parameters.entrySet()) {
            if (p.getValue() == null) {
                throw ApiException.badRequest("INVALID_PARAMETER", p.getKey() + " in the JSON "
                        + "body must be " + (p.getKey().equals("labels")
                        ? "a string or an array of strings" : "a number") + ", not an object");
            }
        }
        parameters.values().removeIf(String::isEmpty);
        if (image == null) {
            throw ApiException.badRequest("MISSING_FIELD", "The JSON body has no string field "
                    + "'image'; send {\"image\": \"<base64 or data: URL>\"}");
        }
        if (span == null) { // short enough for the parser to have kept it whole
            byte[] text = image.getBytes(StandardCharsets.UTF_8);
            return new ImageRequest(JsonImage.decode(text, new JsonImage.Span(0, text.length, 1),
                    reserve), parameters, others);
        }
        return new ImageRequest(JsonImage.decode(body, span, reserve), parameters, others);
    }

    /** The parameters a classify body may carry. */
    private static final Set<String> PARAMETERS = Set.of("top_k", "threshold", "labels");

    /**
     * A parameter's value as text: a string as it is, a number as written, an array's elements
     * joined by commas, null for JSON null ("not given": empty); null for an object.
     */
    private static String text(JsonParser parser, JsonParser.Event value, String key) {
        return switch (value) {
            case VALUE_STRING, VALUE_NUMBER -> parser.getString();
            case VALUE_TRUE -> "true";
            case VALUE_FALSE -> "false";
            case VALUE_NULL -> "";
            case START_ARRAY -> {
                StringBuilder joined = new StringBuilder();
                for (JsonParser.Event e = parser.next(); e != JsonParser.Event.END_ARRAY;
                        e = parser.next()) {
                    if (e == JsonParser.Event.START_OBJECT || e == JsonParser.Event.START_ARRAY) {
                        skip(parser, e);
                        continue;
                    }
                    if (joined.length() > LONGEST_PARAMETER) {
                        throw ApiException.badRequest("INVALID_PARAMETER", key + " in the JSON "
                                + "body is longer than " + LONGEST_PARAMETER + " characters");
                    }
                    joined.append(joined.length() == 0 ? "" : ",").append(switch (e) {
                        case VALUE_STRING, VALUE_NUMBER -> parser.getString();
                        case VALUE_TRUE -> "true";
                        case VALUE_FALSE -> "false";
                        default -> "null";
                    });
                }
                yield joined.toString();
            }
            default -> {
                skip(parser, value);
                yield null;
            }
        };
    }

    private static void skip(JsonParser parser, JsonParser.Event value) {
        if (value == JsonParser.Event.START_OBJECT) {
            parser.skipObject();
        } else if (value == JsonParser.Event.START_ARRAY) {
            parser.skipArray();
        }
    }
}
