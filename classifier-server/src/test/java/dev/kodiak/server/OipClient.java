package dev.kodiak.server;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A client of the Open Inference Protocol's REST binding, written from the published
 * specification (kserve/open-inference-protocol, and Triton's binary tensor data and
 * classification extensions), as tritonclient behaves: no Content-Type, the binary extension's
 * {@code Inference-Header-Content-Length}, 4-byte little-endian lengths before each BYTES
 * element. It shares no code with the server, so that it tests what the protocol says.
 */
final class OipClient {
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;

    OipClient(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    /** A response: status, headers and body bytes. */
    record Reply(int status, Map<String, List<String>> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }

        /** The JSON part: the whole body, or its first Inference-Header-Content-Length bytes. */
        JsonObject json() {
            String length = header("Inference-Header-Content-Length");
            String json = length == null ? text()
                    : new String(body, 0, Integer.parseInt(length), StandardCharsets.UTF_8);
            return Json.createReader(new StringReader(json)).readObject();
        }

        /** The protocol's error message: the body must be exactly {"error": "<message>"}. */
        String error() {
            JsonObject o = json();
            if (o.size() != 1 || o.get("error").getValueType() != JsonValue.ValueType.STRING) {
                throw new AssertionError("not the protocol's error shape: " + text());
            }
            return o.getString("error");
        }

        /** An output's binary data, found by walking binary_data_size in order. */
        byte[] binary(String output) {
            int at = Integer.parseInt(header("Inference-Header-Content-Length"));
            for (JsonValue v : json().getJsonArray("outputs")) {
                JsonObject o = v.asJsonObject();
                int size = o.getJsonObject("parameters").getInt("binary_data_size");
                if (o.getString("name").equals(output)) {
                    byte[] out = new byte[size];
                    System.arraycopy(body, at, out, 0, size);
                    return out;
                }
                at += size;
            }
            throw new AssertionError("no binary output " + output);
        }
    }

    Reply get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), r.headers().map(), r.body());
    }

    Reply post(String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), r.headers().map(), r.body());
    }

    Reply post(String path, String json, String... headers) throws Exception {
        return post(path, json.getBytes(StandardCharsets.UTF_8), headers);
    }

    /** A JSON inference of image files (BYTES, base64). */
    static String imagesJson(List<byte[]> images, String outputs) {
        StringBuilder data = new StringBuilder();
        for (byte[] image : images) {
            data.append(data.length() == 0 ? "" : ", ").append('"')
                    .append(Base64.getEncoder().encodeToString(image)).append('"');
        }
        return "{\"inputs\": [{\"name\": \"image\", \"datatype\": \"BYTES\", \"shape\": ["
                + images.size() + "], \"data\": [" + data + "]}]"
                + (outputs == null ? "" : ", \"outputs\": " + outputs) + "}";
    }

    /** A binary inference of image files: the JSON header, then the BYTES tensor. */
    static byte[] imagesBinary(List<byte[]> images, String outputs, String id) {
        ByteArrayOutputStream tensor = new ByteArrayOutputStream();
        for (byte[] image : images) {
            tensor.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(image.length).array());
            tensor.writeBytes(image);
        }
        String json = "{" + (id == null ? "" : "\"id\": \"" + id + "\", ")
                + "\"inputs\": [{\"name\": \"image\", \"datatype\": \"BYTES\", \"shape\": ["
                + images.size() + "], \"parameters\": {\"binary_data_size\": " + tensor.size()
                + "}}]" + (outputs == null ? "" : ", \"outputs\": " + outputs) + "}";
        return concat(json.getBytes(StandardCharsets.UTF_8), tensor.toByteArray());
    }

    /** A binary inference of one FP32 tensor [N, C, H, W]. */
    static byte[] tensorBinary(float[] values, long[] shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        String json = "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": "
                + java.util.Arrays.toString(shape) + ", \"parameters\": {\"binary_data_size\": "
                + b.capacity() + "}}], \"outputs\": [{\"name\": \"probabilities\", "
                + "\"parameters\": {\"binary_data\": false}}]}";
        return concat(json.getBytes(StandardCharsets.UTF_8), b.array());
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The header length of a binary request built by the methods above. */
    static String headerLength(byte[] request) {
        int depth = 0;
        for (int i = 0; i < request.length; i++) {
            if (request[i] == '{') {
                depth++;
            } else if (request[i] == '}' && --depth == 0) {
                return Integer.toString(i + 1);
            }
        }
        throw new AssertionError("no JSON header");
    }

    /** FP32 values of a JSON output. */
    static float[] floats(JsonObject output) {
        JsonArray data = output.getJsonArray("data");
        float[] out = new float[data.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) data.getJsonNumber(i).doubleValue();
        }
        return out;
    }

    /** FP32 values of binary data. */
    static float[] floats(byte[] raw) {
        float[] out = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** BYTES elements of binary data. */
    static List<String> strings(byte[] raw) {
        List<String> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            byte[] e = new byte[b.getInt()];
            b.get(e);
            out.add(new String(e, StandardCharsets.UTF_8));
        }
        return out;
    }
}
