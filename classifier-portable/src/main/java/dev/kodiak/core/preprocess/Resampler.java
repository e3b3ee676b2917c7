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
        return resize(in, width, height, filter, 0, 0, width, height);
    }

    /**
     * A window of PIL's resize, computed without the rest: the same bytes as resizing to
     * {@code width x height} and then cropping, at the cost of the window only. A centre crop
     * after a resize (torchvision's {@code Resize} + {@code CenterCrop}) is this.
     *
     * @param in the source image
     * @param width full target width
     * @param height full target height
     * @param filter the resampling filter
     * @param left first column of the window in the resized image
     * @param top first row of the window in the resized image
     * @param regionWidth window width
     * @param regionHeight window height
     * @return the window of the resized image
     * @throws IllegalArgumentException if a size is not positive or the window lies outside
     */
    public static Pixels resize(Pixels in, int width, int height, Interpolation filter, int left,
            int top, int regionWidth, int regionHeight) {
        if (width < 1 || height < 1 || regionWidth < 1 || regionHeight < 1 || left < 0
                || top < 0 || left + regionWidth > width || top + regionHeight > height) {
            throw new IllegalArgumentException("Invalid resize to " + width + "x" + height
                    + " keeping " + regionWidth + "x" + regionHeight + " at " + left + ","
                    + top);
        }
        if (width == in.width() && height == in.height()) {
            return crop(in, left, top, regionWidth, regionHeight);
        }
        if (filter == Interpolation.NEAREST) {
            return nearest(in, width, height, left, top, regionWidth, regionHeight);
        }
        int channels = in.channels();
        boolean needHorizontal = width != in.width();
        boolean needVertical = height != in.height();
        Coefficients vertical = needVertical
                ? Coefficients.of(in.height(), height, filter, top, regionHeight) : null;
        int last = regionHeight - 1;
        int firstRow = needVertical ? vertical.bounds[0] : top;
        int endRow = needVertical ? vertical.bounds[2 * last] + vertical.bounds[2 * last + 1]
                : top + regionHeight;
        int rows = endRow - firstRow;
        byte[] columns = needHorizontal
                ? horizontal(in, firstRow, rows,
                        Coefficients.of(in.width(), width, filter, left, regionWidth))
                : crop(in, left, firstRow, regionWidth, rows).array();
        byte[] out = needVertical
                ? vertical(columns, regionWidth * channels, firstRow, vertical)
                : columns;
        return new Pixels(regionWidth, regionHeight, in.mode(), out);
    }

    private static Pixels crop(Pixels in, int left, int top, int width, int height) {
        if (left == 0 && top == 0 && width == in.width() && height == in.height()) {
            return in;
        }
        int channels = in.channels();
        byte[] src = in.array();
        byte[] out = new byte[width * height * channels];
        for (int y = 0; y < height; y++) {
            System.arraycopy(src, ((top + y) * in.width() + left) * channels, out,
                    y * width * channels, width * channels);
        }
        return new Pixels(width, height, in.mode(), out);
    }

    /** PIL's horizontal pass for the coefficients' output columns, rows [first, +rows). */
    private static byte[] horizontal(Pixels in, int firstRow, int rows, Coefficients c) {
        int count = c.count;
        int channels = in.channels();
        int inStride = in.width() * channels;
        byte[] src = in.array();
        byte[] out = new byte[count * rows * channels];
        int[] fixed = c.fixed;
        int[] bounds = c.bounds;
        int half = 1 << (PRECISION_BITS - 1);
        int o = 0;
        for (int y = 0; y < rows; y++) {
            int rowStart = (y + firstRow) * inStride;
            for (int xx = 0; xx < count; xx++) {
                int min = bounds[2 * xx];
                int taps = bounds[2 * xx + 1];
                int k = xx * c.size;
                if (channels == 3) {
                    int s0 = half;
                    int s1 = half;
                    int s2 = half;
                    int p = rowStart + min * 3;
                    for (int x = 0; x < taps; x++, p += 3) {
                        int w = fixed[k + x];
                        s0 += (src[p] & 0xFF) * w;
                        s1 += (src[p + 1] & 0xFF) * w;
                        s2 += (src[p + 2] & 0xFF) * w;
                    }
                    out[o++] = clip8(s0);
                    out[o++] = clip8(s1);
                    out[o++] = clip8(s2);
                } else {
                    int s0 = half;
                    int p = rowStart + min;
                    for (int x = 0; x < taps; x++, p++) {
                        s0 += (src[p] & 0xFF) * fixed[k + x];
                    }
                    out[o++] = clip8(s0);
                }
            }
        }
        return out;
    }

    /**
     * PIL's vertical pass for the coefficients' output rows, over intermediate rows that start
     * at source row {@code firstRow}; row by row so that memory is read in order.
     */
    private static byte[] vertical(byte[] src, int stride, int firstRow, Coefficients c) {
        int count = c.count;
        byte[] out = new byte[stride * count];
        int[] sums = new int[stride];
        int half = 1 << (PRECISION_BITS - 1);
        for (int yy = 0; yy < count; yy++) {
            int min = c.bounds[2 * yy] - firstRow;
            int taps = c.bounds[2 * yy + 1];
            int k = yy * c.size;
            java.util.Arrays.fill(sums, half);
            for (int y = 0; y < taps; y++) {
                int w = c.fixed[k + y];
                int row = (min + y) * stride;
                for (int i = 0; i < stride; i++) {
                    sums[i] += (src[row + i] & 0xFF) * w;
                }
            }
            int o = yy * stride;
            for (int i = 0; i < stride; i++) {
                out[o + i] = clip8(sums[i]);
            }
        }
        return out;
    }

    private static byte clip8(int sum) {
        int v = sum >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /**
     * PIL's {@code ImagingScaleAffine}: nearest neighbour sampled at output pixel centres, with
     * the same accumulated coordinates; a sample that rounds outside the source stays 0, as in
     * PIL. Only the window [left, +regionWidth) x [top, +regionHeight) is produced.
     */
    private static Pixels nearest(Pixels in, int width, int height, int left, int top,
            int regionWidth, int regionHeight) {
        int channels = in.channels();
        double scaleX = (double) in.width() / width;
        double scaleY = (double) in.height() / height;
        int[] sourceX = new int[regionWidth];
        double xo = scaleX * 0.5;
        for (int x = 0; x < left + regionWidth; x++) {
            if (x >= left) {
                int xin = (int) xo;
                sourceX[x - left] = xin < in.width() ? xin : -1;
            }
            xo += scaleX;
        }
        byte[] src = in.array();
        byte[] out = new byte[regionWidth * regionHeight * channels];
        double yo = scaleY * 0.5;
        for (int y = 0; y < top + regionHeight; y++) {
            int yin = (int) yo;
            if (y >= top && yin < in.height()) {
                int row = yin * in.width();
                for (int x = 0; x < regionWidth; x++) {
                    if (sourceX[x] >= 0) {
                        System.arraycopy(src, (row + sourceX[x]) * channels, out,
                                ((y - top) * regionWidth + x) * channels, channels);
                    }
                }
            }
            yo += scaleY;
        }
        return new Pixels(regionWidth, regionHeight, in.mode(), out);
    }

    /**
     * One axis' filter windows, PIL's {@code precompute_coeffs} and {@code normalize_coeffs_8bpc},
     * for output positions [first, first + count) of {@code outSize}: index 0 is {@code first}.
     * Only the window is computed, so memory follows what is kept, not how long the resized
     * axis would be.
     */
    private static final class Coefficients {
        final int count;
        final int size;
        final int[] bounds;
        final int[] fixed;

        private Coefficients(int count, int size, int[] bounds, int[] fixed) {
            this.count = count;
            this.size = size;
            this.bounds = bounds;
            this.fixed = fixed;
        }

        static Coefficients of(int inSize, int outSize, Interpolation filter, int first,
                int count) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = filter.support() * filterScale;
            int size = (int) Math.ceil(support) * 2 + 1;
            int[] bounds = new int[count * 2];
            int[] fixed = new int[count * size];
            double[] k = new double[size];
            for (int xx = 0; xx < count; xx++) {
                double center = (first + xx + 0.5) * scale;
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
            return new Coefficients(count, size, bounds, fixed);
        }
    }
}
