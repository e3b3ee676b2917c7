package dev.kodiak.core.preprocess;

/** The colour mode a model takes, named as PIL names it in {@code Image.convert(mode)}. */
public enum ColorMode {
    /** Three 8-bit channels, red, green, blue. */
    RGB(3),
    /** One 8-bit luminance channel, {@code L = (19595 R + 38470 G + 7471 B + 32768) >> 16}. */
    L(1);

    private final int channels;

    ColorMode(int channels) {
        this.channels = channels;
    }

    /**
     * Returns the number of channels of this mode.
     *
     * @return 3 for RGB, 1 for L
     */
    public int channels() {
        return channels;
    }

    /**
     * Parses a mode name as written in a bundle manifest.
     *
     * @param name "RGB" or "L"
     * @return the mode
     * @throws IllegalArgumentException if the name is neither
     */
    public static ColorMode parse(String name) {
        for (ColorMode mode : values()) {
            if (mode.name().equals(name)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("Invalid color: '" + name + "'; use \"RGB\" or \"L\"");
    }
}
