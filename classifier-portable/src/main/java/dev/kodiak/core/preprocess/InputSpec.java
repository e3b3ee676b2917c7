package dev.kodiak.core.preprocess;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How an image becomes a model's input tensor: the {@code "input"} object of a bundle manifest.
 *
 * <p>The steps, in order, are those of PIL + torchvision training code:
 * <ol>
 *   <li>convert to {@link #color()} (after EXIF orientation, done by the decoder);</li>
 *   <li>resize to {@link #width()} x {@link #height()} by {@link #resize()} with
 *       {@link #interpolation()};</li>
 *   <li>invert ({@code 255 - v}) if {@link #invert()}, divide by 255 if {@link #rescale()};</li>
 *   <li>subtract {@link #mean()} and divide by {@link #std()} per channel; lay out as CHW.</li>
 * </ol>
 *
 * <pre>{@code
 * InputSpec spec = InputSpec.builder(224, 224)
 *         .resize(ResizeMethod.CROP).resizeShorter(256)
 *         .mean(0.485f, 0.456f, 0.406f).std(0.229f, 0.224f, 0.225f)
 *         .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class InputSpec {
    /** The largest model input side. */
    public static final int MAX_SIDE = 8192;

    /**
     * The largest {@link #resizeShorter()}: twice {@link #MAX_SIDE}, some 64 times what training
     * code uses (256 before a 224 crop). Unbounded, a spec read from a manifest could ask for a
     * shorter side of two billion pixels and then fail on every image in {@link Preprocessor},
     * with an error blaming the image; bounded, a decodable image (at most
     * {@code ImageLimits.MAX_ASPECT_RATIO} to 1) always resizes to sides that fit an int.
     */
    public static final int MAX_RESIZE_SHORTER = 2 * MAX_SIDE;

    private final ColorMode color;
    private final int width;
    private final int height;
    private final ResizeMethod resize;
    private final int resizeShorter;
    private final Interpolation interpolation;
    private final int[] padFill;
    private final boolean invert;
    private final boolean rescale;
    private final float[] mean;
    private final float[] std;

    private InputSpec(Builder b) {
        this.color = b.color;
        this.width = b.width;
        this.height = b.height;
        this.resize = b.resize;
        this.resizeShorter = b.resizeShorter > 0 ? b.resizeShorter : Math.max(b.width, b.height);
        this.interpolation = b.interpolation;
        this.padFill = b.padFill != null ? b.padFill.clone() : new int[b.color.channels()];
        this.invert = b.invert;
        this.rescale = b.rescale;
        this.mean = b.mean != null ? b.mean.clone() : new float[b.color.channels()];
        this.std = b.std != null ? b.std.clone() : filled(b.color.channels(), 1f);
    }

    private static float[] filled(int n, float value) {
        float[] values = new float[n];
        Arrays.fill(values, value);
        return values;
    }

    /**
     * Starts a spec for a model that takes {@code width} x {@code height} images.
     *
     * @param width model input width in pixels
     * @param height model input height in pixels
     * @return a builder with the defaults documented on its setters
     */
    public static Builder builder(int width, int height) {
        return new Builder(width, height);
    }

    /**
     * Returns a builder holding this spec's values.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        return new Builder(width, height).color(color).resize(resize)
                .resizeShorter(resizeShorter).interpolation(interpolation).padFill(padFill)
                .invert(invert).rescale(rescale).mean(mean).std(std);
    }

    /**
     * Returns the colour mode the model takes.
     *
     * @return RGB or L
     */
    public ColorMode color() {
        return color;
    }

    /**
     * Returns the model input width.
     *
     * @return pixels
     */
    public int width() {
        return width;
    }

    /**
     * Returns the model input height.
     *
     * @return pixels
     */
    public int height() {
        return height;
    }

    /**
     * Returns how the aspect ratio is handled.
     *
     * @return squish, crop or pad
     */
    public ResizeMethod resize() {
        return resize;
    }

    /**
     * Returns the shorter-side length that {@link ResizeMethod#CROP} resizes to before cropping.
     *
     * @return pixels, at least {@code max(width, height)}
     */
    public int resizeShorter() {
        return resizeShorter;
    }

    /**
     * Returns the resampling filter.
     *
     * @return the filter
     */
    public Interpolation interpolation() {
        return interpolation;
    }

    /**
     * Returns the background of {@link ResizeMethod#PAD}, one value per channel.
     *
     * @return a copy of the fill values
     */
    public int[] padFill() {
        return padFill.clone();
    }

    /**
     * Returns whether values are inverted ({@code 255 - v}) before scaling.
     *
     * @return true to invert
     */
    public boolean invert() {
        return invert;
    }

    /**
     * Returns whether values are divided by 255 before normalisation.
     *
     * @return true to rescale to [0, 1]
     */
    public boolean rescale() {
        return rescale;
    }

    /**
     * Returns the per-channel mean that is subtracted.
     *
     * @return a copy, one value per channel
     */
    public float[] mean() {
        return mean.clone();
    }

    /**
     * Returns the per-channel standard deviation that divides.
     *
     * @return a copy, one value per channel
     */
    public float[] std() {
        return std.clone();
    }

    /**
     * Returns the number of floats in one image's tensor.
     *
     * @return {@code channels * height * width}
     */
    public int tensorSize() {
        return color.channels() * height * width;
    }

    float meanAt(int channel) {
        return mean[channel];
    }

    float stdAt(int channel) {
        return std[channel];
    }

    int padFillAt(int channel) {
        return padFill[channel];
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        return o instanceof InputSpec s && color == s.color && width == s.width
                && height == s.height && resize == s.resize && resizeShorter == s.resizeShorter
                && interpolation == s.interpolation && Arrays.equals(padFill, s.padFill)
                && invert == s.invert && rescale == s.rescale && Arrays.equals(mean, s.mean)
                && Arrays.equals(std, s.std);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        int h = color.hashCode();
        h = h * 31 + width;
        h = h * 31 + height;
        h = h * 31 + resize.hashCode();
        h = h * 31 + resizeShorter;
        h = h * 31 + interpolation.hashCode();
        h = h * 31 + Arrays.hashCode(padFill);
        h = h * 31 + (invert ? 1 : 0);
        h = h * 31 + (rescale ? 1 : 0);
        h = h * 31 + Arrays.hashCode(mean);
        return h * 31 + Arrays.hashCode(std);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "InputSpec[" + color + " " + width + "x" + height + " " + resize.manifestName()
                + (resize == ResizeMethod.CROP ? " shorter=" + resizeShorter : "")
                + (resize == ResizeMethod.PAD ? " fill=" + Arrays.toString(padFill) : "")
                + " " + interpolation.manifestName() + (invert ? " invert" : "")
                + (rescale ? " /255" : "") + " mean=" + Arrays.toString(mean)
                + " std=" + Arrays.toString(std) + "]";
    }

    /**
     * Builds an {@link InputSpec}. Width and height are required ({@link #builder}); every other
     * value has the default its setter names. Not thread-safe.
     */
    public static final class Builder {
        private final int width;
        private final int height;
        private ColorMode color = ColorMode.RGB;
        private ResizeMethod resize = ResizeMethod.SQUISH;
        private int resizeShorter;
        private Interpolation interpolation = Interpolation.BILINEAR;
        private int[] padFill;
        private boolean invert;
        private boolean rescale = true;
        private float[] mean;
        private float[] std;

        private Builder(int width, int height) {
            this.width = width;
            this.height = height;
        }

        /**
         * Sets the colour mode; default RGB.
         *
         * @param color RGB or L
         * @return this builder
         */
        public Builder color(ColorMode color) {
            this.color = color;
            return this;
        }

        /**
         * Sets the resize method; default squish.
         *
         * @param resize squish, crop or pad
         * @return this builder
         */
        public Builder resize(ResizeMethod resize) {
            this.resize = resize;
            return this;
        }

        /**
         * Sets the shorter side for crop; default {@code max(width, height)}.
         *
         * @param resizeShorter pixels, at least {@code max(width, height)} and at most
         *     {@link #MAX_RESIZE_SHORTER}; 0 for the default
         * @return this builder
         */
        public Builder resizeShorter(int resizeShorter) {
            this.resizeShorter = resizeShorter;
            return this;
        }

        /**
         * Sets the resampling filter; default bilinear.
         *
         * @param interpolation the filter
         * @return this builder
         */
        public Builder interpolation(Interpolation interpolation) {
            this.interpolation = interpolation;
            return this;
        }

        /**
         * Sets the pad background, one value per channel (or one for all); default black.
         *
         * @param padFill values 0 to 255
         * @return this builder
         */
        public Builder padFill(int... padFill) {
            this.padFill = padFill == null ? null : padFill.clone();
            return this;
        }

        /**
         * Sets whether to invert values; default false.
         *
         * @param invert true for {@code 255 - v}
         * @return this builder
         */
        public Builder invert(boolean invert) {
            this.invert = invert;
            return this;
        }

        /**
         * Sets whether to divide by 255; default true.
         *
         * @param rescale true to scale to [0, 1]
         * @return this builder
         */
        public Builder rescale(boolean rescale) {
            this.rescale = rescale;
            return this;
        }

        /**
         * Sets the per-channel mean; default 0.
         *
         * @param mean one value per channel
         * @return this builder
         */
        public Builder mean(float... mean) {
            this.mean = mean == null ? null : mean.clone();
            return this;
        }

        /**
         * Sets the per-channel standard deviation; default 1.
         *
         * @param std one positive value per channel
         * @return this builder
         */
        public Builder std(float... std) {
            this.std = std == null ? null : std.clone();
            return this;
        }

        /**
         * Checks every value and builds the spec.
         *
         * @return the spec
         * @throws IllegalArgumentException naming every invalid value at once
         */
        public InputSpec build() {
            List<String> problems = new ArrayList<>();
            if (color == null || resize == null || interpolation == null) {
                problems.add("color, resize and interpolation are required");
            }
            int channels = color == null ? 3 : color.channels();
            if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
                problems.add("width and height must be 1 to " + MAX_SIDE + ", not " + width + "x"
                        + height);
            }
            if (resizeShorter != 0 && resizeShorter < Math.max(width, height)) {
                problems.add("resize_shorter " + resizeShorter + " must be at least "
                        + Math.max(width, height) + " so the centre crop fits");
            }
            if (resizeShorter > MAX_RESIZE_SHORTER) {
                problems.add("resize_shorter " + resizeShorter + " must be at most "
                        + MAX_RESIZE_SHORTER + " (it is the shorter side before the centre "
                        + "crop: 256 for torchvision's Resize(256) + CenterCrop(224))");
            }
            if (padFill != null && padFill.length == 1 && channels > 1) {
                padFill = new int[] {padFill[0], padFill[0], padFill[0]};
            }
            if (padFill != null) {
                if (padFill.length != channels) {
                    problems.add("pad_fill needs " + channels + " values, not " + padFill.length);
                }
                for (int v : padFill) {
                    if (v < 0 || v > 255) {
                        problems.add("pad_fill values must be 0 to 255, not " + v);
                    }
                }
            }
            if (mean != null && mean.length != channels) {
                problems.add("mean needs " + channels + " values for " + color + ", not "
                        + mean.length);
            }
            if (std != null) {
                if (std.length != channels) {
                    problems.add("std needs " + channels + " values for " + color + ", not "
                            + std.length);
                }
                for (float s : std) {
                    if (!(s > 0) || Float.isInfinite(s)) {
                        problems.add("std values must be positive and finite, not " + s);
                    }
                }
            }
            if (mean != null) {
                for (float m : mean) {
                    if (Float.isNaN(m) || Float.isInfinite(m)) {
                        problems.add("mean values must be finite, not " + m);
                    }
                }
            }
            if (problems.isEmpty()) {
                checkTensorRange(channels, problems);
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("Invalid input spec: "
                        + String.join("; ", problems));
            }
            return new InputSpec(this);
        }

        /**
         * Valid means and stds can still overflow a float: a std of 1.4E-45 (the smallest
         * float, found by fuzzing) makes every tensor value infinite. The values are monotonic
         * in the pixel, so pixels 0 and 255 bound them.
         */
        private void checkTensorRange(int channels, List<String> problems) {
            for (int c = 0; c < channels; c++) {
                float m = mean == null ? 0f : mean[c];
                float s = std == null ? 1f : std[c];
                for (int v : new int[] {0, 255}) {
                    float value = Preprocessor.tensorValue(v, invert, rescale, m, s);
                    if (Float.isNaN(value) || Float.isInfinite(value)) {
                        problems.add("mean " + m + " and std " + s + " make pixel " + v
                                + "'s tensor value " + value + ": a std that small (or a mean "
                                + "that large) overflows a float; use the statistics of the "
                                + "training data");
                        return;
                    }
                }
            }
        }
    }
}
