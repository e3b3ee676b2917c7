package dev.kodiak.core.bundle;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Preprocessor;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The open-time verdict the JVM and the browser share: a runtime that gives one score per label
 * and the probe's scores within tolerance may answer; anything else is refused with a reason.
 */
class ModelCheckTest {
    private static final InputSpec SPEC = InputSpec.builder(4, 3).color(ColorMode.L).build();
    private static final float[][] PYTORCH = {{1f, -2f, 0.5f}, {0.25f, 3f, -1f}};

    private static Manifest manifest(Probe probe) {
        return new Manifest(Manifest.FORMAT_VERSION, "tiny", "1.0.0", "",
                Map.of(ModelFormat.ONNX, "model.onnx"), ModelOutput.LOGITS,
                List.of(Manifest.RUNTIME_ONNXRUNTIME), List.of("a", "b", "c"), SPEC, null,
                Map.of("model.onnx", "0".repeat(64)), Optional.ofNullable(probe));
    }

    private static ModelCheck check(Probe probe) {
        return new ModelCheck(manifest(probe), new Preprocessor(SPEC));
    }

    @Test
    void theProbesBatchIsItsNoiseImagesThroughTheTensorStep() {
        Probe probe = new Probe(new int[] {7, 8}, 1e-3, PYTORCH);
        ModelCheck check = check(probe);
        assertThat(check.batchSize(), is(2));
        assertThat(check.input(), is(probe.input(new Preprocessor(SPEC))));
        ModelCheck none = check(null);
        assertThat(none.batchSize(), is(1));
        assertThat(none.input().length, is(SPEC.tensorSize()));
    }

    @Test
    void scoresWithinTheToleranceMayAnswer() {
        ModelCheck check = check(new Probe(new int[] {7, 8}, 1e-3, PYTORCH));
        ModelCheck.Verdict ok = check.judge("onnxruntime", "model.onnx",
                new float[][] {{1.0005f, -2f, 0.5f}, {0.25f, 3f, -1f}});
        assertThat(ok.ok(), is(true));
        assertThat(ok.difference().largest() > 0, is(true));
        // the flat form (the browser's) is the same verdict
        ModelCheck.Verdict flat = check.judge("onnxruntime-web", "model.onnx",
                new float[] {1.0005f, -2f, 0.5f, 0.25f, 3f, -1f});
        assertThat(flat.ok(), is(true));
    }

    @Test
    void aDifferenceBeyondTheToleranceIsAProbeFailureNamingWhere() {
        ModelCheck check = check(new Probe(new int[] {7, 8}, 1e-3, PYTORCH));
        ModelCheck.Verdict bad = check.judge("onnxruntime", "model.onnx",
                new float[][] {{1f, -2f, 0.5f}, {0.25f, 3.25f, -1f}});
        assertThat(bad.failure(), is(ModelCheck.Failure.PROBE));
        assertThat(bad.message(), containsString("onnxruntime disagrees with PyTorch on the "
                + "bundle's probe: score 1 of probe image 2 differs by 0.250 (allowed "
                + "0.00300)"));
        assertThat(bad.message(), containsString("model.onnx does not compute what was "
                + "exported"));
        ModelCheck.Verdict nan = check.judge("onnxruntime", "model.onnx",
                new float[][] {{Float.NaN, -2f, 0.5f}, {0.25f, 3f, -1f}});
        assertThat(nan.failure(), is(ModelCheck.Failure.PROBE));
    }

    @Test
    void anotherNumberOfScoresThanLabelsIsALabelCountFailure() {
        for (Probe probe : new Probe[] {null, new Probe(new int[] {7, 8}, 1e-3, PYTORCH)}) {
            ModelCheck.Verdict bad = check(probe).judge("pytorch", "model.pt",
                    new float[][] {{1f, 2f}, {3f, 4f}});
            assertThat(bad.failure(), is(ModelCheck.Failure.LABEL_COUNT));
            assertThat(bad.message(), is("kodiak.json lists 3 labels but the model outputs 2 "
                    + "scores; list exactly one label per output, in output order, for bundle "
                    + "'tiny'"));
        }
    }

    @Test
    void aBundleWithoutAProbeIsCheckedOnlyForItsLabelCount() {
        ModelCheck.Verdict ok = check(null).judge("pytorch", "model.pt",
                new float[][] {{1f, 2f, 3f}});
        assertThat(ok.ok(), is(true));
        assertThat(ok.difference(), is(nullValue()));
        assertThat(ok.message(), containsString("has no probe"));
    }

    @Test
    void aProbeThatMissesFieldsIsWarnedOfInOneSentence() {
        Probe blind = new Probe(new int[] {7, 8}, new Probe.Source(6, 4), 1e-3, PYTORCH,
                List.of("mean", "std"));
        assertThat(ModelCheck.warning(manifest(blind)).orElseThrow(), is("the probe of bundle "
                + "'tiny' cannot detect an edit of mean, std in kodiak.json: the model's scores "
                + "hardly change with them (measured by tools/export_bundle.py), so opening the "
                + "bundle does not check them; make sure they are what the model was trained "
                + "with"));
        Probe one = new Probe(new int[] {7, 8}, new Probe.Source(6, 4), 1e-3, PYTORCH,
                List.of("interpolation"));
        assertThat(ModelCheck.warning(manifest(one)).orElseThrow(), containsString("an edit of "
                + "interpolation in kodiak.json: the model's scores hardly change with it"));
        // a probe that notices every edit, an older probe and no probe: nothing to warn of
        assertThat(ModelCheck.warning(manifest(new Probe(new int[] {7, 8}, new Probe.Source(6, 4),
                1e-3, PYTORCH, List.of()))).isPresent(), is(false));
        assertThat(ModelCheck.warning(manifest(new Probe(new int[] {7, 8}, 1e-3, PYTORCH)))
                .isPresent(), is(false));
        assertThat(ModelCheck.warning(manifest(null)).isPresent(), is(false));
    }
}
