package dev.kodiak.core.preprocess;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.blankOrNullString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kodiak.core.bundle.ManifestParser;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the input spec reader ({@link ManifestParser#parseInputSpec(String)}, which parses with
 * Gson and reads with {@link InputSpecReader}) on any text, and {@link Preprocessor} on every
 * spec it accepts.
 *
 * <p>The contract: a spec, or an {@link IllegalArgumentException} with a message naming the
 * problem; never another exception. A spec that reads builds a {@link Preprocessor} whose
 * {@link Preprocessor#apply(Pixels)} turns small images of both modes and shapes into tensors
 * of {@link InputSpec#tensorSize()} finite floats.
 *
 * <p>Regression mode runs the committed inputs in
 * {@code src/test/resources/dev/kodiak/core/preprocess/InputSpecFuzzTestInputs/readAndApply/}.
 */
class InputSpecFuzzTest {
    @FuzzTest(maxDuration = "10m")
    @DictionaryFile(resourcePath = "/dev/kodiak/core/manifest.dict")
    @Timeout(10)
    void readAndApply(byte[] bytes) {
        String json = new String(bytes, StandardCharsets.UTF_8);
        InputSpec spec;
        try {
            spec = ManifestParser.parseInputSpec(json);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage(), is(not(blankOrNullString())));
            return;
        }
        PreprocessorFuzzing.applyToSmallImages(spec);
    }

    /**
     * Found while writing this test, not by the fuzzer in its 10 minutes: the reader took any
     * resize_shorter, and a spec of two billion then failed on every image in the
     * preprocessor, blaming the image. The input is a committed regression input too.
     */
    @Test
    void anAbsurdResizeShorterIsRefusedByTheReader() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ManifestParser.parseInputSpec("{\"color\": \"RGB\", \"width\": 4, "
                        + "\"height\": 4, \"resize\": \"crop\", \"resize_shorter\": 2000000000, "
                        + "\"interpolation\": \"nearest\", \"mean\": [0, 0, 0], "
                        + "\"std\": [1, 1, 1]}"));
        assertThat(e.getMessage(), is("Invalid input spec: input.resize_shorter 2000000000 must "
                + "be at most 16384 (it is the shorter side before the centre crop: 256 for "
                + "torchvision's Resize(256) + CenterCrop(224))"));
        InputSpec largest = ManifestParser.parseInputSpec("{\"color\": \"L\", \"width\": 8, "
                + "\"height\": 8, \"resize\": \"crop\", \"resize_shorter\": 16384, "
                + "\"interpolation\": \"bilinear\", \"mean\": [0], \"std\": [1]}");
        PreprocessorFuzzing.applyToSmallImages(largest);
    }
}
