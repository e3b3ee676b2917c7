package dev.kodiak.core.bundle;

import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Preprocessor;
import java.util.Arrays;

/**
 * A bundle's self-check: the scores PyTorch computed, at export, for noise images that every
 * runtime can make again exactly. Opening a bundle runs the runtime it will use on the same images
 * and compares ({@link #compare(float[][])}); a broken export is caught on the JVM and in the
 * browser alike, before it answers anybody.
 *
 * <pre>{@code
 * Probe probe = manifest.probe().orElseThrow();
 * float[] batch = probe.input(new Preprocessor(manifest.input()));
 * float[][] scores = model.forward(batch, probe.size(), shape);
 * Probe.Difference d = probe.compare(scores);
 * if (!d.within()) { ... }
 * }</pre>
 *
 * <p>The noise image of a seed is made by a 32-bit linear congruential generator ({@code state =
 * state * 1664525 + 1013904223}, mod 2<sup>32</sup>), one byte per channel value, the top byte of
 * each state, interleaved; it then goes through the input spec's tensor step (invert, rescale,
 * mean, std) as an image of the model's size would. Integer arithmetic only: Java, Java compiled to
 * JavaScript and {@code tools/export_bundle.py} make the same bytes.
 *
 * <p>Immutable and thread-safe.
 */
public final class Probe {
    /** The generator this class implements, as a manifest names it. */
    public static final String GENERATOR = "lcg32-pixels";

    private final int[] seeds;
    private final double tolerance;
    private final float[][] outputs;

    /**
     * Creates a probe.
     *
     * @param seeds the noise images' seeds, at least one
     * @param tolerance the largest difference allowed, as a fraction of the largest expected
     *     magnitude (at least 1), greater than 0
     * @param outputs PyTorch's scores, one row per seed, all rows of one length
     * @throws IllegalArgumentException if the values do not fit together
     */
    public Probe(int[] seeds, double tolerance, float[][] outputs) {
        if (seeds == null || outputs == null || seeds.length == 0
                || seeds.length != outputs.length) {
            throw new IllegalArgumentException("Invalid probe: " + (seeds == null ? 0
                    : seeds.length) + " seeds for " + (outputs == null ? 0 : outputs.length)
                    + " output rows; there must be one row per seed");
        }
        if (!(tolerance > 0 && tolerance < 1)) {
            throw new IllegalArgumentException("Invalid probe tolerance: " + tolerance
                    + "; it must be above 0 and below 1");
        }
        this.seeds = seeds.clone();
        this.tolerance = tolerance;
        this.outputs = new float[outputs.length][];
        for (int i = 0; i < outputs.length; i++) {
            if (outputs[i] == null || outputs[i].length == 0
                    || outputs[i].length != outputs[0].length) {
                throw new IllegalArgumentException("Invalid probe outputs: every row must hold "
                        + "the same number of scores");
            }
            this.outputs[i] = outputs[i].clone();
        }
    }

    /**
     * Makes a seed's noise bytes.
     *
     * @param seed the seed
     * @param count how many bytes
     * @return the bytes
     */
    public static byte[] noise(int seed, int count) {
        byte[] bytes = new byte[count];
        int state = seed;
        for (int i = 0; i < count; i++) {
            state = state * 1664525 + 1013904223;
            bytes[i] = (byte) (state >>> 24);
        }
        return bytes;
    }

    /**
     * Makes the probe's input batch: each seed's noise image of the spec's size and colour mode,
     * through the spec's tensor step.
     *
     * @param preprocessor the bundle's preprocessor
     * @return {@code size() * spec.tensorSize()} floats, one CHW tensor after another
     */
    public float[] input(Preprocessor preprocessor) {
        InputSpec spec = preprocessor.spec();
        int size = spec.tensorSize();
        float[] batch = new float[seeds.length * size];
        for (int i = 0; i < seeds.length; i++) {
            Pixels image = new Pixels(spec.width(), spec.height(), spec.color(),
                    noise(seeds[i], size));
            preprocessor.toTensor(image, batch, i * size);
        }
        return batch;
    }

    /**
     * Returns how many images the probe runs.
     *
     * @return the number of seeds
     */
    public int size() {
        return seeds.length;
    }

    /**
     * Returns the seeds.
     *
     * @return a copy
     */
    public int[] seeds() {
        return seeds.clone();
    }

    /**
     * Returns the tolerance.
     *
     * @return the largest difference allowed, as a fraction of the largest expected magnitude
     *     (at least 1)
     */
    public double tolerance() {
        return tolerance;
    }

    /**
     * Returns the number of scores per image.
     *
     * @return the length of each output row
     */
    public int classes() {
        return outputs[0].length;
    }

    /**
     * Returns PyTorch's scores for one seed.
     *
     * @param image the seed's position
     * @return a copy of its row
     */
    public float[] output(int image) {
        return outputs[image].clone();
    }

    /**
     * Compares a runtime's scores with PyTorch's.
     *
     * @param actual one row per seed, as long as PyTorch's
     * @return the largest difference, where it is and whether it is within the tolerance
     * @throws IllegalArgumentException if the shape differs from PyTorch's
     */
    public Difference compare(float[][] actual) {
        if (actual.length != outputs.length) {
            throw new IllegalArgumentException("Invalid scores: " + actual.length + " rows for "
                    + outputs.length + " probe images");
        }
        double scale = 1;
        for (float[] row : outputs) {
            for (float v : row) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        double largest = 0;
        int at = 0;
        int image = 0;
        for (int i = 0; i < outputs.length; i++) {
            if (actual[i].length != outputs[i].length) {
                throw new IllegalArgumentException("Invalid scores: " + actual[i].length
                        + " per image but the probe has " + outputs[i].length);
            }
            for (int j = 0; j < outputs[i].length; j++) {
                double d = Math.abs((double) actual[i][j] - outputs[i][j]);
                if (!(d <= largest)) { // NaN counts as the largest
                    largest = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                    at = j;
                    image = i;
                }
            }
        }
        return new Difference(largest, tolerance * scale, image, at);
    }

    /**
     * The outcome of {@link #compare(float[][])}.
     *
     * @param largest the largest absolute difference (infinite for a NaN score)
     * @param allowed the largest difference the tolerance allows
     * @param image the probe image where it was largest
     * @param index the score where it was largest
     */
    public record Difference(double largest, double allowed, int image, int index) {
        /**
         * Whether the runtime agrees with PyTorch.
         *
         * @return true if the largest difference is within the allowed one
         */
        public boolean within() {
            return largest <= allowed;
        }
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        return o instanceof Probe p && Arrays.equals(seeds, p.seeds) && tolerance == p.tolerance
                && Arrays.deepEquals(outputs, p.outputs);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return Arrays.hashCode(seeds) * 31 + Arrays.deepHashCode(outputs);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Probe[" + GENERATOR + " seeds=" + Arrays.toString(seeds) + " tolerance="
                + tolerance + " " + outputs.length + "x" + outputs[0].length + "]";
    }
}
