package dev.kodiak.core.preprocess;

/**
 * PIL's {@code Image.resize} for 8-bit images, bit for bit: the same filter kernels, the same
 * coefficient windows, the same 22-bit fixed-point arithmetic and rounding, horizontal pass first,
 * and PIL's pixel-centre nearest neighbour. Stateless and thread-safe.
 */
public final class Resampler {
    /** PIL's {@code PRECISION_BITS}: 32 bits minus 8 for the value minus 2 for overflow. */
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private Resampler() {
    }

    /**
     * Resizes like {@code PIL.Image.resize((width, height), filter)} on an "L" or "RGB" image.
     *
     * @param in the source image
     * @param width target width, at least 1
     * @param height target height, at least 1
     * @param filter the resampling filter
     * @return the resized image ({@code in} itself when the size is unchanged)
     * @throws IllegalArgumentException if the target size is not positive
     */
    public static Pixels resize(Pixels in, int width, int height, Interpolation filter) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("Invalid target size " + width + "x" + height);
        }
        if (width == in.width() && height == in.height()) {
            return in;
        }
        if (filter == Interpolation.NEAREST) {
            return nearest(in, width, height);
        }
        boolean needHorizontal = width != in.width();
        boolean needVertical = height != in.height();
        Coefficients vertical = Coefficients.of(in.height(), height, filter);
        int firstRow = vertical.bounds[0];
        int lastRow = vertical.bounds[2 * height - 2] + vertical.bounds[2 * height - 1];
        Pixels current = in;
        if (needHorizontal) {
            Coefficients horizontal = Coefficients.of(in.width(), width, filter);
            vertical.shift(-firstRow);
            current = horizontal(in, width, firstRow, lastRow - firstRow, horizontal);
        }
        if (needVertical) {
            current = vertical(current, height, vertical);
        }
        return current;
    }

    private static Pixels horizontal(Pixels in, int outWidth, int firstRow, int rows,
            Coefficients c) {
        int channels = in.channels();
        int inStride = in.width() * channels;
        byte[] src = in.array();
        byte[] out = new byte[outWidth * rows * channels];
        int[] sums = new int[channels];
        for (int y = 0; y < rows; y++) {
            int rowStart = (y + firstRow) * inStride;
            for (int xx = 0; xx < outWidth; xx++) {
                int min = c.bounds[2 * xx];
                int count = c.bounds[2 * xx + 1];
                int k = xx * c.size;
                for (int ch = 0; ch < channels; ch++) {
                    int sum = 1 << (PRECISION_BITS - 1);
                    int p = rowStart + min * channels + ch;
                    for (int x = 0; x < count; x++, p += channels) {
                        sum += (src[p] & 0xFF) * c.fixed[k + x];
                    }
                    sums[ch] = sum;
                }
                int o = (y * outWidth + xx) * channels;
                for (int ch = 0; ch < channels; ch++) {
                    out[o + ch] = clip8(sums[ch]);
                }
            }
        }
        return new Pixels(outWidth, rows, in.mode(), out);
    }

    private static Pixels vertical(Pixels in, int outHeight, Coefficients c) {
        int channels = in.channels();
        int stride = in.width() * channels;
        byte[] src = in.array();
        byte[] out = new byte[stride * outHeight];
        for (int yy = 0; yy < outHeight; yy++) {
            int min = c.bounds[2 * yy];
            int count = c.bounds[2 * yy + 1];
            int k = yy * c.size;
            int o = yy * stride;
            for (int i = 0; i < stride; i++) {
                int sum = 1 << (PRECISION_BITS - 1);
                int p = min * stride + i;
                for (int y = 0; y < count; y++, p += stride) {
                    sum += (src[p] & 0xFF) * c.fixed[k + y];
                }
                out[o + i] = clip8(sum);
            }
        }
        return new Pixels(in.width(), outHeight, in.mode(), out);
    }

    private static byte clip8(int sum) {
        int v = sum >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /**
     * PIL's {@code ImagingScaleAffine}: nearest neighbour sampled at output pixel centres, with
     * the same accumulated coordinates; a sample that rounds outside the source stays 0, as in PIL.
     */
    private static Pixels nearest(Pixels in, int width, int height) {
        int channels = in.channels();
        double scaleX = (double) in.width() / width;
        double scaleY = (double) in.height() / height;
        int[] sourceX = new int[width];
        double xo = scaleX * 0.5;
        for (int x = 0; x < width; x++) {
            int xin = (int) xo;
            sourceX[x] = xin < in.width() ? xin : -1;
            xo += scaleX;
        }
        byte[] src = in.array();
        byte[] out = new byte[width * height * channels];
        double yo = scaleY * 0.5;
        for (int y = 0; y < height; y++) {
            int yin = (int) yo;
            if (yin < in.height()) {
                int row = yin * in.width();
                for (int x = 0; x < width; x++) {
                    if (sourceX[x] >= 0) {
                        System.arraycopy(src, (row + sourceX[x]) * channels, out,
                                (y * width + x) * channels, channels);
                    }
                }
            }
            yo += scaleY;
        }
        return new Pixels(width, height, in.mode(), out);
    }

    /** One axis' filter windows: PIL's {@code precompute_coeffs} and {@code normalize_coeffs_8bpc}. */
    private static final class Coefficients {
        final int size;
        final int[] bounds;
        final int[] fixed;

        private Coefficients(int size, int[] bounds, int[] fixed) {
            this.size = size;
            this.bounds = bounds;
            this.fixed = fixed;
        }

        static Coefficients of(int inSize, int outSize, Interpolation filter) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = filter.support() * filterScale;
            int size = (int) Math.ceil(support) * 2 + 1;
            int[] bounds = new int[outSize * 2];
            int[] fixed = new int[outSize * size];
            double[] k = new double[size];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double ww = 0.0;
                double ss = 1.0 / filterScale;
                int min = Math.max((int) (center - support + 0.5), 0);
                int max = Math.min((int) (center + support + 0.5), inSize) - min;
                for (int x = 0; x < max; x++) {
                    double w = filter.weight((x + min - center + 0.5) * ss);
                    k[x] = w;
                    ww += w;
                }
                for (int x = 0; x < max; x++) {
                    double v = ww != 0.0 ? k[x] / ww : k[x];
                    fixed[xx * size + x] = v < 0
                            ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                            : (int) (0.5 + v * (1 << PRECISION_BITS));
                }
                bounds[2 * xx] = min;
                bounds[2 * xx + 1] = max;
            }
            return new Coefficients(size, bounds, fixed);
        }

        void shift(int delta) {
            for (int i = 0; i < bounds.length; i += 2) {
                bounds[i] += delta;
            }
        }
    }
}
