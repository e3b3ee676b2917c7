package dev.kodiak.server;

import static dev.kodiak.server.TestServer.errorCode;
import static dev.kodiak.server.TestServer.json;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.kodiak.core.Classification;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.core.testing.LosslessPng;
import dev.kodiak.core.topk.Prediction;
import dev.kodiak.core.topk.TopKOptions;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code prepared=model}: an image the widget already resized with the model's input spec is
 * not resized again, so crop and pad models answer as for the original photo.
 */
class PreparedImageTest {
    static final String MODELS = "fashion-mnist=models/fashion-mnist,"
            + "tiny-rgb=testdata/bundles/tiny-rgb,tiny-rgb-pad=testdata/bundles/tiny-rgb-pad,"
            + "tiny-gray-crop=testdata/bundles/tiny-gray-crop,"
            + "tiny-gray-pad=testdata/bundles/tiny-gray-pad";

    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of("KODIAK_MODELS", MODELS));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The photo resized by core as the widget resizes it, as a lossless PNG. */
    static byte[] resizedPng(Classifier classifier, byte[] photo) throws Exception {
        Pixels pixels = classifier.stages().preprocessor().resize(new ImageDecoder().decode(photo,
                classifier.manifest().input().color()));
        return LosslessPng.of(pixels);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-rgb", "tiny-rgb-pad", "tiny-gray-crop", "tiny-gray-pad"})
    void aModelSizedImageGetsTheAnswerForTheOriginal(String model) throws Exception {
        byte[] photo = Fixtures.image("jpeg-exif-6.jpg").bytes();
        try (Classifier local = Classifier.open(Fixtures.bundle(model))) {
            int labels = local.manifest().labels().size();
            Classification expected = local.classify(photo, TopKOptions.DEFAULT.withK(labels));
            byte[] png = resizedPng(local, photo);

            HttpResponse<String> response = server.post("/api/v1/models/" + model
                    + "/classify?prepared=model&top_k=" + labels, "image/png", png);
            assertThat(response.body(), response.statusCode(), is(200));
            JsonObject answer = json(response);
            assertMatches(answer.getJsonArray("predictions"), expected);
            assertThat(answer.getJsonObject("image").getInt("width"),
                    is(local.manifest().input().width()));

            // the same bytes without the flag are resized again: crop models answer otherwise
            JsonArray again = json(server.post("/api/v1/models/" + model + "/classify?top_k="
                    + labels, "image/png", png)).getJsonArray("predictions");
            double difference = Math.abs(again.getJsonObject(0).getJsonNumber("probability")
                    .doubleValue() - expected.predictions().get(0).probability());
            if (model.endsWith("crop") || model.equals("tiny-rgb")) {
                assertThat("resized twice", difference, is(not(closeTo(0, 1e-6))));
            }
        }
    }

    static void assertMatches(JsonArray predictions, Classification expected) {
        assertThat(predictions.size(), is(expected.predictions().size()));
        for (int i = 0; i < predictions.size(); i++) {
            Prediction p = expected.predictions().get(i);
            assertThat(predictions.getJsonObject(i).getString("label"), is(p.label()));
            assertThat(predictions.getJsonObject(i).getJsonNumber("probability").doubleValue(),
                    closeTo(p.probability(), 1e-6));
        }
    }

    @Test
    void anImageOfAnotherSizeIsRefusedNamingTheSizeExpected() throws Exception {
        HttpResponse<String> response = server.post(
                "/api/v1/models/tiny-rgb/classify?prepared=model", "image/png",
                Fixtures.image("png-rgb8.png").bytes());
        assertThat(response.statusCode(), is(422));
        assertThat(errorCode(response), is("WRONG_INPUT_SIZE"));
        assertThat(json(response).getJsonObject("error").getString("message"),
                containsString("The image is 240x160 but model 'tiny-rgb' takes 32x32 images"));
    }

    @Test
    void anUnknownValueIsNamed() throws Exception {
        HttpResponse<String> response = server.post("/api/v1/classify?prepared=yes",
                "image/png", Fixtures.image("png-rgb8.png").bytes());
        assertThat(response.statusCode(), is(400));
        assertThat(errorCode(response), is("INVALID_PARAMETER"));
        assertThat(json(response).getJsonObject("error").getString("message"),
                containsString("prepared is 'yes' but the only value is 'model'"));
    }
}
