package dev.kodiak.core.preprocess;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.blankOrNullString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kodiak.core.bundle.ManifestReader;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the input spec reader ({@link ManifestReader#readInputSpec(String)}, which parses with
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
            spec = ManifestReader.readInputSpec(json);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage(), is(not(blankOrNullString())));
            return;
        }
        PreprocessorFuzzing.applyToSmallImages(spec);
    }
}
