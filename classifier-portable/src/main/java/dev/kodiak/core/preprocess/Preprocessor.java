package dev.kodiak.core.preprocess;

import dev.kodiak.core.decode.ImageLimits;

/**
 * Applies an {@link InputSpec} to decoded pixels, in two stages that can run apart:
 * {@link #resize(Pixels)} gives the model's 8-bit pixels (what the browser widget uploads), and
 * {@link #toTensor(Pixels, float[], int)} turns them into the float CHW tensor.
 *
 * <pre>{@code
 * Preprocessor pre = new Preprocessor(spec);
 * float[] tensor = pre.apply(pixels);   // channels * height * width floats
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class Preprocessor {
    private final InputSpec spec;
    /** The tensor value of each 8-bit value, per channel: the same floats, computed once. */
    private final float[][] values;

    /**
     * Creates a preprocessor for one input spec.
     *
     * @param spec the bundle's input spec
     */
    public Preprocessor(InputSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException("spec is required");
        }
        this.spec = spec;
        int channels = spec.color().channels();
        this.values = new float[channels][256];
        for (int c = 0; c < channels; c++) {
            for (int v = 0; v < 256; v++) {
                values[c][v] = tensorValue(v, c);
            }
        }
    }

    private float tensorValue(int v, int channel) {
        return tensorValue(v, spec.invert(), spec.rescale(), spec.meanAt(channel),
                spec.stdAt(channel));
    }

    /** One value as torchvision computes it, in float32: invert, /255, -mean, /std. */
    static float tensorValue(int v, boolean invert, boolean rescale, float mean, float std) {
        float f = invert ? 255 - v : v;
        if (rescale) {
            f = f / 255f;
        }
        return (f - mean) / std;
    }

    /**
     * Returns the spec this preprocessor applies.
     *
     * @return the spec
     */
    public InputSpec spec() {
        return spec;
    }

    /**
     * Runs every step: colour, resize, tensor.
     *
     * @param image decoded pixels in any mode
     * @return a new array of {@code spec().tensorSize()} floats, CHW
     * @throws IllegalArgumentException if the spec's crop would resize the image past
     *     2<sup>31</sup> pixels on a side (a shape {@link ImageLimits} refuses)
     */
    public float[] apply(Pixels image) {
        float[] tensor = new float[spec.tensorSize()];
        toTensor(resize(image), tensor, 0);
        return tensor;
    }

    /**
     * Converts to the spec's colour mode and resizes: the model's 8-bit pixels, bit-identical
     * to PIL's {@code convert()} followed by the spec's resize.
     *
     * @param image decoded pixels in any mode
     * @return pixels of exactly {@code width x height} in the spec's colour mode
     * @throws IllegalArgumentException as {@link #apply(Pixels)}
     */
    public Pixels resize(Pixels image) {
        Pixels in = image.convert(spec.color());
        int width = spec.width();
        int height = spec.height();
        Interpolation filter = spec.interpolation();
        switch (spec.resize()) {
            case SQUISH:
                return Resampler.resize(in, width, height, filter);
            case CROP:
                return crop(in, width, height, filter);
            default:
                return pad(in, width, height, filter);
        }
    }

    /** torchvision {@code Resize(shorter)} then {@code CenterCrop((height, width))}. */
    private Pixels crop(Pixels in, int width, int height, Interpolation filter) {
        int w = in.width();
        int h = in.height();
        int shorter = spec.resizeShorter();
        // Python's int(shorter * long / short): a correctly rounded division, then truncation
        long longer = (long) ((double) ((long) shorter * Math.max(w, h)) / Math.min(w, h));
        if (longer > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("A " + w + "x" + h + " image resized to "
                    + shorter + " pixels on its shorter side would be " + longer + " pixels "
                    + "long; crop it first (decoders refuse shapes beyond 1:"
                    + ImageLimits.MAX_ASPECT_RATIO + ")");
        }
        int newW = w <= h ? shorter : (int) longer;
        int newH = w <= h ? (int) longer : shorter;
        // only the window the crop keeps is computed: the same bytes, a third less work
        return Resampler.resize(in, newW, newH, filter, halfRoundedToEven(newW - width),
                halfRoundedToEven(newH - height), width, height);
    }

    /**
     * torchvision's crop offset {@code int(round(excess / 2.0))}: Python rounds halves to even.
     * Integer arithmetic on purpose: it is exact in the browser too, where TeaVM's Math.rint
     * rounds 34.5 up.
     */
    static int halfRoundedToEven(int excess) {
        int half = excess / 2;
        return excess % 2 != 0 && half % 2 != 0 ? half + 1 : half;
    }

    /** Scale to fit (round half up), centre on the fill colour. */
    private Pixels pad(Pixels in, int width, int height, Interpolation filter) {
        int w = in.width();
        int h = in.height();
        int newW;
        int newH;
        if ((long) width * h <= (long) height * w) {
            newW = width;
            newH = Math.max(1, Math.min(height, (int) ((double) ((long) h * width) / w + 0.5)));
        } else {
            newH = height;
            newW = Math.max(1, Math.min(width, (int) ((double) ((long) w * height) / h + 0.5)));
        }
        Pixels resized = Resampler.resize(in, newW, newH, filter);
        int channels = in.channels();
        byte[] out = new byte[width * height * channels];
        for (int i = 0; i < width * height; i++) {
            for (int c = 0; c < channels; c++) {
                out[i * channels + c] = (byte) spec.padFillAt(c);
            }
        }
        int left = (width - newW) / 2;
        int top = (height - newH) / 2;
        byte[] src = resized.array();
        for (int y = 0; y < newH; y++) {
            System.arraycopy(src, y * newW * channels, out, ((top + y) * width + left) * channels,
                    newW * channels);
        }
        return new Pixels(width, height, in.mode(), out);
    }

    /**
     * Writes the tensor of model-sized pixels into {@code dest} at {@code offset}, CHW: invert,
     * divide by 255, subtract the mean, divide by the std, each in float32 as torchvision does.
     *
     * @param modelPixels pixels of the spec's size and mode (from {@link #resize(Pixels)})
     * @param dest the array to fill, for example one slot of a batch
     * @param offset index of the first float to write
     * @throws IllegalArgumentException if the pixels do not have the spec's size or mode, or
     *     {@code dest} is too small
     */
    public void toTensor(Pixels modelPixels, float[] dest, int offset) {
        if (modelPixels.width() != spec.width() || modelPixels.height() != spec.height()
                || modelPixels.mode() != spec.color()) {
            throw new IllegalArgumentException("Invalid pixels: " + modelPixels + " but the spec "
                    + "takes " + spec.color() + " " + spec.width() + "x" + spec.height()
                    + "; call resize() first");
        }
        int plane = spec.width() * spec.height();
        int channels = spec.color().channels();
        if (offset < 0 || dest.length - offset < plane * channels) {
            throw new IllegalArgumentException("Invalid destination: " + (dest.length - offset)
                    + " floats left, need " + plane * channels);
        }
        byte[] src = modelPixels.array();
        for (int c = 0; c < channels; c++) {
            float[] table = values[c];
            int base = offset + c * plane;
            for (int i = 0, p = c; i < plane; i++, p += channels) {
                dest[base + i] = table[src[p] & 0xFF];
            }
        }
    }
}
