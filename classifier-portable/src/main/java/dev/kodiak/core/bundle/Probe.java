package dev.kodiak.core.bundle;

import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Preprocessor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

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
 * each state, interleaved, in the spec's colour mode. With {@link #RESIZE_GENERATOR} it is made at
 * the probe's {@link #source()} size and goes through the whole input spec, resize included, as a
 * photo would, so that an edit of any field of the spec changes what the model sees; with
 * {@link #GENERATOR} (bundles exported before) it is made at the model's size and goes through
 * the tensor step only (invert, rescale, mean, std). Integer arithmetic only, and a resize that is
 * PIL's bit for bit: Java, Java compiled to JavaScript and {@code tools/export_bundle.py} make the
 * same tensors.
 *
 * <p>The exporter checks that the probe notices edits of the input spec, and lowers the tolerance
 * when the model's scores are too small for the default to notice them; {@link #misses()} lists
 * the fields whose edit it still would not notice, which opening a bundle warns of.
 *
 * <p>Immutable and thread-safe.
 */
public final class Probe {
    /**
     * The first generator, as a manifest names it: noise images of the model's size, through the
     * tensor step only.
     */
    public static final String GENERATOR = "lcg32-pixels";

    /**
     * The generator {@code tools/export_bundle.py} writes now, as a manifest names it: noise
     * images of the {@link #source()} size, through the whole input spec.
     */
    public static final String RESIZE_GENERATOR = "lcg32-resize";

    /** The largest side of a {@link Source}: twice the largest model side. */
    public static final int MAX_SOURCE_SIDE = 2 * InputSpec.MAX_SIDE;

    private final int[] seeds;
    private final Source source;
    private final double tolerance;
    private final float[][] outputs;
    private final List<String> misses;

    /**
     * The size the noise images of {@link #RESIZE_GENERATOR} are made at, before the input
     * spec resizes them.
     *
     * @param width pixels, 1 to {@link #MAX_SOURCE_SIDE}
     * @param height pixels, 1 to {@link #MAX_SOURCE_SIDE}
     */
    public record Source(int width, int height) {
        /**
         * Checks the size.
         *
         * @throws IllegalArgumentException if a side is out of range
         */
        public Source {
            if (width < 1 || height < 1 || width > MAX_SOURCE_SIDE || height > MAX_SOURCE_SIDE) {
                throw new IllegalArgumentException("Invalid probe source " + width + "x" + height
                        + "; each side must be 1 to " + MAX_SOURCE_SIDE);
            }
        }
    }

    /**
     * Creates a probe of the first generator ({@link #GENERATOR}), as bundles exported before
     * {@link #RESIZE_GENERATOR} hold.
     *
     * @param seeds the noise images' seeds, at least one
     * @param tolerance the largest difference allowed, as a fraction of the largest expected
     *     magnitude (at least 1), greater than 0
     * @param outputs PyTorch's scores, one row per seed, all rows of one length
     * @throws IllegalArgumentException if the values do not fit together
     */
    public Probe(int[] seeds, double tolerance, float[][] outputs) {
        this(seeds, null, tolerance, outputs, List.of());
    }

    /**
     * Creates a probe.
     *
     * @param seeds the noise images' seeds, at least one
     * @param source the noise images' size for {@link #RESIZE_GENERATOR}, or null for
     *     {@link #GENERATOR}
     * @param tolerance the largest difference allowed, as a fraction of the largest expected
     *     magnitude (at least 1), greater than 0
     * @param outputs PyTorch's scores, one row per seed, all rows of one length
     * @param misses the input spec fields whose edit the exporter found this probe would not
     *     notice, such as {@code "mean"}; empty when it notices every edit it tried
     * @throws IllegalArgumentException if the values do not fit together
     */
    public Probe(int[] seeds, Source source, double tolerance, float[][] outputs,
            List<String> misses) {
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
        if (misses == null) {
            throw new IllegalArgumentException("misses is required (empty when the probe "
                    + "notices every edit)");
        }
        this.seeds = seeds.clone();
        this.source = source;
        this.tolerance = tolerance;
        this.misses = List.copyOf(misses);
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
     * Makes the probe's input batch: each seed's noise image in the spec's colour mode, of the
     * source size through the whole spec ({@link #RESIZE_GENERATOR}), or of the spec's size
     * through its tensor step ({@link #GENERATOR}).
     *
     * @param preprocessor the bundle's preprocessor
     * @return {@code size() * spec.tensorSize()} floats, one CHW tensor after another
     */
    public float[] input(Preprocessor preprocessor) {
        InputSpec spec = preprocessor.spec();
        int size = spec.tensorSize();
        int channels = spec.color().channels();
        float[] batch = new float[seeds.length * size];
        for (int i = 0; i < seeds.length; i++) {
            Pixels image;
            if (source == null) {
                image = new Pixels(spec.width(), spec.height(), spec.color(),
                        noise(seeds[i], size));
            } else {
                image = preprocessor.resize(new Pixels(source.width(), source.height(),
                        spec.color(), noise(seeds[i], source.width() * source.height()
                        * channels)));
            }
            preprocessor.toTensor(image, batch, i * size);
        }
        return batch;
    }

    /**
     * Returns how the noise images are made, as a manifest names it.
     *
     * @return {@link #RESIZE_GENERATOR} or {@link #GENERATOR}
     */
    public String generator() {
        return source == null ? GENERATOR : RESIZE_GENERATOR;
    }

    /**
     * Returns the size the noise images are made at before the input spec resizes them.
     *
     * @return the size, or empty for {@link #GENERATOR}, whose images are of the model's size
     */
    public Optional<Source> source() {
        return Optional.ofNullable(source);
    }

    /**
     * Returns the input spec fields whose edit the exporter found this probe would not notice:
     * the model's scores move less than the runtimes may differ when they change.
     *
     * @return field names such as {@code "mean"}; empty when the probe notices every edit the
     *     exporter tried, or when the bundle was exported before the exporter tried any
     */
    public List<String> misses() {
        return misses;
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
        return largest(actual, outputs, tolerance * scale);
    }

    /**
     * The largest difference between a runtime's scores and the expected ones, and where it
     * is: the fp32 rule's and the int8 rule's ({@link ModelCheck}) one measure.
     *
     * @param actual one row per probe image
     * @param expected as many rows, each as long
     * @param allowed the largest difference the rule allows
     * @return the difference
     * @throws IllegalArgumentException if a row's length differs from the expected row's
     */
    static Difference largest(float[][] actual, float[][] expected, double allowed) {
        double largest = 0;
        int at = 0;
        int image = 0;
        for (int i = 0; i < expected.length; i++) {
            if (actual[i].length != expected[i].length) {
                throw new IllegalArgumentException("Invalid scores: " + actual[i].length
                        + " per image but the probe has " + expected[i].length);
            }
            for (int j = 0; j < expected[i].length; j++) {
                double d = Math.abs((double) actual[i][j] - expected[i][j]);
                if (!(d <= largest)) { // NaN counts as the largest
                    largest = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                    at = j;
                    image = i;
                }
            }
        }
        return new Difference(largest, allowed, image, at);
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
        return o instanceof Probe p && Arrays.equals(seeds, p.seeds)
                && Objects.equals(source, p.source) && tolerance == p.tolerance
                && Arrays.deepEquals(outputs, p.outputs) && misses.equals(p.misses);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return Arrays.hashCode(seeds) * 31 + Arrays.deepHashCode(outputs);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Probe[" + generator() + (source == null ? "" : " source=" + source.width() + "x"
                + source.height()) + " seeds=" + Arrays.toString(seeds) + " tolerance="
                + tolerance + " " + outputs.length + "x" + outputs[0].length
                + (misses.isEmpty() ? "" : " misses=" + misses) + "]";
    }
}
