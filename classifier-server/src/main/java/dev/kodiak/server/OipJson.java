package dev.kodiak.server;

import static dev.kodiak.server.json.JsonP.JSON;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonException;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.stream.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.LongConsumer;

/**
 * The Open Inference Protocol's REST encoding of an inference: the JSON request and response,
 * and the binary tensor data extension (a JSON header of {@code Inference-Header-Content-Length}
 * bytes, then each binary tensor's bytes in order: little-endian values, and for {@code BYTES}
 * each element as a 4-byte little-endian length and its bytes).
 *
 * <p>In JSON, a {@code BYTES} element of the {@code image} input is the file's bytes in base64
 * (JSON strings are text). Long strings are never made into Java strings: as for Kodiak's own
 * JSON bodies ({@link JsonImage}), they are emptied before the JSON parser sees the document and
 * their base64 is decoded straight from the body, so a request of base64 images costs about its
 * decoded images, not ten times its size.
 *
 * <p>Stateless and thread-safe.
 */
final class OipJson {
    /** Strings longer than this are decoded from the body, not by the JSON parser. */
    private static final int LONG_STRING = 4096;

    private OipJson() {
    }

    /**
     * Decodes a request.
     *
     * @param body the request body, decompressed
     * @param headerLength the {@code Inference-Header-Content-Length}, or -1 when absent (the
     *     whole body is JSON)
     * @param model the model named in the path
     * @param version the version named in the path, 0 for none
     * @param routingKey the {@code kodiak-routing-key} header, or null
     * @param reserve called with the bytes about to be allocated for tensors (may refuse: 503)
     * @return the request
     * @throws ApiException 400 naming what is malformed
     */
    static OipInference.Request read(byte[] body, int headerLength, String model, int version,
            String routingKey, LongConsumer reserve) {
        if (headerLength > body.length) {
            throw ApiException.badRequest("INVALID_REQUEST", "Inference-Header-Content-Length is "
                    + headerLength + " but the body has only " + body.length + " bytes");
        }
        int jsonLength = headerLength < 0 ? body.length : headerLength;
        Reader r = new Reader(body, jsonLength, reserve);
        try {
            r.document();
        } catch (JsonException | IllegalStateException | NoSuchElementException
                | NumberFormatException | ArithmeticException | UnsupportedOperationException e) {
            throw ApiException.badRequest("INVALID_JSON", "The request's JSON is not valid ("
                    + e.getMessage() + ")");
        }
        List<OipInference.Tensor> inputs = r.binaryInputs(jsonLength);
        return new OipInference.Request(model, version, r.id, inputs, r.outputs,
                r.binaryOutput, routingKey);
    }

    /** An input as read from JSON: its data, or where its binary data is. */
    private static final class Input {
        String name;
        String datatype;
        long[] shape;
        long binarySize = -1;
        List<byte[]> bytes;
        float[] floats;
        int floatCount;
        boolean hasData;
    }

    /** Walks the JSON with a streaming parser; every string token is counted. */
    private static final class Reader {
        private final byte[] body;
        private final LongConsumer reserve;
        private final Map<Integer, int[]> longStrings = new HashMap<>();
        private final JsonParser parser;
        private int strings;
        String id = "";
        boolean binaryOutput;
        final List<Input> inputs = new ArrayList<>();
        final List<OipInference.Wanted> outputs = new ArrayList<>();
        private final List<Pending> pending = new ArrayList<>();

        /** A requested output whose binary flag may still default to the request's. */
        private record Pending(String name, int classification, Boolean binary) {
        }

        Reader(byte[] body, int jsonLength, LongConsumer reserve) {
            this.body = body;
            this.reserve = reserve;
            this.parser = JSON.createParser(new ByteArrayInputStream(slim(body, jsonLength,
                    longStrings)));
        }

        private JsonParser.Event next() {
            JsonParser.Event e = parser.next();
            if (e == JsonParser.Event.KEY_NAME || e == JsonParser.Event.VALUE_STRING) {
                strings++;
            }
            return e;
        }

        void document() {
            if (!parser.hasNext() || next() != JsonParser.Event.START_OBJECT) {
                throw ApiException.badRequest("INVALID_JSON", "The request must be a JSON "
                        + "object with \"inputs\"");
            }
            boolean sawInputs = false;
            for (JsonParser.Event e = next(); e != JsonParser.Event.END_OBJECT; e = next()) {
                String key = parser.getString();
                JsonParser.Event value = next();
                switch (key) {
                    case "id" -> {
                        expect(value, JsonParser.Event.VALUE_STRING, "id", "a string");
                        id = parser.getString();
                    }
                    case "parameters" -> parameters(value, "parameters", p -> {
                        if (p.equals("binary_data_output")) {
                            binaryOutput = bool();
                            return true;
                        }
                        return false;
                    });
                    case "inputs" -> {
                        sawInputs = true;
                        expect(value, JsonParser.Event.START_ARRAY, "inputs", "an array");
                        for (JsonParser.Event i = next(); i != JsonParser.Event.END_ARRAY;
                                i = next()) {
                            expect(i, JsonParser.Event.START_OBJECT, "inputs[]", "an object");
                            inputs.add(input());
                        }
                    }
                    case "outputs" -> {
                        expect(value, JsonParser.Event.START_ARRAY, "outputs", "an array");
                        for (JsonParser.Event o = next(); o != JsonParser.Event.END_ARRAY;
                                o = next()) {
                            expect(o, JsonParser.Event.START_OBJECT, "outputs[]", "an object");
                            pending.add(output());
                        }
                    }
                    default -> skip(value);
                }
            }
            if (parser.hasNext()) {
                next();
                throw ApiException.badRequest("INVALID_JSON", "The request has content after "
                        + "its JSON object; with binary data, send Inference-Header-Content-Length");
            }
            if (!sawInputs) {
                throw ApiException.badRequest("INVALID_REQUEST", "The request has no \"inputs\"");
            }
            for (Pending p : pending) {
                outputs.add(new OipInference.Wanted(p.name(), p.classification(),
                        p.binary() != null ? p.binary() : binaryOutput));
            }
        }

        private Input input() {
            Input in = new Input();
            for (JsonParser.Event e = next(); e != JsonParser.Event.END_OBJECT; e = next()) {
                String key = parser.getString();
                JsonParser.Event value = next();
                switch (key) {
                    case "name" -> {
                        expect(value, JsonParser.Event.VALUE_STRING, "inputs[].name", "a string");
                        in.name = parser.getString();
                    }
                    case "datatype" -> {
                        expect(value, JsonParser.Event.VALUE_STRING, "inputs[].datatype",
                                "a string");
                        in.datatype = parser.getString();
                    }
                    case "shape" -> in.shape = shape(value);
                    case "parameters" -> parameters(value, "inputs[].parameters", p -> {
                        if (p.equals("binary_data_size")) {
                            in.binarySize = whole("binary_data_size");
                            return true;
                        }
                        return false;
                    });
                    case "data" -> {
                        in.hasData = true;
                        if (in.datatype == null) {
                            // data before datatype: both forms are read, the right one kept
                            in.datatype = "";
                        }
                        data(in, value);
                    }
                    default -> skip(value);
                }
            }
            if (in.name == null || in.datatype == null || in.shape == null) {
                throw ApiException.badRequest("INVALID_INPUT", "Every input needs \"name\", "
                        + "\"datatype\" and \"shape\"");
            }
            if (in.hasData == (in.binarySize >= 0)) {
                throw ApiException.badRequest("INVALID_INPUT", "Input '" + in.name + "' must "
                        + "give exactly one of \"data\" and parameters.binary_data_size");
            }
            return in;
        }

        private Pending output() {
            String name = null;
            int[] classification = {0};
            Boolean[] binary = {null};
            for (JsonParser.Event e = next(); e != JsonParser.Event.END_OBJECT; e = next()) {
                String key = parser.getString();
                JsonParser.Event value = next();
                if (key.equals("name")) {
                    expect(value, JsonParser.Event.VALUE_STRING, "outputs[].name", "a string");
                    name = parser.getString();
                } else if (key.equals("parameters")) {
                    parameters(value, "outputs[].parameters", p -> {
                        if (p.equals("binary_data")) {
                            binary[0] = bool();
                            return true;
                        }
                        if (p.equals("classification")) {
                            long k = whole("classification");
                            if (k < 1 || k > 1_000_000) {
                                throw ApiException.badRequest("INVALID_OUTPUT", "classification "
                                        + "must be a count from 1, not " + k);
                            }
                            classification[0] = (int) k;
                            return true;
                        }
                        return false;
                    });
                } else {
                    skip(value);
                }
            }
            if (name == null) {
                throw ApiException.badRequest("INVALID_OUTPUT", "Every requested output needs a "
                        + "\"name\"");
            }
            return new Pending(name, classification[0], binary[0]);
        }

        /** A parameters object: known keys are read by {@code known}, the rest skipped. */
        private void parameters(JsonParser.Event value, String where,
                java.util.function.Predicate<String> known) {
            expect(value, JsonParser.Event.START_OBJECT, where, "an object");
            for (JsonParser.Event e = next(); e != JsonParser.Event.END_OBJECT; e = next()) {
                String key = parser.getString();
                JsonParser.Event v = next();
                current = v;
                if (!known.test(key)) {
                    skip(v);
                }
            }
        }

        private JsonParser.Event current;

        private boolean bool() {
            if (current == JsonParser.Event.VALUE_TRUE) {
                return true;
            }
            if (current == JsonParser.Event.VALUE_FALSE) {
                return false;
            }
            throw ApiException.badRequest("INVALID_REQUEST", "A boolean parameter is not true "
                    + "or false");
        }

        private long whole(String name) {
            if (current != JsonParser.Event.VALUE_NUMBER || !parser.isIntegralNumber()) {
                throw ApiException.badRequest("INVALID_REQUEST", name + " must be a whole "
                        + "number");
            }
            try {
                return Long.parseLong(parser.getString());
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("INVALID_REQUEST", name + " is too large");
            }
        }

        private long[] shape(JsonParser.Event value) {
            expect(value, JsonParser.Event.START_ARRAY, "inputs[].shape", "an array");
            long[] dims = new long[8];
            int n = 0;
            for (JsonParser.Event e = next(); e != JsonParser.Event.END_ARRAY; e = next()) {
                current = e;
                long d = whole("shape");
                if (d < 0) {
                    throw ApiException.badRequest("INVALID_INPUT", "A shape's dimensions are "
                            + "0 or more, not " + d);
                }
                if (n == dims.length) {
                    throw ApiException.badRequest("INVALID_INPUT", "A shape has at most "
                            + dims.length + " dimensions");
                }
                dims[n++] = d;
            }
            return Arrays.copyOf(dims, n);
        }

        /** The data of an input, flattened: strings for BYTES, numbers for FP32. */
        private void data(Input in, JsonParser.Event value) {
            if (value != JsonParser.Event.START_ARRAY) {
                throw ApiException.badRequest("INVALID_INPUT", "Input data must be an array "
                        + "(flat or nested, row-major)");
            }
            int depth = 1;
            while (depth > 0) {
                JsonParser.Event e = next();
                switch (e) {
                    case START_ARRAY -> depth++;
                    case END_ARRAY -> depth--;
                    case VALUE_STRING -> {
                        if (in.bytes == null) {
                            in.bytes = new ArrayList<>();
                        }
                        in.bytes.add(base64(in));
                    }
                    case VALUE_NUMBER -> addFloat(in, parser.getString());
                    default -> throw ApiException.badRequest("INVALID_INPUT", "Input '" + in.name
                            + "' data holds " + e + "; give image files as base64 strings "
                            + "(BYTES) or numbers (FP32)");
                }
            }
        }

        private byte[] base64(Input in) {
            int[] span = longStrings.get(strings);
            try {
                if (span != null) {
                    return JsonImage.decode(body, new JsonImage.Span(span[0], span[1], 1),
                            reserve);
                }
                byte[] text = parser.getString().getBytes(StandardCharsets.UTF_8);
                return JsonImage.decode(text, new JsonImage.Span(0, text.length, 1), reserve);
            } catch (ApiException e) {
                throw ApiException.badRequest("INVALID_BASE64", "Input '" + in.name + "' element "
                        + ((in.bytes == null ? 0 : in.bytes.size()) + 1) + " is not a base64 "
                        + "image file: " + e.getMessage());
            }
        }

        private void addFloat(Input in, String text) {
            if (in.floats == null) {
                in.floats = new float[1024];
                reserve.accept(4096);
            } else if (in.floatCount == in.floats.length) {
                reserve.accept(4L * in.floats.length);
                in.floats = Arrays.copyOf(in.floats, in.floats.length * 2);
            }
            float f = Float.parseFloat(text);
            if (!Float.isFinite(f)) {
                throw ApiException.badRequest("INVALID_INPUT", "Input '" + in.name + "' holds "
                        + "a value that is not a finite float: " + (text.length() > 40
                        ? text.substring(0, 40) + "..." : text));
            }
            in.floats[in.floatCount++] = f;
        }

        private void skip(JsonParser.Event value) {
            if (value == JsonParser.Event.START_OBJECT || value == JsonParser.Event.START_ARRAY) {
                int depth = 1;
                while (depth > 0) {
                    JsonParser.Event e = next();
                    if (e == JsonParser.Event.START_OBJECT || e == JsonParser.Event.START_ARRAY) {
                        depth++;
                    } else if (e == JsonParser.Event.END_OBJECT
                            || e == JsonParser.Event.END_ARRAY) {
                        depth--;
                    }
                }
            }
        }

        private static void expect(JsonParser.Event got, JsonParser.Event want, String field,
                String what) {
            if (got != want) {
                throw ApiException.badRequest("INVALID_REQUEST", field + " must be " + what);
            }
        }

        /** The inputs with their binary data cut from the body after the JSON. */
        List<OipInference.Tensor> binaryInputs(int jsonLength) {
            int at = jsonLength;
            List<OipInference.Tensor> tensors = new ArrayList<>();
            for (Input in : inputs) {
                String type = in.datatype.toUpperCase(java.util.Locale.ROOT);
                if (in.binarySize >= 0) {
                    if (in.binarySize > body.length - at) {
                        throw ApiException.badRequest("INVALID_INPUT", "Input '" + in.name
                                + "' has binary_data_size " + in.binarySize + " but only "
                                + (body.length - at) + " bytes of binary data are left");
                    }
                    int size = (int) in.binarySize;
                    if (type.equals("BYTES")) {
                        in.bytes = OipTensors.elements(in.name,
                                java.nio.ByteBuffer.wrap(body, at, size), reserve);
                    } else if (type.equals("FP32")) {
                        in.floats = OipTensors.floats(in.name,
                                java.nio.ByteBuffer.wrap(body, at, size), reserve);
                        in.floatCount = in.floats.length;
                    } else {
                        throw unsupported(in);
                    }
                    at += size;
                }
                if (type.equals("BYTES")) {
                    if (in.bytes == null) {
                        in.bytes = List.of();
                    }
                    tensors.add(new OipInference.Tensor(in.name, type, in.shape, in.bytes, null));
                } else if (type.equals("FP32")) {
                    float[] f = in.floats == null ? new float[0]
                            : Arrays.copyOf(in.floats, in.floatCount);
                    tensors.add(new OipInference.Tensor(in.name, type, in.shape, null, f));
                } else {
                    throw unsupported(in);
                }
            }
            if (at != body.length && jsonLength != body.length) {
                throw ApiException.badRequest("INVALID_INPUT", "The body has " + (body.length - at)
                        + " bytes of binary data that no input's binary_data_size accounts for");
            }
            return tensors;
        }

        private static ApiException unsupported(Input in) {
            return ApiException.badRequest("INVALID_INPUT", "Input '" + in.name + "' is "
                    + in.datatype + "; Kodiak's models take BYTES (image files) or FP32 "
                    + "(preprocessed tensors)");
        }
    }

    /**
     * The JSON part with every string longer than {@link #LONG_STRING} emptied; their spans are
     * recorded by the string's ordinal among all string tokens (names and values), in document
     * order, which is the order a streaming parser meets them in.
     */
    private static byte[] slim(byte[] body, int length, Map<Integer, int[]> spans) {
        ByteArrayOutputStream out = null;
        int from = 0;
        int ordinal = 0;
        for (int at = 0; at < length; at++) {
            if (body[at] != '"') {
                continue;
            }
            ordinal++;
            int end = at + 1;
            while (end < length && body[end] != '"') {
                end += body[end] == '\\' ? 2 : 1;
            }
            end = Math.min(end, length);
            if (end - at - 1 > LONG_STRING) {
                if (out == null) {
                    out = new ByteArrayOutputStream();
                }
                out.write(body, from, at + 1 - from);
                spans.put(ordinal, new int[] {at + 1, end});
                from = end;
            }
            at = end;
        }
        if (out == null) {
            return length == body.length ? body : Arrays.copyOf(body, length);
        }
        out.write(body, from, length - from);
        return out.toByteArray();
    }

    /**
     * Encodes a response: JSON, with the binary outputs' bytes after it.
     *
     * @param response the answer
     * @return the JSON header's length and the whole body
     */
    static Encoded write(OipInference.Response response) {
        JsonObjectBuilder root = JSON.createObjectBuilder()
                .add("model_name", response.model().name())
                .add("model_version", response.model().versionText());
        if (!response.id().isEmpty()) {
            root.add("id", response.id());
        }
        JsonArrayBuilder outputs = JSON.createArrayBuilder();
        List<byte[]> blobs = new ArrayList<>();
        boolean binary = false;
        for (OipInference.Output o : response.outputs()) {
            JsonArrayBuilder shape = JSON.createArrayBuilder();
            for (long d : o.shape()) {
                shape.add(d);
            }
            JsonObjectBuilder out = JSON.createObjectBuilder().add("name", o.name())
                    .add("datatype", o.datatype()).add("shape", shape);
            if (o.binary()) {
                byte[] blob = o.floats() != null ? OipTensors.floats(o.floats())
                        : OipTensors.serialize(o.bytes());
                out.add("parameters", JSON.createObjectBuilder().add("binary_data_size",
                        blob.length));
                blobs.add(blob);
                binary = true;
            } else {
                JsonArrayBuilder data = JSON.createArrayBuilder();
                if (o.floats() != null) {
                    for (float f : o.floats()) {
                        data.add(dev.kodiak.server.json.Responses.number(f));
                    }
                } else {
                    for (byte[] b : o.bytes()) {
                        data.add(new String(b, StandardCharsets.UTF_8));
                    }
                }
                out.add("data", data);
            }
            outputs.add(out);
        }
        root.add("outputs", outputs);
        byte[] json = root.build().toString().getBytes(StandardCharsets.UTF_8);
        if (!binary) {
            return new Encoded(json, -1);
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(json);
        blobs.forEach(all::writeBytes);
        return new Encoded(all.toByteArray(), json.length);
    }

    /**
     * An encoded response.
     *
     * @param body the bytes to send
     * @param headerLength the JSON part's length when binary data follows it, else -1
     */
    record Encoded(byte[] body, int headerLength) {
    }

}
