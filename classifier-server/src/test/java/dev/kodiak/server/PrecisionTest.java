package dev.kodiak.server;

import static dev.kodiak.server.TestServer.json;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import dev.kodiak.core.Classification;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.ClassifierConfig;
import dev.kodiak.core.bundle.Precision;
import dev.kodiak.core.testing.Fixtures;
import jakarta.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code kodiak.precision}: the default model's {@code model.int8.onnx} answers when asked, and
 * answers and metrics say which precision answered.
 */
class PrecisionTest {
    private static final Map<String, String> ONLY_DEFAULT = Map.of("KODIAK_MODELS",
            "fashion-mnist=models/fashion-mnist");

    @Test
    void answersAndMetricsSayWhichPrecisionAnswered() throws Exception {
        byte[] image = Fixtures.image("png-gray8.png").bytes();
        for (Precision precision : new Precision[] {Precision.FP32, Precision.INT8}) {
            Map<String, String> env = new java.util.HashMap<>(ONLY_DEFAULT);
            if (precision == Precision.INT8) {
                env.put("KODIAK_PRECISION", "int8");
            }
            try (TestServer server = TestServer.start(env);
                    Classifier local = Classifier.open(ClassifierConfig.builder(
                            Fixtures.defaultBundle()).precision(precision).warmupRuns(0)
                            .build())) {
                JsonObject answer = json(server.post("/api/v1/classify", "image/png", image));
                assertThat(answer.getJsonObject("model").getString("precision"),
                        is(precision.id()));
                Classification expected = local.classify(image);
                assertThat(answer.getJsonArray("predictions").getJsonObject(0)
                        .getString("label"), is(expected.top().label()));
                assertThat(answer.getJsonArray("predictions").getJsonObject(0)
                        .getJsonNumber("probability").doubleValue(),
                        org.hamcrest.Matchers.closeTo(expected.top().probability(), 1e-5));
                String metrics = server.get("/observe/metrics").body();
                assertThat(metrics, containsString("precision=\"" + precision.id() + "\""));
                OipClient.Reply oip = new OipClient(server.port()).post(
                        "/v2/models/fashion-mnist/infer",
                        OipClient.imagesJson(java.util.List.of(image), null));
                assertThat(oip.text(), oip.json().getJsonObject("parameters")
                        .getString("precision"), is(precision.id()));
                JsonObject model = json(server.get("/api/v1/models/fashion-mnist"));
                assertThat(model.getJsonArray("precisions").toString(), is("[\"fp32\",\"int8\"]"));
                assertThat(model.getJsonObject("provenance").getJsonObject("int8")
                        .getInt("total"), is(10000));
            }
        }
    }
}
