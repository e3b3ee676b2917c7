package dev.kodiak.core.preprocess;

import dev.kodiak.core.fields.Fields;

/**
 * Reads an input spec from the fields of a JSON object: a manifest's {@code "input"}, or the
 * {@code "input"} of the server's model description, which has the same format.
 *
 * <p>The one reading of that format. The bundle reader hands it a Gson object and the browser
 * widget a JavaScript one, each through {@link dev.kodiak.core.fields.JsonFields}; which keys
 * exist, their defaults, and what is wrong with a value are decided here, in pure Java, so both
 * read a spec alike.
 *
 * <pre>{@code
 * Problems problems = new Problems();
 * InputSpec spec = InputSpecReader.read(new Fields(json, problems.at("input.")));
 * if (spec == null) {
 *     throw new IllegalArgumentException(problems.joined());
 * }
 * }</pre>
 */
public final class InputSpecReader {
    private InputSpecReader() {
    }

    /**
     * Builds the spec, collecting every field's problem rather than stopping at the first
     * (within an array, its first non-number); the checks across fields (such as mean's length
     * against the colour mode) run once every field is valid.
     *
     * @param in the {@code "input"} object's fields; problems go to its collector, under its
     *     prefix (such as {@code "input."})
     * @return the spec, or {@code null} when a problem was added
     */
    public static InputSpec read(Fields in) {
        int before = in.problems().count();
        InputSpec.Builder b = InputSpec.builder(in.whole("width"), in.whole("height"));
        ColorMode color = in.parse("color", ColorMode::parse);
        if (color != null) {
            b.color(color);
        }
        ResizeMethod resize = in.parse("resize", ResizeMethod::parse);
        if (resize != null) {
            b.resize(resize);
        }
        Interpolation interpolation = in.parse("interpolation", Interpolation::parse);
        if (interpolation != null) {
            b.interpolation(interpolation);
        }
        if (in.has("resize_shorter")) {
            b.resizeShorter(in.whole("resize_shorter"));
        }
        if (in.has("pad_fill")) {
            double[] fill = in.numbers("pad_fill");
            if (fill != null) {
                int[] ints = new int[fill.length];
                for (int i = 0; i < fill.length; i++) {
                    ints[i] = (int) fill[i];
                    if (ints[i] != fill[i]) {
                        in.problems().field("pad_fill", "values must be whole numbers");
                        break;
                    }
                }
                b.padFill(ints);
            }
        }
        b.invert(in.bool("invert", false));
        b.rescale(in.bool("rescale", true));
        b.mean(in.floats("mean"));
        b.std(in.floats("std"));
        if (in.problems().count() > before) {
            return null;
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            in.problems().add(in.problems().prefix()
                    + e.getMessage().replace("Invalid input spec: ", ""));
            return null;
        }
    }
}
