package dev.kodiak.core.preprocess;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.kodiak.core.bundle.ManifestParser;
import dev.kodiak.core.decode.DecodeException;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every input-spec case gives PIL/torchvision's 8-bit pixels bit for bit and the same tensor
 * within 1e-6, starting from PIL's decoded pixels and, end to end, from the encoded file.
 */
class PreprocessParityTest {
    static final float TENSOR_TOLERANCE = 1e-6f;

    record Case(String id, String image, InputSpec spec, String resized, String tensor) {
        @Override
        public String toString() {
            return id + " (" + image.substring(image.lastIndexOf('/') + 1) + ")";
        }
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (JsonElement e : Fixtures.preprocessCases()) {
            JsonObject o = e.getAsJsonObject();
            cases.add(new Case(o.get("id").getAsString(), o.get("image").getAsString(),
                    ManifestParser.parseInputSpec(o.get("spec").toString()),
                    o.get("resized").getAsString(), o.get("tensor").getAsString()));
        }
        return cases;
    }

    private static Fixtures.Image imageOf(Case c) {
        return Fixtures.image(c.image().substring(c.image().lastIndexOf('/') + 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void resizedPixelsAreBitIdenticalToPil(Case c) {
        Pixels source = imageOf(c).pil(c.spec().color());
        Pixels resized = new Preprocessor(c.spec()).resize(source);

        assertThat(resized.width() + "x" + resized.height(),
                is(c.spec().width() + "x" + c.spec().height()));
        byte[] expected = Fixtures.gunzip(c.resized());
        byte[] actual = resized.data();
        int differing = 0;
        int first = -1;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                differing++;
                first = first < 0 ? i : first;
            }
        }
        assertThat("values differing from PIL (first at " + first + ")", differing, is(0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void tensorMatchesTorchvision(Case c) {
        float[] tensor = new Preprocessor(c.spec()).apply(imageOf(c).pil(c.spec().color()));
        assertThat(maxDifference(Fixtures.floats(c.tensor()), tensor),
                lessThanOrEqualTo(TENSOR_TOLERANCE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void endToEndFromTheEncodedFile(Case c) throws DecodeException {
        Fixtures.Image image = imageOf(c);
        Pixels decoded = new ImageDecoder().decode(image.bytes(), c.spec().color());
        float[] tensor = new Preprocessor(c.spec()).apply(decoded);
        // every source is decoded bit-exactly (see DecodeTest), so the tolerance stays 1e-6
        assertThat(maxDifference(Fixtures.floats(c.tensor()), tensor),
                lessThanOrEqualTo(TENSOR_TOLERANCE));
    }

    static float maxDifference(float[] expected, float[] actual) {
        assertThat("tensor length", actual.length, is(expected.length));
        float max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
        }
        return max;
    }
}
