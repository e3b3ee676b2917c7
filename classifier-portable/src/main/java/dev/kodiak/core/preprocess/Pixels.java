package dev.kodiak.core.preprocess;

import java.util.Arrays;

/**
 * An 8-bit image in a {@link ColorMode}: rows top to bottom, pixels left to right, channels
 * interleaved ({@code data[(y * width + x) * channels + c]}), exactly PIL's memory order.
 *
 * <p>Immutable: the constructor copies nothing for speed, so the caller hands over the array and
 * must not change it afterwards; {@link #data()} returns a copy. Thread-safe.
 */
public final class Pixels {
    /** Displayed pixels per side of the square tiles {@link #orient(int)} rotates in. */
    private static final int TILE = 128;

    private final int width;
    private final int height;
    private final ColorMode mode;
    private final byte[] data;

    /**
     * Wraps pixel data, taking ownership of the array.
     *
     * @param width width in pixels, at least 1
     * @param height height in pixels, at least 1
     * @param mode colour mode, which fixes the channel count
     * @param data {@code width * height * mode.channels()} bytes; not copied
     * @throws IllegalArgumentException if the sizes do not agree
     */
    public Pixels(int width, int height, ColorMode mode, byte[] data) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("Invalid size " + width + "x" + height
                    + "; width and height must be at least 1");
        }
        if (mode == null || data == null) {
            throw new IllegalArgumentException("mode and data are required");
        }
        long expected = (long) width * height * mode.channels();
        if (data.length != expected) {
            throw new IllegalArgumentException("Invalid data: " + data.length + " bytes for a "
                    + width + "x" + height + " " + mode + " image, which needs " + expected);
        }
        this.width = width;
        this.height = height;
        this.mode = mode;
        this.data = data;
    }

    /**
     * Returns the width.
     *
     * @return width in pixels
     */
    public int width() {
        return width;
    }

    /**
     * Returns the height.
     *
     * @return height in pixels
     */
    public int height() {
        return height;
    }

    /**
     * Returns the colour mode.
     *
     * @return RGB or L
     */
    public ColorMode mode() {
        return mode;
    }

    /**
     * Returns the number of interleaved channels.
     *
     * @return {@code mode().channels()}
     */
    public int channels() {
        return mode.channels();
    }

    /**
     * Returns one channel value.
     *
     * @param x column
     * @param y row
     * @param channel channel index
     * @return the value, 0 to 255
     */
    public int get(int x, int y, int channel) {
        return data[(y * width + x) * mode.channels() + channel] & 0xFF;
    }

    /**
     * Returns a copy of the interleaved bytes.
     *
     * @return a new array
     */
    public byte[] data() {
        return data.clone();
    }

    /** Package-private access without the copy, for the preprocessing code itself. */
    byte[] array() {
        return data;
    }

    /**
     * Converts to another colour mode as PIL's {@code convert()} does: L to RGB replicates the
     * value, RGB to L is {@code (19595 R + 38470 G + 7471 B + 32768) >> 16}.
     *
     * @param target the mode wanted
     * @return this image if it already is in that mode, else a converted copy
     */
    public Pixels convert(ColorMode target) {
        if (target == mode) {
            return this;
        }
        int n = width * height;
        byte[] out = new byte[n * target.channels()];
        if (target == ColorMode.L) {
            for (int i = 0, j = 0; i < n; i++, j += 3) {
                out[i] = (byte) luminance(data[j] & 0xFF, data[j + 1] & 0xFF, data[j + 2] & 0xFF);
            }
        } else {
            for (int i = 0, j = 0; i < n; i++, j += 3) {
                out[j] = data[i];
                out[j + 1] = data[i];
                out[j + 2] = data[i];
            }
        }
        return new Pixels(width, height, target, out);
    }

    /**
     * Undoes an EXIF orientation as PIL's {@code ImageOps.exif_transpose} does.
     *
     * @param orientation the EXIF tag value, 1 (upright) to 8; others are treated as 1
     * @return the image as it should be displayed ({@code this} for orientation 1)
     */
    public Pixels orient(int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return this;
        }
        int w = width;
        int h = height;
        boolean swap = orientation >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        // Displayed pixel (x, y) comes from stored pixel start + x * dx + y * dy.
        int start;
        int dx;
        int dy;
        switch (orientation) {
            case 2: start = w - 1; dx = -1; dy = w; break;                 // FLIP_LEFT_RIGHT
            case 3: start = (h - 1) * w + w - 1; dx = -1; dy = -w; break;  // ROTATE_180
            case 4: start = (h - 1) * w; dx = 1; dy = -w; break;           // FLIP_TOP_BOTTOM
            case 5: start = 0; dx = w; dy = 1; break;                      // TRANSPOSE
            case 6: start = (h - 1) * w; dx = -w; dy = 1; break;           // ROTATE_270
            case 7: start = (h - 1) * w + w - 1; dx = -w; dy = -1; break;  // TRANSVERSE
            default: start = w - 1; dx = w; dy = -1; break;                // 8: ROTATE_90
        }
        byte[] out = new byte[data.length];
        // When the axes swap, displayed rows are stored columns. Square tiles, displayed row by
        // row, keep the stored lines a tile reads in the cache and write the output in order
        // (a 12 MP photo rotated along whole rows missed the cache on nearly every read).
        int tile = swap ? TILE : ow;
        for (int ty = 0; ty < oh; ty += tile) {
            int yEnd = Math.min(ty + tile, oh);
            for (int tx = 0; tx < ow; tx += tile) {
                int xEnd = Math.min(tx + tile, ow);
                for (int y = ty; y < yEnd; y++) {
                    copyRun(start + tx * dx + y * dy, dx, out, y * ow + tx, xEnd - tx);
                }
            }
        }
        return new Pixels(ow, oh, mode, out);
    }

    /**
     * Copies {@code count} pixels, the stored ones {@code step} pixels apart, to consecutive
     * pixels of {@code out}. Indices are linear in the loop counter, so that the JIT can drop
     * the bounds checks.
     */
    private void copyRun(int from, int step, byte[] out, int to, int count) {
        byte[] src = data;
        if (mode.channels() == 1) {
            if (step == 1) {
                System.arraycopy(src, from, out, to, count);
                return;
            }
            for (int i = 0; i < count; i++) {
                out[to + i] = src[from + i * step];
            }
            return;
        }
        if (step == 1) {
            System.arraycopy(src, from * 3, out, to * 3, count * 3);
            return;
        }
        int s0 = from * 3;
        int o0 = to * 3;
        int s3 = step * 3;
        for (int i = 0; i < count; i++) {
            int s = s0 + i * s3;
            int o = o0 + i * 3;
            out[o] = src[s];
            out[o + 1] = src[s + 1];
            out[o + 2] = src[s + 2];
        }
    }

    /**
     * PIL's luminance of an RGB triple (ITU-R 601-2 weights in 16-bit fixed point).
     *
     * @param r red, 0 to 255
     * @param g green, 0 to 255
     * @param b blue, 0 to 255
     * @return L, 0 to 255
     */
    public static int luminance(int r, int g, int b) {
        return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    }

    /**
     * Builds an image from browser-style RGBA bytes (for example a canvas's {@code ImageData}),
     * dropping alpha as PIL's {@code convert("RGB")} does.
     *
     * @param width width in pixels
     * @param height height in pixels
     * @param rgba {@code width * height * 4} bytes
     * @param target the mode wanted
     * @return the image in {@code target} mode
     * @throws IllegalArgumentException if the array length does not match
     */
    public static Pixels fromRgba(int width, int height, byte[] rgba, ColorMode target) {
        if (rgba.length != (long) width * height * 4) {
            throw new IllegalArgumentException("Invalid data: " + rgba.length + " bytes for a "
                    + width + "x" + height + " RGBA image");
        }
        int n = width * height;
        byte[] out = new byte[n * target.channels()];
        for (int i = 0; i < n; i++) {
            int r = rgba[i * 4] & 0xFF;
            int g = rgba[i * 4 + 1] & 0xFF;
            int b = rgba[i * 4 + 2] & 0xFF;
            if (target == ColorMode.L) {
                out[i] = (byte) luminance(r, g, b);
            } else {
                out[i * 3] = (byte) r;
                out[i * 3 + 1] = (byte) g;
                out[i * 3 + 2] = (byte) b;
            }
        }
        return new Pixels(width, height, target, out);
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object other) {
        return other instanceof Pixels that && width == that.width && height == that.height
                && mode == that.mode && Arrays.equals(data, that.data);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return (31 * (31 * width + height) + mode.hashCode()) * 31 + Arrays.hashCode(data);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Pixels[" + width + "x" + height + " " + mode + "]";
    }
}
