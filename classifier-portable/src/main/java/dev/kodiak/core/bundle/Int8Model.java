package dev.kodiak.core.bundle;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A bundle's int8 model ({@code model.int8.onnx}): the same classifier after post-training static
 * quantization, about a quarter of the fp32 file's size, run by ONNX Runtime (JVM and browser).
 *
 * <p>Its probe is not the fp32 rule. An int8 model's scores move in whole output steps (the
 * scale of its int8 output), and ONNX Runtime rounds requantization differently from PyTorch's
 * kernels, so its scores on the probe differ from PyTorch's int8 scores by a step or two where
 * the fp32 rule allows about a thousandth. The check is therefore: the same top-1 label on every
 * probe image, and every score within {@link #steps()} times {@link #step()} of PyTorch's int8
 * score. The probe's noise images are the fp32 probe's ({@link Manifest#probe()}).
 *
 * @param file the file inside the bundle
 * @param opset the ONNX opset it was exported with
 * @param threshold the least top-1 agreement with fp32 it was written with (and that
 *     {@link Precision#AUTO} requires of {@link #agreement()})
 * @param step one output step: the scale of the int8 output (or of the float32 last layer's
 *     output range over 255 when the last layer stayed fp32)
 * @param steps how many steps a runtime may differ from PyTorch's int8 scores
 * @param outputs PyTorch's int8 scores on the probe's noise images, one row per image
 * @param misses input spec fields whose edit the int8 rule would not notice (the exporter tried)
 * @param agreement what the exporter measured against fp32, if it recorded it
 */
public record Int8Model(String file, int opset, double threshold, double step, int steps,
        float[][] outputs, List<String> misses, Optional<Agreement> agreement) {

    /**
     * The int8 model measured against the fp32 model on the same images
     * ({@code provenance.int8}).
     *
     * @param split which images
     * @param agree images where both give the same top-1 label
     * @param total images measured
     * @param fp32Correct images fp32 labels correctly, or -1 when the images had no labels
     * @param int8Correct images int8 labels correctly, or -1 when the images had no labels
     */
    public record Agreement(String split, int agree, int total, int fp32Correct,
            int int8Correct) {
        /**
         * Returns the share of images with the same top-1.
         *
         * @return agree / total
         */
        public double value() {
            return total == 0 ? 0 : (double) agree / total;
        }
    }

    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException if they do not fit together
     */
    public Int8Model {
        if (!(step > 0) || steps < 1 || !(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("Invalid int8 probe: step " + step + ", steps "
                    + steps + ", threshold " + threshold + " (step > 0, steps >= 1, "
                    + "0 < threshold <= 1)");
        }
        outputs = copy(outputs);
        misses = List.copyOf(misses);
        agreement = agreement == null ? Optional.empty() : agreement;
    }

    /**
     * Returns PyTorch's int8 scores on the probe's noise images (a copy).
     *
     * @return one row per image
     */
    @Override
    public float[][] outputs() {
        return copy(outputs);
    }

    private static float[][] copy(float[][] rows) {
        float[][] copy = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            copy[i] = rows[i].clone();
        }
        return copy;
    }

    /** Two int8 models are equal when every field is, the probe scores compared by value. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Int8Model m && file.equals(m.file) && opset == m.opset
                && Double.compare(threshold, m.threshold) == 0
                && Double.compare(step, m.step) == 0 && steps == m.steps
                && Arrays.deepEquals(outputs, m.outputs) && misses.equals(m.misses)
                && agreement.equals(m.agreement);
    }

    @Override
    public int hashCode() {
        return Objects.hash(file, opset, threshold, step, steps, misses, agreement) * 31
                + Arrays.deepHashCode(outputs);
    }

    @Override
    public String toString() {
        return "Int8Model[file=" + file + ", opset=" + opset + ", threshold=" + threshold
                + ", step=" + step + ", steps=" + steps + ", outputs=" + outputs.length + "x"
                + (outputs.length == 0 ? 0 : outputs[0].length) + ", misses=" + misses
                + ", agreement=" + agreement + "]";
    }

    /**
     * The largest score difference the rule allows.
     *
     * @return {@code steps * step}
     */
    public double allowed() {
        return steps * step;
    }
}
