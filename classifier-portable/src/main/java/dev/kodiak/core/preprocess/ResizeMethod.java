package dev.kodiak.core.preprocess;

import java.util.Locale;

/** How an image of any aspect ratio is brought to the model's input size. */
public enum ResizeMethod {
    /** Resize to exactly width x height, ignoring aspect ratio (fastai {@code ResizeMethod.Squish}). */
    SQUISH,
    /**
     * Resize the shorter side to {@link InputSpec#resizeShorter()}, then centre-crop
     * (torchvision {@code Resize(shorter)} followed by {@code CenterCrop((height, width))}).
     */
    CROP,
    /**
     * Scale to fit inside width x height keeping the aspect ratio, then centre on a background of
     * {@link InputSpec#padFill()} (letterbox, fastai {@code ResizeMethod.Pad} with zeros).
     */
    PAD;

    /**
     * Parses a method name as written in a bundle manifest.
     *
     * @param name "squish", "crop" or "pad"
     * @return the method
     * @throws IllegalArgumentException if the name is none of them
     */
    public static ResizeMethod parse(String name) {
        for (ResizeMethod method : values()) {
            if (method.manifestName().equals(name)) {
                return method;
            }
        }
        throw new IllegalArgumentException(
                "Invalid resize: '" + name + "'; use \"squish\", \"crop\" or \"pad\"");
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
