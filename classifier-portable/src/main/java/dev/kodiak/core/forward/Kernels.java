package dev.kodiak.core.forward;

/**
 * The arithmetic of the heavy operators on plain float arrays: convolution as im2col and a
 * matrix product whose inner loop runs over contiguous memory (which is what TeaVM's
 * JavaScript and the JIT both do best), pooling, and the fully connected product. Stateless.
 */
final class Kernels {
    private Kernels() {
    }

    /** Where a 2-D window operator reads: kernel, strides, dilations and pads (top, left, bottom, right). */
    record Window(int kh, int kw, int sh, int sw, int dh, int dw, int pt, int pl, int pb,
            int pr) {
        int outHeight(int h, boolean ceil) {
            return out(h + pt + pb, dh * (kh - 1) + 1, sh, ceil);
        }

        int outWidth(int w, boolean ceil) {
            return out(w + pl + pr, dw * (kw - 1) + 1, sw, ceil);
        }

        private static int out(int padded, int extent, int stride, boolean ceil) {
            int span = padded - extent;
            if (span < 0) {
                return 0;
            }
            int n = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
            return n;
        }
    }

    /**
     * A 2-D convolution of an NCHW tensor.
     *
     * @param x input, n × c × h × w
     * @param weight m × (c / groups) × kh × kw
     * @param bias m values, or null
     * @return n × m × oh × ow
     */
    static float[] conv(float[] x, int n, int c, int h, int w, float[] weight, int m,
            float[] bias, int groups, Window win, int oh, int ow) {
        int cg = c / groups;
        int mg = m / groups;
        int k = cg * win.kh() * win.kw();
        int p = oh * ow;
        float[] out = new float[n * m * p];
        boolean direct = win.kh() == 1 && win.kw() == 1 && win.sh() == 1 && win.sw() == 1
                && win.pt() == 0 && win.pl() == 0 && win.pb() == 0 && win.pr() == 0;
        float[] col = direct ? null : new float[k * p];
        for (int b = 0; b < n; b++) {
            for (int g = 0; g < groups; g++) {
                int inAt = (b * c + g * cg) * h * w;
                float[] src;
                int srcAt;
                if (direct) {
                    src = x;
                    srcAt = inAt;
                } else {
                    im2col(x, inAt, cg, h, w, win, oh, ow, col);
                    src = col;
                    srcAt = 0;
                }
                int outAt = (b * m + g * mg) * p;
                multiply(weight, g * mg * k, mg, k, src, srcAt, p, out, outAt);
                if (bias != null) {
                    for (int j = 0; j < mg; j++) {
                        float v = bias[g * mg + j];
                        int at = outAt + j * p;
                        for (int q = 0; q < p; q++) {
                            out[at + q] += v;
                        }
                    }
                }
            }
        }
        return out;
    }

    private static void im2col(float[] x, int at, int c, int h, int w, Window win, int oh,
            int ow, float[] col) {
        int row = 0;
        for (int ch = 0; ch < c; ch++) {
            int plane = at + ch * h * w;
            for (int i = 0; i < win.kh(); i++) {
                for (int j = 0; j < win.kw(); j++) {
                    int to = row * oh * ow;
                    for (int y = 0; y < oh; y++) {
                        int iy = y * win.sh() - win.pt() + i * win.dh();
                        if (iy < 0 || iy >= h) {
                            for (int xo = 0; xo < ow; xo++) {
                                col[to++] = 0;
                            }
                            continue;
                        }
                        int line = plane + iy * w;
                        int ix = -win.pl() + j * win.dw();
                        for (int xo = 0; xo < ow; xo++, ix += win.sw()) {
                            col[to++] = ix >= 0 && ix < w ? x[line + ix] : 0;
                        }
                    }
                    row++;
                }
            }
        }
    }

    /**
     * out[rows × cols] = a[rows × inner] · b[inner × cols], four rows of b at a time so the
     * inner loop stores each output once per four products.
     */
    static void multiply(float[] a, int aAt, int rows, int inner, float[] b, int bAt, int cols,
            float[] out, int outAt) {
        for (int r = 0; r < rows; r++) {
            int o = outAt + r * cols;
            int ar = aAt + r * inner;
            int kk = 0;
            for (; kk + 3 < inner; kk += 4) {
                float w0 = a[ar + kk];
                float w1 = a[ar + kk + 1];
                float w2 = a[ar + kk + 2];
                float w3 = a[ar + kk + 3];
                int b0 = bAt + kk * cols;
                int b1 = b0 + cols;
                int b2 = b1 + cols;
                int b3 = b2 + cols;
                for (int q = 0; q < cols; q++) {
                    out[o + q] += w0 * b[b0 + q] + w1 * b[b1 + q] + w2 * b[b2 + q]
                            + w3 * b[b3 + q];
                }
            }
            for (; kk < inner; kk++) {
                float w0 = a[ar + kk];
                int b0 = bAt + kk * cols;
                for (int q = 0; q < cols; q++) {
                    out[o + q] += w0 * b[b0 + q];
                }
            }
        }
    }

    /** out[rows × cols] = a[rows × inner] · bt[cols × inner]ᵀ: dot products of contiguous rows. */
    static void multiplyTransposed(float[] a, int rows, int inner, float[] bt, int cols,
            float[] out) {
        for (int r = 0; r < rows; r++) {
            int ar = r * inner;
            for (int j = 0; j < cols; j++) {
                int br = j * inner;
                float s0 = 0;
                float s1 = 0;
                float s2 = 0;
                float s3 = 0;
                int kk = 0;
                for (; kk + 3 < inner; kk += 4) {
                    s0 += a[ar + kk] * bt[br + kk];
                    s1 += a[ar + kk + 1] * bt[br + kk + 1];
                    s2 += a[ar + kk + 2] * bt[br + kk + 2];
                    s3 += a[ar + kk + 3] * bt[br + kk + 3];
                }
                for (; kk < inner; kk++) {
                    s0 += a[ar + kk] * bt[br + kk];
                }
                out[r * cols + j] = (s0 + s1) + (s2 + s3);
            }
        }
    }

    /**
     * Max or average pooling of an NCHW tensor (planes = n × c).
     *
     * @param average average instead of max
     * @param countPad count padded cells in an average (count_include_pad)
     */
    static float[] pool(float[] x, int planes, int h, int w, Window win, int oh, int ow,
            boolean average, boolean countPad) {
        float[] out = new float[planes * oh * ow];
        int o = 0;
        for (int pl = 0; pl < planes; pl++) {
            int plane = pl * h * w;
            for (int y = 0; y < oh; y++) {
                for (int xo = 0; xo < ow; xo++) {
                    int y0 = y * win.sh() - win.pt();
                    int x0 = xo * win.sw() - win.pl();
                    float best = Float.NEGATIVE_INFINITY;
                    float sum = 0;
                    int count = 0;
                    int padded = 0;
                    for (int i = 0; i < win.kh(); i++) {
                        int iy = y0 + i * win.dh();
                        for (int j = 0; j < win.kw(); j++) {
                            int ix = x0 + j * win.dw();
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                                // a cell of the pads counts, one past them (ceil_mode) does not
                                if (iy >= -win.pt() && iy < h + win.pb() && ix >= -win.pl()
                                        && ix < w + win.pr()) {
                                    padded++;
                                }
                                continue;
                            }
                            float v = x[plane + iy * w + ix];
                            if (v > best || Float.isNaN(v)) {
                                best = v;
                            }
                            sum += v;
                            count++;
                        }
                    }
                    out[o++] = average ? sum / (countPad ? count + padded : count) : best;
                }
            }
        }
        return out;
    }
}
