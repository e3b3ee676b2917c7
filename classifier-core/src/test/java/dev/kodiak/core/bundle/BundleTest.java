package dev.kodiak.core.bundle;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.testing.Fixtures;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every way a bundle can be broken gives a typed error naming the file and the fix. */
class BundleTest {
    @TempDir
    Path tmp;

    /** A copy of the tiny bundle with its manifest edited. */
    private Path bundleWith(Consumer<JsonObject> edit) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bundle"));
        Path source = Fixtures.tinyBundle();
        for (String file : new String[] {"model.pt", "model.onnx"}) {
            Files.copy(source.resolve(file), dir.resolve(file));
        }
        JsonObject manifest = JsonParser.parseString(
                Files.readString(source.resolve("kodiak.json"))).getAsJsonObject();
        edit.accept(manifest);
        Files.writeString(dir.resolve("kodiak.json"), manifest.toString());
        return dir;
    }

    private static BundleException failure(Path bundle) {
        return assertThrows(BundleException.class, () -> Classifier.open(bundle).close());
    }

    @Test
    void theShippedBundlesOpen() throws Exception {
        try (Bundle bundle = Bundle.open(Fixtures.defaultBundle())) {
            Manifest m = bundle.manifest();
            assertThat(m.name(), is("fashion-mnist"));
            assertThat(m.labels().size(), is(10));
            assertThat(m.output(), is(ModelOutput.LOGITS));
            assertThat(m.modelSha256().length(), is(64));
            assertThat(m.provenance().accuracy().correct() > 9000, is(true));
            assertThat(m.provenance().torchVersion().startsWith("1.13"), is(true));
        }
    }

    @Test
    void missingBundle() {
        BundleException e = failure(tmp.resolve("nowhere"));
        assertThat(e.problem(), is(BundleException.Problem.MISSING_FILE));
        assertThat(e.getMessage(), containsString("No model bundle at " + tmp.resolve("nowhere")
                + "; pass a directory holding kodiak.json"));
    }

    @Test
    void missingModelFile() throws IOException {
        Path dir = bundleWith(m -> { });
        Files.delete(dir.resolve("model.pt"));
        BundleException e = failure(dir);
        assertThat(e.problem(), is(BundleException.Problem.MISSING_FILE));
        assertThat(e.file(), is(dir.resolve("model.pt")));
        assertThat(e.getMessage(), containsString("copy the whole bundle directory"));
    }

    @Test
    void checksumMismatch() throws IOException {
        Path dir = bundleWith(m -> { });
        try (OutputStream out = Files.newOutputStream(dir.resolve("model.pt"),
                java.nio.file.StandardOpenOption.APPEND)) {
            out.write(0);
        }
        BundleException e = failure(dir);
        assertThat(e.problem(), is(BundleException.Problem.CHECKSUM_MISMATCH));
        assertThat(e.getMessage(), containsString("model.pt has sha256 "));
        assertThat(e.getMessage(), containsString("the file is damaged or was replaced"));
    }

    @Test
    void unknownFormatVersion() throws IOException {
        BundleException e = failure(bundleWith(m -> m.addProperty("kodiak_bundle", 2)));
        assertThat(e.problem(), is(BundleException.Problem.UNSUPPORTED_FORMAT_VERSION));
        assertThat(e.getMessage(), containsString("declares bundle format version 2 but this "
                + "Kodiak reads version 1"));
    }

    @Test
    void everyManifestProblemIsListedAtOnce() throws IOException {
        BundleException e = failure(bundleWith(m -> {
            m.remove("name");
            m.getAsJsonObject("input").addProperty("interpolation", "cubic");
            m.getAsJsonObject("input").add("mean", new JsonArray());
            m.getAsJsonObject("model").addProperty("output", "scores");
            m.getAsJsonObject("provenance").add("exporter", new JsonArray());
        }));
        assertThat(e.problem(), is(BundleException.Problem.INVALID_MANIFEST));
        for (String part : new String[] {"name is missing", "model.output must be \"logits\" or "
                + "\"probabilities\", not 'scores'", "input.interpolation: Invalid interpolation: "
                + "'cubic'", "provenance.exporter must be"}) {
            assertThat(e.getMessage(), containsString(part));
        }
        assertThat("each problem once", e.getMessage().split("provenance.exporter").length,
                is(2));
    }

    /** What is wrong with a manifest that is not JSON, in words, not the parser's tokens. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            {"name":                 | is not valid JSON: the text ends too soon at line 1, column 9
            {name: "x"}              | is not valid JSON: this is not strict JSON (names and strings need double quotes; true, false and null are written out) at line 1, column 3
            {"name" "x"}             | is not valid JSON: expected ':' after a name at line 1, column 10
            {"name": "x",}           | is not valid JSON: expected a name in double quotes at line 1, column 15
            {"name": "x" "labels"}   | is not valid JSON: expected ',' or '}' after a value at line 1, column 15
            {"labels": ["a" "b"]}    | is not valid JSON: expected ',' or ']' after a value at line 1, column 18
            ["name"]                 | must hold a JSON object ({...}), not an array
            "fashion"                | must hold a JSON object ({...}), not a string
            """)
    void notJson(String text, String why) throws IOException {
        Path dir = bundleWith(m -> { });
        Files.writeString(dir.resolve("kodiak.json"), text);
        BundleException e = failure(dir);
        assertThat(e.problem(), is(BundleException.Problem.INVALID_MANIFEST));
        assertThat(e.getMessage(), containsString("kodiak.json " + why));
        for (String parserWord : new String[] {"Exception", "setStrictness", "BEGIN_", "http",
            "path $"}) {
            assertThat(e.getMessage(), not(containsString(parserWord)));
        }
    }

    @Test
    void labelCountDiffersFromModelOutput() throws IOException {
        BundleException e = failure(bundleWith(m -> m.getAsJsonArray("labels").add("purple")));
        assertThat(e.problem(), is(BundleException.Problem.LABEL_COUNT_MISMATCH));
        assertThat(e.getMessage(), is("kodiak.json lists 4 labels but the model outputs 3 "
                + "scores; list exactly one label per output, in output order, for bundle "
                + "'tiny-rgb'"));
    }

    @Test
    void inputSpecTheModelRejects() throws IOException {
        BundleException e = failure(bundleWith(m -> {
            m.getAsJsonObject("input").addProperty("width", 48);
            m.getAsJsonObject("input").addProperty("height", 48);
            m.getAsJsonObject("input").addProperty("resize_shorter", 48);
        }));
        assertThat(e.problem(), is(BundleException.Problem.MODEL_REJECTED));
        assertThat(e.getMessage(), containsString("rejects a 1x3x48x48 tensor"));
        assertThat(e.getMessage(), containsString("set input.color, width and height"));
    }

    @Test
    void zipBundleOpensAndCleansUp() throws Exception {
        Path zip = tmp.resolve("tiny.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip));
             Stream<Path> files = Files.list(Fixtures.tinyBundle())) {
            for (Path f : files.toList()) {
                out.putNextEntry(new ZipEntry("tiny-rgb/" + f.getFileName()));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        try (Classifier classifier = Classifier.open(zip)) {
            assertThat(classifier.manifest().name(), is("tiny-rgb"));
        }
        Path unpacked;
        try (Bundle bundle = Bundle.open(zip)) {
            unpacked = bundle.directory();
            assertThat(Files.exists(unpacked.resolve("model.pt")), is(true));
        }
        assertThat("unpacked copy deleted on close", Files.exists(unpacked), is(false));
    }

    @Test
    void zipThatEscapesItsFolderIsRefused() throws IOException {
        Path zip = tmp.resolve("evil.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new ZipEntry("../../escaped.txt"));
            out.write(1);
            out.closeEntry();
        }
        BundleException e = assertThrows(BundleException.class, () -> Bundle.open(zip));
        assertThat(e.problem(), is(BundleException.Problem.UNREADABLE));
        assertThat(e.getMessage(), containsString("points outside the bundle"));
        assertThat(Files.exists(tmp.getParent().resolve("escaped.txt")), is(false));
    }

    @Test
    void aFileThatIsNoZip() throws IOException {
        Path file = Files.writeString(tmp.resolve("model.zip"), "not a zip");
        BundleException e = assertThrows(BundleException.class, () -> Bundle.open(file));
        assertThat(e.problem(), is(BundleException.Problem.UNREADABLE));
        assertThat(e.getMessage(), containsString("is not a zip file"));
    }
}
