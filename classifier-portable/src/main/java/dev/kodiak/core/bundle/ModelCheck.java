package dev.kodiak.core.bundle;

import dev.kodiak.core.preprocess.Preprocessor;
import java.util.List;
import java.util.Optional;

/**
 * The verdict on whether a runtime may answer for a bundle, given before its first answer: one
 * score per label, and the bundle's {@link Probe} (PyTorch's scores on noise images at export)
 * matched within its tolerance. The JVM's {@code Classifier.open} and the browser widget run the
 * same check, so a bundle is refused in both for the same reason and in the same words.
 *
 * <pre>{@code
 * ModelCheck check = new ModelCheck(manifest, preprocessor);
 * float[][] scores = runtime.forward(check.input(), check.batchSize());
 * ModelCheck.Verdict verdict = check.judge("onnxruntime", "model.onnx", scores);
 * if (!verdict.ok()) {
 *     refuse(verdict.failure(), verdict.message());
 * }
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class ModelCheck {
    /** Why a runtime may not answer for a bundle. */
    public enum Failure {
        /** The model gives another number of scores than the manifest has labels. */
        LABEL_COUNT,
        /** The runtime's scores on the probe are not PyTorch's at export. */
        PROBE
    }

    /**
     * The outcome of {@link #judge}.
     *
     * @param failure what is wrong, or null when the runtime may answer
     * @param message what was found and what to do (for logs and exceptions), or the largest
     *     difference when all is well
     * @param difference the probe's comparison, or null (no probe, or the shapes differ)
     */
    public record Verdict(Failure failure, String message, Probe.Difference difference) {
        /**
         * Whether the runtime may answer.
         *
         * @return true when nothing is wrong
         */
        public boolean ok() {
            return failure == null;
        }
    }

    private final Manifest manifest;
    private final Preprocessor preprocessor;
    private final Int8Model int8;

    /**
     * Prepares the check of one bundle's fp32 model.
     *
     * @param manifest the bundle's manifest
     * @param preprocessor the preprocessor of its input spec (the probe's images go through its
     *     tensor step)
     */
    public ModelCheck(Manifest manifest, Preprocessor preprocessor) {
        this(manifest, preprocessor, Precision.FP32);
    }

    /**
     * Prepares the check of the model of one precision: the fp32 rule (every score within the
     * probe's tolerance of PyTorch's), or for {@link Precision#INT8} the int8 rule (the same
     * top-1 on every probe image, every score within {@link Int8Model#steps()} output steps of
     * PyTorch's int8 scores).
     *
     * @param manifest the bundle's manifest
     * @param preprocessor the preprocessor of its input spec
     * @param precision {@link Precision#FP32} or {@link Precision#INT8}: the model that runs
     * @throws IllegalArgumentException for {@code INT8} when the bundle has no int8 model, or for
     *     {@code AUTO} (decide first)
     */
    public ModelCheck(Manifest manifest, Preprocessor preprocessor, Precision precision) {
        this.manifest = manifest;
        this.preprocessor = preprocessor;
        if (precision == Precision.AUTO) {
            throw new IllegalArgumentException("decide the precision before the check: fp32 or "
                    + "int8, not auto");
        }
        this.int8 = precision == Precision.INT8 ? manifest.int8().orElseThrow(
                () -> new IllegalArgumentException("bundle '" + manifest.name() + "' has no "
                        + "int8 model")) : null;
    }

    /**
     * Returns how many images {@link #input()} holds.
     *
     * @return the probe's size, or 1 for a bundle without a probe
     */
    public int batchSize() {
        return manifest.probe().map(Probe::size).orElse(1);
    }

    /**
     * Returns the batch to run: the probe's noise images through the input spec's tensor step
     * (a batch of two also proves the batch axis is dynamic), or one blank tensor for a bundle
     * without a probe.
     *
     * @return {@code batchSize()} CHW tensors, one after another
     */
    public float[] input() {
        return manifest.probe().map(p -> p.input(preprocessor))
                .orElseGet(() -> new float[preprocessor.spec().tensorSize()]);
    }

    /**
     * Judges a runtime's scores for {@link #input()}, as one flat array (as JavaScript
     * runtimes return them).
     *
     * @param runtime the runtime's name, for the message
     * @param modelFile the model file it ran, for the message
     * @param scores {@code batchSize()} rows of scores, one after another
     * @return the verdict
     */
    public Verdict judge(String runtime, String modelFile, float[] scores) {
        int n = batchSize();
        int classes = scores.length / n;
        float[][] rows = new float[n][classes];
        for (int i = 0; i < n; i++) {
            System.arraycopy(scores, i * classes, rows[i], 0, classes);
        }
        return judge(runtime, modelFile, rows);
    }

    /**
     * Judges a runtime's scores for {@link #input()}.
     *
     * @param runtime the runtime's name, for the message
     * @param modelFile the model file it ran, for the message
     * @param scores one row of scores per image of the batch
     * @return the verdict
     */
    public Verdict judge(String runtime, String modelFile, float[][] scores) {
        int labels = manifest.labels().size();
        int classes = scores.length == 0 ? 0 : scores[0].length;
        if (classes != labels) {
            return new Verdict(Failure.LABEL_COUNT, Manifest.FILE_NAME + " lists " + labels
                    + " labels but the model outputs " + classes + " scores; list exactly one "
                    + "label per output, in output order, for bundle '" + manifest.name() + "'",
                    null);
        }
        Probe probe = manifest.probe().orElse(null);
        if (probe == null) {
            return new Verdict(null, "bundle '" + manifest.name() + "' has no probe; re-export "
                    + "it with tools/export_bundle.py to have it checked at open", null);
        }
        if (classes != probe.classes() || scores.length != probe.size()) {
            return new Verdict(Failure.PROBE, "The probe in " + Manifest.FILE_NAME + " holds "
                    + probe.size() + " rows of " + probe.classes() + " scores but " + runtime
                    + " gives " + scores.length + " of " + classes + "; re-export the bundle",
                    null);
        }
        if (int8 != null) {
            return judgeInt8(runtime, modelFile, scores);
        }
        Probe.Difference d = probe.compare(scores);
        if (!d.within()) {
            return new Verdict(Failure.PROBE, runtime + " disagrees with PyTorch on the bundle's "
                    + "probe: score " + d.index() + " of probe image " + (d.image() + 1)
                    + " differs by " + format(d.largest()) + " (allowed " + format(d.allowed())
                    + "). " + modelFile + " does not compute what was exported, or the input "
                    + "spec in " + Manifest.FILE_NAME + " was changed since; re-export the "
                    + "bundle with tools/export_bundle.py, or choose another engine", d);
        }
        return new Verdict(null, runtime + " matches the probe of " + manifest.name()
                + ": largest difference " + format(d.largest()) + " (allowed "
                + format(d.allowed()) + ")", d);
    }

    /** The int8 rule: the same top-1 on every probe image, every score within the steps. */
    private Verdict judgeInt8(String runtime, String modelFile, float[][] scores) {
        float[][] expected = int8.outputs();
        for (int i = 0; i < scores.length; i++) {
            int top = argmax(scores[i]);
            int wanted = argmax(expected[i]);
            if (top != wanted) {
                return new Verdict(Failure.PROBE, runtime + " disagrees with PyTorch's int8 "
                        + "model on the bundle's probe: its top score for probe image " + (i + 1)
                        + " is score " + top + ", PyTorch's is score " + wanted + ". "
                        + modelFile + " does not compute what was exported, or the input spec "
                        + "in " + Manifest.FILE_NAME + " was changed since; re-export the "
                        + "bundle with tools/export_bundle.py --quantize int8, or choose "
                        + "precision fp32", null);
            }
        }
        Probe.Difference d = Probe.largest(scores, expected, int8.allowed());
        String steps = format(d.largest() / int8.step()) + " output steps of " + format(int8.step())
                + " (allowed " + int8.steps() + ")";
        if (!d.within()) {
            return new Verdict(Failure.PROBE, runtime + " disagrees with PyTorch's int8 model "
                    + "on the bundle's probe: score " + d.index() + " of probe image "
                    + (d.image() + 1) + " differs by " + steps + ". " + modelFile + " does not "
                    + "compute what was exported, or the input spec in " + Manifest.FILE_NAME
                    + " was changed since; re-export the bundle with tools/export_bundle.py "
                    + "--quantize int8, or choose precision fp32", d);
        }
        return new Verdict(null, runtime + " matches the int8 probe of " + manifest.name()
                + ": same top-1, largest difference " + steps, d);
    }

    private static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * What the check cannot see, for a warning when a runtime opens the bundle: the input spec
     * fields whose edit the bundle's probe would not notice ({@link Probe#misses()}, found by
     * the exporter), because the model's scores hardly move when they change.
     *
     * @param manifest a bundle's manifest
     * @return the warning, or empty when the probe notices every edit the exporter tried (or
     *     the bundle has no probe)
     */
    public static Optional<String> warning(Manifest manifest) {
        return warning(manifest, Precision.FP32);
    }

    /**
     * What the check of the model of one precision cannot see: {@link #warning(Manifest)} for
     * fp32, the int8 probe's {@link Int8Model#misses()} for int8.
     *
     * @param manifest a bundle's manifest
     * @param precision {@code FP32} or {@code INT8}
     * @return the warning, or empty
     */
    public static Optional<String> warning(Manifest manifest, Precision precision) {
        List<String> misses = precision == Precision.INT8
                ? manifest.int8().map(Int8Model::misses).orElse(List.of())
                : manifest.probe().map(Probe::misses).orElse(List.of());
        if (misses.isEmpty()) {
            return Optional.empty();
        }
        boolean one = misses.size() == 1;
        StringBuilder fields = new StringBuilder(); // not String.join: TeaVM compiles this
        for (String field : misses) {
            fields.append(fields.length() == 0 ? "" : ", ").append(field);
        }
        return Optional.of("the " + (precision == Precision.INT8 ? "int8 " : "") + "probe of "
                + "bundle '" + manifest.name() + "' cannot detect an edit "
                + "of " + fields + " in " + Manifest.FILE_NAME + ": the "
                + "model's scores hardly change with " + (one ? "it" : "them") + " (measured by "
                + "tools/export_bundle.py), so opening the bundle does not check "
                + (one ? "it" : "them") + "; make sure " + (one ? "it is" : "they are")
                + " what the model was trained with");
    }

    /**
     * Three significant digits, as {@code String.format("%.3g", v)} writes them (fixed from
     * 1e-4 to below 1000, else scientific), without String.format, which TeaVM would compile
     * into a large part of the widget.
     */
    static String format(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
        }
        String sign = v < 0 ? "-" : "";
        double a = Math.abs(v);
        if (a == 0) {
            return sign + "0.00";
        }
        // round the shortest decimal form half up, as Formatter does, not the binary value
        String text = Double.toString(a);
        int at = text.indexOf('E');
        String mantissa = at < 0 ? text : text.substring(0, at);
        int point = mantissa.indexOf('.')
                + (at < 0 ? 0 : Integer.parseInt(text.substring(at + 1)));
        String all = mantissa.replace(".", "");
        while (all.length() > 1 && all.charAt(0) == '0') {
            all = all.substring(1);
            point--;
        }
        int exponent = point - 1;
        String padded = (all + "0000").substring(0, 4);
        long digits = Long.parseLong(padded.substring(0, 3)) + (padded.charAt(3) >= '5' ? 1 : 0);
        if (digits >= 1000) {
            digits /= 10;
            exponent++;
        }
        String d = Long.toString(digits);
        if (exponent >= -4 && exponent < 3) {
            if (exponent >= 2) {
                return sign + d;
            }
            if (exponent >= 0) {
                return sign + d.substring(0, exponent + 1) + "." + d.substring(exponent + 1);
            }
            return sign + "0." + "0000".substring(0, -exponent - 1) + d;
        }
        int e = Math.abs(exponent);
        return sign + d.charAt(0) + "." + d.substring(1) + "e" + (exponent < 0 ? "-" : "+")
                + (e < 10 ? "0" : "") + e;
    }
}
