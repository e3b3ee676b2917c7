package dev.kodiak.core.preprocess;

import java.util.Locale;

/**
 * PIL's resampling filters, with PIL's support sizes. Except for {@link #NEAREST}, each filter is
 * widened by the scale factor when downscaling, which is PIL's antialiasing.
 */
public enum Interpolation {
    /** Nearest neighbour, sampled at pixel centres (PIL {@code Image.NEAREST}). */
    NEAREST(0.0),
    /** Box filter, support 0.5 (PIL {@code Image.BOX}). */
    BOX(0.5),
    /** Triangle filter, support 1 (PIL {@code Image.BILINEAR}). */
    BILINEAR(1.0),
    /** Hamming-windowed sinc, support 1 (PIL {@code Image.HAMMING}). */
    HAMMING(1.0),
    /** Cubic convolution with a = -0.5, support 2 (PIL {@code Image.BICUBIC}). */
    BICUBIC(2.0),
    /** Lanczos-3 windowed sinc, support 3 (PIL {@code Image.LANCZOS}). */
    LANCZOS(3.0);

    private final double support;

    Interpolation(double support) {
        this.support = support;
    }

    /**
     * Returns the filter's support at scale 1, in source pixels.
     *
     * @return the half-width of the filter
     */
    public double support() {
        return support;
    }

    /**
     * Evaluates the filter kernel as PIL's {@code Resample.c} does, term for term.
     *
     * @param x distance from the sample centre, in filter units
     * @return the kernel weight
     */
    double weight(double x) {
        switch (this) {
            case BOX:
                return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
            case BILINEAR:
                x = Math.abs(x);
                return x < 1.0 ? 1.0 - x : 0.0;
            case HAMMING:
                x = Math.abs(x);
                if (x == 0.0) {
                    return 1.0;
                }
                if (x >= 1.0) {
                    return 0.0;
                }
                x = x * Math.PI;
                // PIL writes these constants as C floats; keep their float values.
                return Math.sin(x) / x * (0.54f + 0.46f * Math.cos(x));
            case BICUBIC:
                x = Math.abs(x);
                if (x < 1.0) {
                    return ((-0.5 + 2.0) * x - (-0.5 + 3.0)) * x * x + 1;
                }
                if (x < 2.0) {
                    return (((x - 5) * x + 8) * x - 4) * -0.5;
                }
                return 0.0;
            case LANCZOS:
                return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
            default:
                throw new IllegalStateException("nearest has no kernel");
        }
    }

    private static double sinc(double x) {
        if (x == 0.0) {
            return 1.0;
        }
        x = x * Math.PI;
        return Math.sin(x) / x;
    }

    /**
     * Parses a filter name as written in a bundle manifest.
     *
     * @param name one of nearest, box, bilinear, hamming, bicubic, lanczos
     * @return the filter
     * @throws IllegalArgumentException if the name is unknown
     */
    public static Interpolation parse(String name) {
        for (Interpolation interpolation : values()) {
            if (interpolation.manifestName().equals(name)) {
                return interpolation;
            }
        }
        throw new IllegalArgumentException("Invalid interpolation: '" + name
                + "'; use nearest, box, bilinear, hamming, bicubic or lanczos");
    }

    /**
     * Returns the name used in bundle manifests.
     *
     * @return the lower-case name
     */
    public String manifestName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
