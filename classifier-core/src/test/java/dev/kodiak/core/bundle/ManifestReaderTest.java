package dev.kodiak.core.bundle;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.core.testing.MapJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The manifest's model files, runtimes and probe, read alike through any JSON parser. */
class ManifestReaderTest {
    private static final Path FILE = Path.of("kodiak.json");

    private static JsonObject tiny() throws Exception {
        return JsonParser.parseString(Files.readString(Fixtures.tinyBundle()
                .resolve("kodiak.json"))).getAsJsonObject();
    }

    private static Manifest read(Consumer<JsonObject> edit) throws Exception {
        JsonObject m = tiny();
        edit.accept(m);
        return ManifestParser.parse(m.toString(), FILE);
    }

    private static BundleException invalid(Consumer<JsonObject> edit) throws Exception {
        JsonObject m = tiny();
        edit.accept(m);
        return assertThrows(BundleException.class, () -> ManifestParser.parse(m.toString(), FILE));
    }

    @Test
    void theExportersManifestHasBothFormatsAllRuntimesAndAProbe() throws Exception {
        Manifest m = read(x -> { });
        assertThat(m.modelFile(ModelFormat.TORCHSCRIPT).orElseThrow(), is("model.pt"));
        assertThat(m.modelFile(ModelFormat.ONNX).orElseThrow(), is("model.onnx"));
        assertThat(m.runtimes(), contains("pytorch", "onnxruntime", "onnxruntime-web"));
        Probe probe = m.probe().orElseThrow();
        assertThat(probe.size(), is(2));
        assertThat(probe.classes(), is(3));
        assertThat(m.modelSha256(), is(m.files().get("model.pt")));
    }

    @Test
    void anOlderManifestWithoutOnnxStillReads() throws Exception {
        Manifest m = read(x -> {
            x.getAsJsonObject("model").remove("onnx");
            x.remove("runtimes");
            x.remove("probe");
            x.getAsJsonObject("files").remove("model.onnx");
        });
        assertThat(m.runtimes(), contains("pytorch"));
        assertThat(m.probe().isPresent(), is(false));
        assertThat(m.modelFile(ModelFormat.ONNX).isPresent(), is(false));
    }

    @Test
    void anOnnxOnlyManifestServesOnnxRuntimes() throws Exception {
        Manifest m = read(x -> {
            x.getAsJsonObject("model").remove("file");
            x.getAsJsonObject("model").remove("format");
            x.remove("runtimes");
            x.getAsJsonObject("files").remove("model.pt");
        });
        assertThat(m.runtimes(), contains("onnxruntime", "onnxruntime-web"));
        assertThat(m.modelSha256(), is(m.files().get("model.onnx")));
    }

    @Test
    void runtimesMustBeKnownAndBackedByAFile() throws Exception {
        BundleException e = invalid(x -> {
            x.getAsJsonObject("model").remove("onnx");
            JsonArray runtimes = new JsonArray();
            runtimes.add("onnxruntime");
            runtimes.add("tensorflow");
            x.add("runtimes", runtimes);
        });
        assertThat(e.problem(), is(BundleException.Problem.INVALID_MANIFEST));
        assertThat(e.getMessage(), containsString("runtimes[0] 'onnxruntime' needs a onnx model "
                + "file, which the manifest does not list"));
        assertThat(e.getMessage(), containsString("runtimes[1] must be one of [pytorch, "
                + "onnxruntime, onnxruntime-web], not 'tensorflow'"));
    }

    @Test
    void aManifestWithoutAnyModelFileIsRefused() throws Exception {
        BundleException e = invalid(x -> {
            x.getAsJsonObject("model").remove("file");
            x.getAsJsonObject("model").remove("onnx");
            x.remove("runtimes");
        });
        assertThat(e.getMessage(), containsString("model has no model file"));
    }

    @Test
    void everyProbeProblemIsNamed() throws Exception {
        BundleException e = invalid(x -> {
            JsonObject probe = x.getAsJsonObject("probe");
            probe.addProperty("generator", "mt19937");
            probe.add("seeds", new Gson().toJsonTree(List.of("one", 2)));
            probe.getAsJsonArray("outputs").set(1, new Gson().toJsonTree("no"));
        });
        assertThat(e.getMessage(), containsString("probe.generator 'mt19937' is unknown"));
        assertThat(e.getMessage(), containsString("probe.seeds must be whole numbers"));
        assertThat(e.getMessage(), containsString("probe.outputs[1] must be an array of numbers"));
    }

    @Test
    void aProbeRowPerSeed() throws Exception {
        BundleException e = invalid(x -> x.getAsJsonObject("probe").getAsJsonArray("outputs")
                .remove(1));
        assertThat(e.getMessage(), containsString("probe: Invalid probe: 2 seeds for 1 output "
                + "rows"));
    }

    @Test
    void anyParserReadsTheSameManifest() throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> plain = new Gson().fromJson(tiny(), Map.class);
        Manifest viaMaps = ManifestReader.read(new MapJson(plain));
        Manifest viaGson = read(x -> { });
        assertThat(viaMaps.labels(), is(viaGson.labels()));
        assertThat(viaMaps.input(), is(viaGson.input()));
        assertThat(viaMaps.runtimes(), is(viaGson.runtimes()));
        assertThat(viaMaps.probe(), is(viaGson.probe()));
        assertThat(viaMaps.files(), is(viaGson.files()));

        plain.put("kodiak_bundle", 7.0);
        InvalidManifestException e = assertThrows(InvalidManifestException.class,
                () -> ManifestReader.read(new MapJson(plain)));
        assertThat(e.formatVersion(), is(7));
        assertThat(e.getMessage(), containsString("declares bundle format version 7"));
    }

    /** The tiny bundle's probe as this exporter writes probes: images resized from a source. */
    private static void resizeProbe(JsonObject x) {
        JsonObject probe = x.getAsJsonObject("probe");
        probe.addProperty("generator", "lcg32-resize");
        probe.add("source", new Gson().toJsonTree(Map.of("width", 52, "height", 39)));
        probe.add("misses", new Gson().toJsonTree(List.of("mean", "interpolation")));
    }

    @Test
    void aResizeProbeHasItsSourceSizeAndTheFieldsItMisses() throws Exception {
        Manifest m = read(ManifestReaderTest::resizeProbe);
        Probe probe = m.probe().orElseThrow();
        assertThat(probe.generator(), is("lcg32-resize"));
        assertThat(probe.source().orElseThrow(), is(new Probe.Source(52, 39)));
        assertThat(probe.misses(), contains("mean", "interpolation"));
        JsonObject json = tiny();
        resizeProbe(json);
        @SuppressWarnings("unchecked")
        Map<String, Object> plain = new Gson().fromJson(json, Map.class);
        assertThat(ManifestReader.read(new MapJson(plain)).probe(), is(m.probe()));
        // an older probe misses nothing it knows of
        assertThat(read(x -> { }).probe().orElseThrow().misses(), is(List.of()));
    }

    @Test
    void aResizeProbeNeedsAValidSourceAndFieldNames() throws Exception {
        BundleException missing = invalid(x -> {
            resizeProbe(x);
            x.getAsJsonObject("probe").remove("source");
        });
        assertThat(missing.getMessage(), containsString("probe.source is missing"));
        BundleException bad = invalid(x -> {
            resizeProbe(x);
            x.getAsJsonObject("probe").getAsJsonObject("source").addProperty("width", 0);
            x.getAsJsonObject("probe").add("misses", new Gson().toJsonTree(List.of(1)));
        });
        assertThat(bad.getMessage(), containsString("probe.source: Invalid probe source 0x39"));
        assertThat(bad.getMessage(), containsString("probe.misses must be an array of input "
                + "spec field names"));
    }
}
