package dev.kodiak.server;

import static dev.kodiak.server.TestServer.errorCode;
import static dev.kodiak.server.TestServer.json;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

import dev.kodiak.core.Classification;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.core.topk.Prediction;
import dev.kodiak.core.topk.TopKOptions;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The API against a real server: every input form, every documented answer and error. */
class ApiTest {
    static TestServer server;
    static Classifier fashion;
    static Classifier tiny;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of());
        fashion = Classifier.open(Fixtures.defaultBundle());
        tiny = Classifier.open(Fixtures.tinyBundle());
    }

    @AfterAll
    static void stop() {
        server.close();
        fashion.close();
        tiny.close();
    }

    static Stream<Arguments> modesAndImages() {
        return Stream.of("png-rgb8.png", "jpeg-baseline.jpg", "webp-lossless.webp",
                        "gif-palette.gif", "jpeg-exif-6.jpg")
                .flatMap(image -> Stream.of("multipart", "raw", "json-base64", "json-data-url")
                        .map(mode -> Arguments.of(mode, image)));
    }

    private static HttpResponse<String> send(String mode, String path, byte[] image)
            throws Exception {
        String base64 = Base64.getEncoder().encodeToString(image);
        return switch (mode) {
            case "multipart" -> server.postMultipart(path, "image", "photo.bin", image);
            case "raw" -> server.post(path, "image/jpeg", image);
            case "json-base64" -> server.postJson(path, "{\"image\": \"" + base64 + "\"}");
            default -> server.postJson(path, "{\"image\": \"data:image/png;base64," + base64
                    + "\"}");
        };
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("modesAndImages")
    void everyInputFormGivesCoresAnswer(String mode, String name) throws Exception {
        byte[] image = Fixtures.image(name).bytes();
        for (String model : List.of("fashion-mnist", "tiny-rgb")) {
            HttpResponse<String> response = send(mode,
                    "/api/v1/models/" + model + "/classify?top_k=3", image);
            assertThat(response.body(), response.statusCode(), is(200));
            Classifier local = model.equals("tiny-rgb") ? tiny : fashion;
            assertMatches(json(response), local.classify(image, TopKOptions.DEFAULT.withK(3)));
        }
    }

    static void assertMatches(JsonObject answer, Classification expected) {
        JsonArray predictions = answer.getJsonArray("predictions");
        assertThat(predictions.size(), is(expected.predictions().size()));
        for (int i = 0; i < predictions.size(); i++) {
            Prediction p = expected.predictions().get(i);
            JsonObject got = predictions.getJsonObject(i);
            assertThat(got.getString("label"), is(p.label()));
            assertThat(got.getJsonNumber("probability").doubleValue(),
                    closeTo(p.probability(), 1e-6));
        }
        assertThat(answer.getBoolean("unsure"), is(expected.unsure()));
    }

    @Test
    void answerCarriesModelIdentityImageSizeAndTimings() throws Exception {
        JsonObject answer = json(server.post("/api/v1/classify", "image/png",
                Fixtures.image("png-exif-6.png").bytes()));
        JsonObject model = answer.getJsonObject("model");
        assertThat(model.getString("name"), is("fashion-mnist"));
        assertThat(model.getString("version"), is("1.0.0"));
        assertThat(model.getString("sha256"), is(fashion.manifest().modelSha256()));
        // stored 120x180 with EXIF orientation 6: upright it is 180x120
        assertThat(answer.getJsonObject("image").getInt("width"), is(180));
        assertThat(answer.getJsonObject("image").getInt("height"), is(120));
        JsonObject timings = answer.getJsonObject("timings_ms");
        for (String key : List.of("queue_wait", "decode", "preprocess", "inference", "total")) {
            assertThat(key, timings.getJsonNumber(key).doubleValue() >= 0, is(true));
        }
        assertThat(timings.getJsonNumber("total").doubleValue()
                >= timings.getJsonNumber("inference").doubleValue(), is(true));
        assertThat(answer.getJsonArray("predictions").size(), is(5));
    }

    @Test
    void predictAnswersLikeTheSeedDjangoEndpoint() throws Exception {
        byte[] image = Fixtures.image("png-gray8.png").bytes();
        // the request body of seed story 002's React client: {"image": <base64>}
        String body = "{\"image\":\"" + Base64.getEncoder().encodeToString(image) + "\"}";
        HttpResponse<String> response = server.postJson("/predict", body);
        assertThat(response.statusCode(), is(200));
        JsonObject answer = json(response);
        assertThat(answer.keySet(), is(java.util.Set.of("predictions")));
        JsonObject predictions = answer.getJsonObject("predictions");
        assertThat(List.copyOf(predictions.keySet()), is(fashion.manifest().labels()));
        Classification expected = fashion.classify(image, TopKOptions.DEFAULT.withK(10));
        double sum = 0;
        for (Prediction p : expected.predictions()) {
            double got = predictions.getJsonNumber(p.label()).doubleValue();
            assertThat(p.label(), got, closeTo(p.probability(), 1e-6));
            sum += got;
        }
        assertThat(sum, closeTo(1.0, 1e-4));
    }

    @Test
    void parametersShapeTheAnswer() throws Exception {
        byte[] image = Fixtures.image("png-rgb8.png").bytes();
        JsonObject all = json(server.post("/api/v1/classify?top_k=10", "image/png", image));
        assertThat(all.getJsonArray("predictions").size(), is(10));
        String second = all.getJsonArray("predictions").getJsonObject(1).getString("label");
        JsonObject only = json(server.post("/api/v1/classify?labels="
                + java.net.URLEncoder.encode(second + ",Bag", StandardCharsets.UTF_8),
                "image/png", image));
        assertThat(only.getJsonArray("predictions").size(), is(2));
        JsonObject unsure = json(server.post("/api/v1/classify?threshold=1", "image/png", image));
        assertThat(unsure.getBoolean("unsure"), is(true));
        JsonObject viaJson = json(server.postJson("/api/v1/classify", "{\"image\":\""
                + Base64.getEncoder().encodeToString(image) + "\",\"top_k\":2,\"threshold\":0}"));
        assertThat(viaJson.getJsonArray("predictions").size(), is(2));
    }

    @Test
    void modelsAreListedAndDescribed() throws Exception {
        JsonObject list = json(server.get("/api/v1/models"));
        assertThat(list.getString("default"), is("fashion-mnist"));
        assertThat(list.getJsonArray("models").size(), is(2));
        JsonObject model = json(server.get("/api/v1/models/fashion-mnist"));
        assertThat(model.getJsonArray("labels").size(), is(10));
        assertThat(model.getJsonObject("input").getString("color"), is("L"));
        assertThat(model.getJsonObject("input").getInt("width"), is(28));
        assertThat(model.getJsonObject("provenance").getJsonObject("accuracy").getInt("correct"),
                is(fashion.manifest().provenance().accuracy().correct()));
        assertThat(model.getString("output"), is("logits"));
    }

    @Test
    void openApiIsServed() throws Exception {
        HttpResponse<String> response = server.get("/openapi.yaml");
        assertThat(response.statusCode(), is(200));
        assertThat(response.body(), startsWith("openapi: 3.0"));
        for (String path : List.of("/api/v1/models:", "/api/v1/models/{name}:",
                "/api/v1/models/{name}/classify:",
                "/api/v1/models/{name}/versions/{version}/classify:", "/api/v1/classify:",
                "/predict:", "model_version:")) {
            assertThat(response.body(), containsString(path));
        }
    }

    static Stream<Arguments> badRequests() {
        byte[] png = Fixtures.image("png-small.png").bytes();
        return Stream.of(
                Arguments.of("bad base64", "application/json",
                        "{\"image\": \"not*base64!\"}".getBytes(StandardCharsets.UTF_8), 400,
                        "INVALID_BASE64"),
                Arguments.of("data URL without base64", "application/json",
                        "{\"image\": \"data:image/png,abc\"}".getBytes(StandardCharsets.UTF_8), 400,
                        "INVALID_BASE64"),
                Arguments.of("bad JSON", "application/json",
                        "{\"image\": ".getBytes(StandardCharsets.UTF_8), 400, "INVALID_JSON"),
                Arguments.of("JSON array", "application/json",
                        "[1,2]".getBytes(StandardCharsets.UTF_8), 400, "INVALID_JSON"),
                Arguments.of("missing field", "application/json",
                        "{\"picture\": \"abc\"}".getBytes(StandardCharsets.UTF_8), 400,
                        "MISSING_FIELD"),
                Arguments.of("image not a string", "application/json",
                        "{\"image\": 42}".getBytes(StandardCharsets.UTF_8), 400, "MISSING_FIELD"),
                Arguments.of("text/plain", "text/plain", png, 415, "UNSUPPORTED_MEDIA_TYPE"),
                Arguments.of("form-urlencoded", "application/x-www-form-urlencoded", png, 415,
                        "UNSUPPORTED_MEDIA_TYPE"),
                Arguments.of("no content type", null, png, 415, "UNSUPPORTED_MEDIA_TYPE"),
                Arguments.of("multipart without boundary", "multipart/form-data", png, 400,
                        "MALFORMED_MULTIPART"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void malformedRequestsGetAClearErrorAndTheServerGoesOn(String what, String type, byte[] body,
            int status, String code) throws Exception {
        HttpResponse<String> response = server.post("/api/v1/classify", type, body);
        assertThat(response.body(), response.statusCode(), is(status));
        assertThat(errorCode(response), is(code));
        assertThat(response.headers().firstValue("Content-Type").orElse(""),
                startsWith("application/json"));
        assertStillServing();
    }

    static List<Fixtures.Image> hostile() {
        return Fixtures.hostile();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void hostileImagesGetTheirStatus(Fixtures.Image image) throws Exception {
        Map<String, Integer> statuses = Map.of("EMPTY", 400, "NOT_AN_IMAGE", 415,
                "UNSUPPORTED_FORMAT", 415, "TOO_LARGE", 422, "CORRUPT", 422);
        Map<String, String> codes = Map.of("EMPTY", "EMPTY_IMAGE", "NOT_AN_IMAGE", "NOT_AN_IMAGE",
                "UNSUPPORTED_FORMAT", "UNSUPPORTED_FORMAT", "TOO_LARGE", "IMAGE_TOO_LARGE",
                "CORRUPT", "UNDECODABLE_IMAGE");
        for (String mode : List.of("raw", "multipart", "json-base64")) {
            HttpResponse<String> response = send(mode, "/api/v1/classify", image.bytes());
            assertThat(mode + ": " + response.body(), response.statusCode(),
                    is(statuses.get(image.error())));
            assertThat(errorCode(response), is(codes.get(image.error())));
        }
        assertStillServing();
    }

    @Test
    void badParametersAreNamed() throws Exception {
        byte[] png = Fixtures.image("png-small.png").bytes();
        Map<String, String> cases = Map.of(
                "top_k=0", "top_k is '0' but must be a whole number from 1 to 1000",
                "top_k=abc", "top_k is 'abc'",
                "threshold=2", "threshold is '2' but must be a probability from 0 to 1",
                "threshold=nan", "threshold is 'nan'",
                "labels=Hat,Bag", "Unknown labels [Hat]");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            HttpResponse<String> response = server.post("/api/v1/classify?" + c.getKey(),
                    "image/png", png);
            assertThat(c.getKey(), response.statusCode(), is(400));
            assertThat(json(response).getJsonObject("error").getString("message"),
                    containsString(c.getValue()));
        }
    }

    @Test
    void unknownModelRouteAndMethod() throws Exception {
        HttpResponse<String> model = server.post("/api/v1/models/cats/classify", "image/png",
                Fixtures.image("png-small.png").bytes());
        assertThat(model.statusCode(), is(404));
        assertThat(errorCode(model), is("MODEL_NOT_FOUND"));
        assertThat(json(model).getJsonObject("error").getString("message"),
                containsString("[fashion-mnist, tiny-rgb]"));
        HttpResponse<String> route = server.get("/api/v1/nothing");
        assertThat(route.statusCode(), is(404));
        assertThat(errorCode(route), is("NOT_FOUND"));
        HttpResponse<String> method = server.get("/api/v1/classify");
        assertThat(method.statusCode(), is(405));
        assertThat(errorCode(method), is("METHOD_NOT_ALLOWED"));
        for (String openapi : new String[] {"/openapi.yaml", "/api/v1/openapi.yaml"}) {
            HttpResponse<String> post = server.post(openapi, "text/plain", new byte[] {1});
            assertThat(openapi, post.statusCode(), is(405));
            assertThat(server.get(openapi).body(), containsString("openapi: 3"));
        }
    }

    @Test
    void healthAndMetrics() throws Exception {
        HttpResponse<String> ready = server.get("/observe/health/ready");
        assertThat(ready.statusCode(), is(200));
        assertThat(json(ready).getString("status"), is("UP"));
        assertThat(server.get("/observe/health/live").statusCode(), is(200));
        server.post("/api/v1/classify", "image/png", Fixtures.image("png-small.png").bytes());
        String metrics = server.get("/observe/metrics").body();
        for (String line : List.of("kodiak_requests_total{", "route=\"/api/v1/classify\"",
                "status=\"200\"", "kodiak_request_duration_seconds_bucket{",
                "kodiak_predictions_total{", "kodiak_top_probability_bucket{",
                "kodiak_queue_depth{", "kodiak_batch_size_bucket{", "kodiak_queue_wait_seconds")) {
            assertThat(metrics, containsString(line));
        }
    }

    static void assertStillServing() throws Exception {
        ApiTestSupport.assertServing(server);
    }
}
