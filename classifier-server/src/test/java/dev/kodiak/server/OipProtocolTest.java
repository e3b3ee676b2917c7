package dev.kodiak.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.testing.Fixtures;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Open Inference Protocol v2 over REST, from the published specification: every route, both
 * encodings (JSON and the binary tensor data extension), the classification extension, batches,
 * bad input, unknown models and versions, and the error shape {@code {"error": "<message>"}}.
 * Requests carry no Content-Type, as tritonclient sends none. Answers are compared, probability
 * by probability, with classifier-core's on the same images.
 */
class OipProtocolTest {
    static TestServer server;
    static OipClient oip;
    static Classifier fashion;
    static byte[] shirt;
    static byte[] boot;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of());
        oip = new OipClient(server.port());
        fashion = Classifier.open(Fixtures.root().resolve("models/fashion-mnist"));
        shirt = Fixtures.image("png-gray8.png").bytes();
        boot = Fixtures.image("jpeg-444.jpg").bytes();
    }

    @AfterAll
    static void stop() {
        server.close();
        fashion.close();
    }

    /** Every label's probability from classifier-core, the reference. */
    private static float[] expected(byte[] image) throws Exception {
        float[] p = new float[fashion.manifest().labels().size()];
        fashion.classify(image, new dev.kodiak.core.topk.TopKOptions(p.length, 0f,
                java.util.Set.of())).predictions().forEach(x -> p[x.index()] = x.probability());
        return p;
    }

    private static void assertProbabilities(float[] actual, List<byte[]> images)
            throws Exception {
        int labels = fashion.manifest().labels().size();
        assertThat(actual.length, is(images.size() * labels));
        for (int i = 0; i < images.size(); i++) {
            float[] want = expected(images.get(i));
            for (int j = 0; j < labels; j++) {
                assertThat("image " + i + " label " + j, (double) actual[i * labels + j],
                        closeTo(want[j], 1e-6));
            }
        }
    }

    @Test
    void serverMetadataNamesTheExtensionsServed() throws Exception {
        for (String path : List.of("/v2", "/v2/")) {
            OipClient.Reply r = oip.get(path);
            assertThat(r.status(), is(200));
            JsonObject m = r.json();
            assertThat(m.getString("name"), is("kodiak"));
            assertThat(m.getString("version"), not(empty().toString()));
            List<String> ext = m.getJsonArray("extensions").getValuesAs(
                    jakarta.json.JsonString::getString);
            assertThat(ext, hasItems("binary_tensor_data", "classification"));
            assertThat("closed unless the admin routes are enabled",
                    ext.contains("model_repository"), is(false));
        }
    }

    @Test
    void healthRoutesAnswer() throws Exception {
        OipClient.Reply live = oip.get("/v2/health/live");
        assertThat(live.status(), is(200));
        assertThat(live.json().getBoolean("live"), is(true));
        OipClient.Reply ready = oip.get("/v2/health/ready");
        assertThat(ready.status(), is(200));
        assertThat(ready.json().getBoolean("ready"), is(true));
        for (String path : List.of("/v2/models/fashion-mnist/ready",
                "/v2/models/fashion-mnist/versions/1/ready")) {
            OipClient.Reply r = oip.get(path);
            assertThat(path, r.status(), is(200));
            assertThat(r.json().getString("name"), is("fashion-mnist"));
            assertThat(r.json().getBoolean("ready"), is(true));
        }
        assertThat(oip.get("/v2/models/nope/ready").status(), is(404));
        assertThat(oip.get("/v2/models/fashion-mnist/versions/9/ready").status(), is(404));
    }

    @Test
    void modelMetadataDescribesTheTensors() throws Exception {
        for (String path : List.of("/v2/models/fashion-mnist",
                "/v2/models/fashion-mnist/versions/1")) {
            OipClient.Reply r = oip.get(path);
            assertThat(path, r.status(), is(200));
            JsonObject m = r.json();
            assertThat(m.getString("name"), is("fashion-mnist"));
            assertThat(m.getJsonArray("versions").getString(0), is("1"));
            assertThat(m.getString("platform"), is("onnxruntime_onnx"));
            JsonArray inputs = m.getJsonArray("inputs");
            assertThat(inputs.getJsonObject(0).getString("name"), is("image"));
            assertThat(inputs.getJsonObject(0).getString("datatype"), is("BYTES"));
            assertThat(inputs.getJsonObject(0).getJsonArray("shape").toString(), is("[-1]"));
            assertThat(inputs.getJsonObject(1).getString("name"), is("input"));
            assertThat(inputs.getJsonObject(1).getString("datatype"), is("FP32"));
            assertThat(inputs.getJsonObject(1).getJsonArray("shape").toString(),
                    is("[-1,1,28,28]"));
            JsonObject out = m.getJsonArray("outputs").getJsonObject(0);
            assertThat(out.getString("name"), is("probabilities"));
            assertThat(out.getString("datatype"), is("FP32"));
            assertThat(out.getJsonArray("shape").toString(), is("[-1,10]"));
        }
        assertThat(oip.get("/v2/models/nope").error(), containsString("No model named 'nope'"));
        assertThat(oip.get("/v2/models/nope").status(), is(404));
        OipClient.Reply v = oip.get("/v2/models/fashion-mnist/versions/2");
        assertThat(v.status(), is(404));
        assertThat(v.error(), containsString("has no version 2"));
        assertThat(oip.get("/v2/models/fashion-mnist/versions/x").status(), is(404));
    }

    @Test
    void jsonInferenceOfABatchOfImageFiles() throws Exception {
        List<byte[]> images = List.of(shirt, boot);
        OipClient.Reply r = oip.post("/v2/models/fashion-mnist/infer",
                "{\"id\": \"req-7\", " + OipClient.imagesJson(images, null).substring(1));
        assertThat(r.text(), r.status(), is(200));
        assertThat(r.header("Content-Type"), containsString("application/json"));
        assertThat(r.header("Inference-Header-Content-Length"), is(nullValue()));
        JsonObject json = r.json();
        assertThat(json.getString("model_name"), is("fashion-mnist"));
        assertThat(json.getString("model_version"), is("1"));
        assertThat(json.getString("id"), is("req-7"));
        JsonObject out = json.getJsonArray("outputs").getJsonObject(0);
        assertThat(out.getString("name"), is("probabilities"));
        assertThat(out.getString("datatype"), is("FP32"));
        assertThat(out.getJsonArray("shape").toString(), is("[2,10]"));
        assertProbabilities(OipClient.floats(out), images);
        // the versioned route answers the same
        OipClient.Reply v = oip.post("/v2/models/fashion-mnist/versions/1/infer",
                OipClient.imagesJson(images, null));
        assertThat(v.status(), is(200));
        assertProbabilities(OipClient.floats(v.json().getJsonArray("outputs")
                .getJsonObject(0)), images);
        // and so does a client that does send a Content-Type
        assertThat(oip.post("/v2/models/fashion-mnist/infer", OipClient.imagesJson(images,
                null), "Content-Type", "application/json").status(), is(200));
    }

    @Test
    void binaryTensorDataInAndOut() throws Exception {
        List<byte[]> images = List.of(boot, shirt, boot);
        byte[] request = OipClient.imagesBinary(images, "[{\"name\": \"probabilities\", "
                + "\"parameters\": {\"binary_data\": true}}]", "b-1");
        OipClient.Reply r = oip.post("/v2/models/fashion-mnist/infer", request,
                "Inference-Header-Content-Length", OipClient.headerLength(request));
        assertThat(r.text(), r.status(), is(200));
        assertThat(r.header("Content-Type"), is("application/octet-stream"));
        JsonObject json = r.json();
        assertThat(json.getString("id"), is("b-1"));
        JsonObject out = json.getJsonArray("outputs").getJsonObject(0);
        assertThat(out.containsKey("data"), is(false));
        assertThat(out.getJsonObject("parameters").getInt("binary_data_size"), is(3 * 10 * 4));
        assertThat(out.getJsonArray("shape").toString(), is("[3,10]"));
        assertProbabilities(OipClient.floats(r.binary("probabilities")), images);
        // binary_data_output asks for every unlisted output in binary
        byte[] all = OipClient.imagesBinary(List.of(boot), null, null);
        String json2 = new String(all, 0, Integer.parseInt(OipClient.headerLength(all)),
                StandardCharsets.UTF_8).replaceFirst("^\\{", "{\"parameters\": "
                + "{\"binary_data_output\": true}, ");
        byte[] body = OipClient.concat(json2.getBytes(StandardCharsets.UTF_8),
                java.util.Arrays.copyOfRange(all, Integer.parseInt(OipClient.headerLength(all)),
                        all.length));
        OipClient.Reply b = oip.post("/v2/models/fashion-mnist/infer", body,
                "Inference-Header-Content-Length", Integer.toString(json2.length()));
        assertThat(b.text(), b.status(), is(200));
        assertProbabilities(OipClient.floats(b.binary("probabilities")), List.of(boot));
    }

    @Test
    void classificationExtension() throws Exception {
        List<byte[]> images = List.of(shirt, boot);
        OipClient.Reply r = oip.post("/v2/models/fashion-mnist/infer", OipClient.imagesJson(
                images, "[{\"name\": \"probabilities\", \"parameters\": "
                + "{\"classification\": 3}}]"));
        assertThat(r.text(), r.status(), is(200));
        JsonObject out = r.json().getJsonArray("outputs").getJsonObject(0);
        assertThat(out.getString("datatype"), is("BYTES"));
        assertThat(out.getJsonArray("shape").toString(), is("[2,3]"));
        List<String> data = out.getJsonArray("data").getValuesAs(
                jakarta.json.JsonString::getString);
        List<String> binary = OipClient.strings(classificationBinary(images).binary(
                "probabilities"));
        assertThat("binary and JSON say the same", binary, is(data));
        for (int i = 0; i < images.size(); i++) {
            float[] want = expected(images.get(i));
            double last = 2;
            for (int j = 0; j < 3; j++) {
                String[] parts = data.get(i * 3 + j).split(":", 3);
                // "score:index:label", score as std::to_string writes it (six decimals)
                assertThat(parts[0], matchesPattern("\\d\\.\\d{6}"));
                int index = Integer.parseInt(parts[1]);
                assertThat(parts[2], is(fashion.manifest().labels().get(index)));
                assertThat(Double.parseDouble(parts[0]), closeTo(want[index], 1e-6));
                assertThat("highest first", Double.parseDouble(parts[0]) <= last, is(true));
                last = Double.parseDouble(parts[0]);
            }
        }
        OipClient.Reply many = oip.post("/v2/models/fashion-mnist/infer", OipClient.imagesJson(
                List.of(boot), "[{\"name\": \"probabilities\", \"parameters\": "
                + "{\"classification\": 50}}]"));
        assertThat("k is capped at the label count", many.json().getJsonArray("outputs")
                .getJsonObject(0).getJsonArray("shape").toString(), is("[1,10]"));
    }

    private static OipClient.Reply classificationBinary(List<byte[]> images) throws Exception {
        byte[] request = OipClient.imagesBinary(images, "[{\"name\": \"probabilities\", "
                + "\"parameters\": {\"classification\": 3, \"binary_data\": true}}]", null);
        return oip.post("/v2/models/fashion-mnist/infer", request,
                "Inference-Header-Content-Length", OipClient.headerLength(request));
    }

    @Test
    void preprocessedTensorsGiveTheSameAnswers() throws Exception {
        float[] a = tensor(shirt);
        float[] b = tensor(boot);
        float[] both = new float[a.length * 2];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        byte[] request = OipClient.tensorBinary(both, new long[] {2, 1, 28, 28});
        OipClient.Reply r = oip.post("/v2/models/fashion-mnist/infer", request,
                "Inference-Header-Content-Length", OipClient.headerLength(request));
        assertThat(r.text(), r.status(), is(200));
        assertProbabilities(OipClient.floats(r.json().getJsonArray("outputs")
                .getJsonObject(0)), List.of(shirt, boot));
        // JSON data, nested as the tensor's shape, is read row-major
        StringBuilder nested = new StringBuilder("[[");
        for (int y = 0; y < 28; y++) {
            nested.append(y == 0 ? "[" : ",[");
            for (int x = 0; x < 28; x++) {
                nested.append(x == 0 ? "" : ",").append(a[y * 28 + x]);
            }
            nested.append(']');
        }
        nested.append("]]");
        OipClient.Reply j = oip.post("/v2/models/fashion-mnist/infer", "{\"inputs\": [{\"name\": "
                + "\"input\", \"datatype\": \"FP32\", \"shape\": [1, 1, 28, 28], \"data\": ["
                + nested + "]}]}");
        assertThat(j.text(), j.status(), is(200));
        assertProbabilities(OipClient.floats(j.json().getJsonArray("outputs")
                .getJsonObject(0)), List.of(shirt));
    }

    /** The model's input for an image, as classifier-core makes it. */
    private static float[] tensor(byte[] image) throws Exception {
        return fashion.stages().preprocessor().apply(fashion.stages().decoder().decode(image,
                fashion.manifest().input().color()));
    }

    @Test
    void aCompressedRequestIsInflated() throws Exception {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(OipClient.imagesJson(List.of(boot), null).getBytes(StandardCharsets.UTF_8));
        }
        OipClient.Reply r = oip.post("/v2/models/fashion-mnist/infer", gz.toByteArray(),
                "Content-Encoding", "gzip");
        assertThat(r.text(), r.status(), is(200));
        assertProbabilities(OipClient.floats(r.json().getJsonArray("outputs")
                .getJsonObject(0)), List.of(boot));
    }

    @Test
    void badRequestsAreProtocolErrors() throws Exception {
        String infer = "/v2/models/fashion-mnist/infer";
        String good = OipClient.imagesJson(List.of(boot), null);
        List<Object[]> cases = new ArrayList<>(List.of(
                new Object[] {"{not json", 400, "not valid"},
                new Object[] {"[1, 2]", 400, "object"},
                new Object[] {"{\"outputs\": []}", 400, "no \"inputs\""},
                new Object[] {"{\"inputs\": []}", 400, "exactly one"},
                new Object[] {good.replace("\"image\"", "\"picture\""), 400,
                        "Unknown input 'picture'"},
                new Object[] {good.replace("\"BYTES\"", "\"INT32\""), 400, "BYTES"},
                new Object[] {good.replace("\"shape\": [1]", "\"shape\": [2]"), 400,
                        "holds 1 elements, not 2"},
                new Object[] {"{\"inputs\": [{\"name\": \"image\", \"datatype\": \"BYTES\", "
                        + "\"shape\": [1], \"data\": [\"not base64!\"]}]}", 400, "base64"},
                new Object[] {OipClient.imagesJson(List.of(boot, "just text".getBytes(
                        StandardCharsets.UTF_8)), null), 415, "Image 2 of 2"},
                new Object[] {good.replace("}]}", "}], \"outputs\": [{\"name\": \"logits\"}]}"),
                        400, "Unknown output 'logits'"},
                new Object[] {"{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", "
                        + "\"shape\": [1, 3, 28, 28], \"data\": [0]}]}", 400, "holds 1"},
                new Object[] {"{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", "
                        + "\"shape\": [1, 1, 2, 2], \"data\": [0, 0, 0, 0]}]}", 400,
                        "takes [N, 1, 28, 28]"},
                new Object[] {"{\"inputs\": [{\"name\": \"image\", \"datatype\": \"BYTES\", "
                        + "\"shape\": [1], \"data\": [\"AA==\"], \"parameters\": "
                        + "{\"binary_data_size\": 4}}]}", 400, "exactly one of"}));
        for (Object[] c : cases) {
            OipClient.Reply r = oip.post(infer, (String) c[0]);
            String what = ((String) c[0]).substring(0, Math.min(60, ((String) c[0]).length()));
            assertThat(what + ": " + r.text(), r.status(), is(c[1]));
            assertThat(what, r.error(), containsString((String) c[2]));
        }
        // binary data that does not add up
        byte[] request = OipClient.imagesBinary(List.of(boot), null, null);
        String header = OipClient.headerLength(request);
        OipClient.Reply missing = oip.post(infer, request);
        assertThat("binary data without the header", missing.status(), is(400));
        missing.error();
        OipClient.Reply extra = oip.post(infer, OipClient.concat(request, new byte[] {1, 2, 3}),
                "Inference-Header-Content-Length", header);
        assertThat(extra.status(), is(400));
        assertThat(extra.error(), containsString("no input's binary_data_size"));
        OipClient.Reply cut = oip.post(infer, java.util.Arrays.copyOf(request,
                request.length - 10), "Inference-Header-Content-Length", header);
        assertThat(cut.status(), is(400));
        cut.error();
        assertThat(oip.post(infer, request, "Inference-Header-Content-Length", "-4").status(),
                is(400));
        // unknown models and versions, wrong methods, wrong paths
        OipClient.Reply unknown = oip.post("/v2/models/nope/infer", good);
        assertThat(unknown.status(), is(404));
        assertThat(unknown.error(), containsString("nope"));
        OipClient.Reply version = oip.post("/v2/models/fashion-mnist/versions/3/infer", good);
        assertThat(version.status(), is(404));
        assertThat(version.error(), containsString("has no version 3"));
        OipClient.Reply method = oip.get(infer);
        assertThat(method.status(), is(405));
        method.error();
        OipClient.Reply path = oip.get("/v2/nothing/here");
        assertThat(path.status(), is(404));
        path.error();
        assertThat("still serving", oip.post(infer, good).status(), is(200));
    }

    @Test
    void theRepositoryRoutesAreClosedUnlessEnabled() throws Exception {
        for (String path : List.of("/v2/repository/index", "/v2/repository/models/x/load",
                "/v2/repository/models/x/unload")) {
            OipClient.Reply r = oip.post(path, "");
            assertThat(path, r.status(), is(403));
            assertThat(r.error(), containsString("kodiak.admin.enabled"));
        }
        assertThat(oip.get("/admin/models").status(), is(403));
    }

    @Test
    void kodiaksOwnAnswersNameTheVersion() throws Exception {
        JsonObject answer = TestServer.json(server.post("/api/v1/classify", "image/png", shirt));
        assertThat(answer.getJsonObject("model").getString("model_version"), is("1"));
        JsonObject model = TestServer.json(server.get("/api/v1/models/fashion-mnist"));
        JsonValue v = model.getJsonArray("versions").get(0);
        assertThat(v.asJsonObject().getString("version"), is("1"));
        assertThat(v.asJsonObject().getString("state"), is("READY"));
        assertThat(server.post("/api/v1/models/fashion-mnist/versions/1/classify", "image/png",
                shirt).statusCode(), is(200));
        assertThat(server.post("/api/v1/models/fashion-mnist/versions/2/classify", "image/png",
                shirt).statusCode(), is(404));
        String metrics = server.get("/observe/metrics").body();
        assertThat(metrics, containsString("model=\"fashion-mnist\""));
        assertThat(metrics, matchesPattern("(?s).*kodiak_predictions_total\\{[^}]*version=\"1\".*"));
        assertThat(metrics.length(), greaterThanOrEqualTo(1));
    }
}
