package dev.kodiak.core.bundle;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.blankOrNullString;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.oneOf;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kodiak.core.preprocess.PreprocessorFuzzing;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes {@link ManifestParser#parse(String, Path)} (Gson, then the shared checks of
 * {@link ManifestReader#read(dev.kodiak.core.fields.JsonFields)}) on any text.
 *
 * <p>The contract: a {@link Manifest}, or a {@link BundleException} whose problem is
 * {@code INVALID_MANIFEST} or {@code UNSUPPORTED_FORMAT_VERSION} and whose message names the file;
 * never another exception. A manifest that reads has an input spec that builds a
 * {@code Preprocessor} and preprocesses small images.
 *
 * <p>Regression mode runs the committed inputs in
 * {@code src/test/resources/dev/kodiak/core/bundle/ManifestReaderFuzzTestInputs/read/}: the
 * test bundles' manifests and every input the fuzzer found a fault with.
 */
class ManifestReaderFuzzTest {
    private static final Path FILE = Path.of("fuzzed", Manifest.FILE_NAME);

    @FuzzTest(maxDuration = "10m")
    @DictionaryFile(resourcePath = "/dev/kodiak/core/manifest.dict")
    @Timeout(10)
    void read(byte[] bytes) {
        String json = new String(bytes, StandardCharsets.UTF_8);
        Manifest manifest;
        try {
            manifest = ManifestParser.parse(json, FILE);
        } catch (BundleException e) {
            assertThat(e.problem(), is(oneOf(BundleException.Problem.INVALID_MANIFEST,
                    BundleException.Problem.UNSUPPORTED_FORMAT_VERSION)));
            assertThat(e.getMessage(), is(not(blankOrNullString())));
            assertThat(e.getMessage(), containsString(FILE.toString()));
            return;
        }
        assertThat(manifest.name(), is(notNullValue()));
        assertThat(manifest.labels().isEmpty(), is(false));
        assertThat(manifest.input(), is(notNullValue()));
        PreprocessorFuzzing.applyToSmallImages(manifest.input());
    }

    /** Found by this test: the smallest float as a std made every tensor value infinite. */
    @Test
    void aStdSoSmallThatTensorsOverflowIsAnInvalidManifest() throws IOException {
        String json;
        try (InputStream in = ManifestReaderFuzzTest.class.getResourceAsStream(
                "ManifestReaderFuzzTestInputs/read/crash-std-1e-45-infinite-tensor.json")) {
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        BundleException e = assertThrows(BundleException.class,
                () -> ManifestParser.parse(json, FILE));
        assertThat(e.problem(), is(BundleException.Problem.INVALID_MANIFEST));
        assertThat(e.getMessage(), startsWith("Invalid " + FILE + ": input.mean 0.0 and std "
                + "1.4E-45 make pixel 255's tensor value Infinity: a std that small (or a mean "
                + "that large) overflows a float; use the statistics of the training data; "));
    }
}
