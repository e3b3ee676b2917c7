package dev.kodiak.cli;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Interpolation;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Resampler;

/**
 * How a picture looks, to tell its copies from other pictures: three 8x8 grayscale views, each
 * shrunk with PIL's LANCZOS filter (antialiased, so that a copy resized with any filter shrinks
 * to nearly the same view):
 * <ul>
 *   <li><b>whole</b>: the whole picture;
 *   <li><b>inside</b>: the picture inside its frame, when its outer rings of pixels are of one
 *       colour (within 48 gray levels of the outermost ring's median), up to 8% of its shorter
 *       side: a border added around a copy;
 *   <li><b>centre</b>: the picture 3% in from each side: a copy cropped slightly.
 * </ul>
 * {@link #distance} is the root mean square difference of two looks' views in gray levels
 * (0 to 255), the smallest of whole to whole, inside to inside, whole to centre and centre to
 * whole. Re-encoded, converted, framed and EXIF-turned copies are under 3 gray levels away,
 * most resized ones under 4; different pictures, even two garments of one class at 28x28,
 * are rarely under 4 ({@code benchmarks/results/dedupe.md}).
 *
 * <p>The views are kept as their orthonormal DCT coefficients, which change no distance: most
 * of a picture is in its first few, so a comparison that exceeds its bound stops early, and
 * {@link LookIndex} files looks by them. Immutable and thread-safe.
 */
public final class Look {
    /** The side of each view, in pixels. */
    static final int SIDE = 8;
    /** Coefficients per view. */
    static final int SIZE = SIDE * SIDE;
    /** How far (gray levels) a frame's pixels may be from its colour. */
    static final int FRAME_TOLERANCE = 48;
    /** The widest frame taken off, as a share of the shorter side. */
    static final double FRAME_LIMIT = 0.08;
    /** How much of each side the centre view leaves out. */
    static final double CENTRE_CROP = 0.03;

    /** The orthonormal DCT-II basis: {@code BASIS[u][x]}. */
    private static final double[][] BASIS = new double[SIDE][SIDE];

    static {
        for (int u = 0; u < SIDE; u++) {
            double scale = Math.sqrt((u == 0 ? 1.0 : 2.0) / SIDE);
            for (int x = 0; x < SIDE; x++) {
                BASIS[u][x] = scale * Math.cos((2 * x + 1) * u * Math.PI / (2 * SIDE));
            }
        }
    }

    /** Where coefficient (row v, column u) goes: zigzag order, lowest frequencies first. */
    private static final int[] ZIGZAG = zigzag();

    private final float[] whole;
    private final float[] inside;
    private final float[] centre;

    private Look(float[] whole, float[] inside, float[] centre) {
        this.whole = whole;
        this.inside = inside;
        this.centre = centre;
    }

    /**
     * The look of a decoded picture.
     *
     * @param image its pixels, any colour mode, EXIF orientation applied
     * @return its look
     */
    public static Look of(Pixels image) {
        Pixels gray = image.convert(ColorMode.L);
        int w = gray.width();
        int h = gray.height();
        float[] whole = view(gray, 0, 0, w, h);
        int frame = frame(gray);
        float[] inside = frame == 0 ? whole : view(gray, frame, frame, w - 2 * frame,
                h - 2 * frame);
        int dx = (int) Math.round(CENTRE_CROP * w);
        int dy = (int) Math.round(CENTRE_CROP * h);
        float[] centre = dx == 0 && dy == 0 ? whole : view(gray, dx, dy, w - 2 * dx, h - 2 * dy);
        return new Look(whole, inside, centre);
    }

    /**
     * How different two looks are: the smallest root mean square difference, in gray levels,
     * of whole to whole, inside to inside, whole to centre and centre to whole.
     *
     * @param other another look
     * @return 0 for the same picture, up to 255
     */
    public double distance(Look other) {
        float inf = Float.POSITIVE_INFINITY;
        double sum = Math.min(Math.min(squared(whole, other.whole, inf),
                squared(inside, other.inside, inf)), Math.min(squared(whole, other.centre, inf),
                squared(centre, other.whole, inf)));
        return Math.sqrt(sum / SIZE);
    }

    /**
     * Whether two looks are within a distance of each other; quicker than {@link #distance},
     * as each comparison stops once past the bound.
     *
     * @param other another look
     * @param threshold the largest {@link #distance} accepted
     * @return whether {@code distance(other) <= threshold} (in float arithmetic)
     */
    public boolean within(Look other, double threshold) {
        float bound = (float) (threshold * threshold * SIZE);
        return squared(whole, other.whole, bound) <= bound
                || squared(inside, other.inside, bound) <= bound
                || squared(whole, other.centre, bound) <= bound
                || squared(centre, other.whole, bound) <= bound;
    }

    /** The whole view's coefficients (not a copy: for the index). */
    float[] whole() {
        return whole;
    }

    /** The inside view's coefficients, the whole view's when there is no frame. */
    float[] inside() {
        return inside;
    }

    /** The centre view's coefficients. */
    float[] centre() {
        return centre;
    }

    /** Sum of squared differences, stopping once above {@code bound}. */
    private static float squared(float[] a, float[] b, float bound) {
        return squared(a, b, 0, bound);
    }

    /**
     * Sum of squared differences between a view and one stored at an offset of an array,
     * stopping once above {@code bound} (checked every 8 coefficients).
     */
    static float squared(float[] a, float[] b, int offset, float bound) {
        float sum = 0;
        for (int i = 0; i < SIZE; i += 8) {
            for (int j = i; j < i + 8; j++) {
                float d = a[j] - b[offset + j];
                sum += d * d;
            }
            if (sum > bound) {
                return sum;
            }
        }
        return sum;
    }

    /**
     * The width of a uniform frame: how many outer rings are within {@link #FRAME_TOLERANCE}
     * of the outermost ring's median, up to {@link #FRAME_LIMIT} of the shorter side (at least
     * 1 pixel) and at most a quarter of it, rounded down.
     */
    static int frame(Pixels gray) {
        int w = gray.width();
        int h = gray.height();
        int shorter = Math.min(w, h);
        int limit = Math.min(Math.max(1, (int) Math.round(FRAME_LIMIT * shorter)),
                shorter / 4);
        int[] histogram = new int[256];
        int count = 0;
        for (int x = 0; x < w; x++) {
            histogram[gray.get(x, 0, 0)]++;
            histogram[gray.get(x, h - 1, 0)]++;
            count += 2;
        }
        for (int y = 0; y < h; y++) {
            histogram[gray.get(0, y, 0)]++;
            histogram[gray.get(w - 1, y, 0)]++;
            count += 2;
        }
        // the median of the ring's values, the mean of the two middle ones for an even count
        double colour = (nth(histogram, (count - 1) / 2) + nth(histogram, count / 2)) / 2.0;
        int k = 0;
        while (k < limit && ringWithin(gray, k, colour)) {
            k++;
        }
        return k;
    }

    private static int nth(int[] histogram, int n) {
        int seen = 0;
        for (int v = 0; v < histogram.length; v++) {
            seen += histogram[v];
            if (seen > n) {
                return v;
            }
        }
        return histogram.length - 1;
    }

    private static boolean ringWithin(Pixels gray, int k, double colour) {
        int right = gray.width() - 1 - k;
        int bottom = gray.height() - 1 - k;
        for (int x = k; x <= right; x++) {
            if (Math.abs(gray.get(x, k, 0) - colour) > FRAME_TOLERANCE
                    || Math.abs(gray.get(x, bottom, 0) - colour) > FRAME_TOLERANCE) {
                return false;
            }
        }
        for (int y = k; y <= bottom; y++) {
            if (Math.abs(gray.get(k, y, 0) - colour) > FRAME_TOLERANCE
                    || Math.abs(gray.get(right, y, 0) - colour) > FRAME_TOLERANCE) {
                return false;
            }
        }
        return true;
    }

    /** A window of the gray picture, shrunk to 8x8, as its DCT coefficients. */
    private static float[] view(Pixels gray, int left, int top, int width, int height) {
        Pixels window = left == 0 && top == 0 && width == gray.width()
                && height == gray.height() ? gray : crop(gray, left, top, width, height);
        Pixels small = Resampler.resize(window, SIDE, SIDE, Interpolation.LANCZOS);
        double[][] rows = new double[SIDE][SIDE];
        for (int y = 0; y < SIDE; y++) {
            for (int u = 0; u < SIDE; u++) {
                double s = 0;
                for (int x = 0; x < SIDE; x++) {
                    s += BASIS[u][x] * small.get(x, y, 0);
                }
                rows[y][u] = s;
            }
        }
        float[] coefficients = new float[SIZE];
        for (int v = 0; v < SIDE; v++) {
            for (int u = 0; u < SIDE; u++) {
                double s = 0;
                for (int y = 0; y < SIDE; y++) {
                    s += BASIS[v][y] * rows[y][u];
                }
                coefficients[ZIGZAG[v * SIDE + u]] = (float) s;
            }
        }
        return coefficients;
    }

    private static int[] zigzag() {
        int[] order = new int[SIZE];
        int i = 0;
        for (int s = 0; s < 2 * SIDE - 1; s++) {
            for (int d = 0; d <= s; d++) {
                int v = s % 2 == 0 ? s - d : d;
                int u = s - v;
                if (v < SIDE && u < SIDE) {
                    order[v * SIDE + u] = i++;
                }
            }
        }
        return order;
    }

    private static Pixels crop(Pixels gray, int left, int top, int width, int height) {
        byte[] out = new byte[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                out[y * width + x] = (byte) gray.get(left + x, top + y, 0);
            }
        }
        return new Pixels(width, height, ColorMode.L, out);
    }
}
