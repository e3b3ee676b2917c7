package dev.kodiak.core.preprocess;

import java.util.List;
import java.util.function.Function;

/**
 * Reads an input spec from the fields of a JSON object: a manifest's {@code "input"}, or the
 * {@code "input"} of the server's model description, which has the same format.
 *
 * <p>The one reading of that format. The bundle reader hands it a Gson object and the browser
 * widget a JavaScript one, each through {@link JsonFields}; which keys exist, their defaults, and
 * what is wrong with a value are decided here, in pure Java, so both read a spec alike.
 *
 * <pre>{@code
 * List<String> problems = new ArrayList<>();
 * InputSpec spec = InputSpecReader.read(fields, "input.", problems);
 * if (spec == null) {
 *     throw new IllegalArgumentException(String.join("; ", problems));
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
     * @param in the {@code "input"} object's fields
     * @param prefix put before each field name in problems, such as {@code "input."}
     * @param problems receives one message per invalid or missing field
     * @return the spec, or {@code null} when a problem was added
     */
    public static InputSpec read(JsonFields in, String prefix, List<String> problems) {
        Reader r = new Reader(in, prefix, problems);
        int before = problems.size();
        InputSpec.Builder b = InputSpec.builder(r.whole("width"), r.whole("height"));
        ColorMode color = r.parse("color", ColorMode::parse);
        if (color != null) {
            b.color(color);
        }
        ResizeMethod resize = r.parse("resize", ResizeMethod::parse);
        if (resize != null) {
            b.resize(resize);
        }
        Interpolation interpolation = r.parse("interpolation", Interpolation::parse);
        if (interpolation != null) {
            b.interpolation(interpolation);
        }
        if (in.has("resize_shorter")) {
            b.resizeShorter(r.whole("resize_shorter"));
        }
        if (in.has("pad_fill")) {
            double[] fill = r.numbers("pad_fill");
            if (fill != null) {
                int[] ints = new int[fill.length];
                for (int i = 0; i < fill.length; i++) {
                    ints[i] = (int) fill[i];
                    if (ints[i] != fill[i]) {
                        problems.add(prefix + "pad_fill values must be whole numbers");
                        break;
                    }
                }
                b.padFill(ints);
            }
        }
        b.invert(r.bool("invert", false));
        b.rescale(r.bool("rescale", true));
        b.mean(r.floats("mean"));
        b.std(r.floats("std"));
        if (problems.size() > before) {
            return null;
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            problems.add(prefix + e.getMessage().replace("Invalid input spec: ", ""));
            return null;
        }
    }

    /** Typed access with problems collected under the prefix (a class: TeaVM compiles it). */
    private static final class Reader {
        private final JsonFields in;
        private final String prefix;
        private final List<String> problems;

        Reader(JsonFields in, String prefix, List<String> problems) {
            this.in = in;
            this.prefix = prefix;
            this.problems = problems;
        }

        <T> T parse(String key, Function<String, T> parser) {
            String value = string(key);
            if (value == null) {
                return null;
            }
            try {
                return parser.apply(value);
            } catch (IllegalArgumentException e) {
                problems.add(prefix + key + ": " + e.getMessage());
                return null;
            }
        }

        String string(String key) {
            if (!in.has(key)) {
                problems.add(prefix + key + " is missing (a string)");
                return null;
            }
            String value = in.string(key);
            if (value == null) {
                problems.add(prefix + key + " must be a string");
            }
            return value;
        }

        int whole(String key) {
            if (!in.has(key)) {
                problems.add(prefix + key + " is missing (a whole number)");
                return -1;
            }
            double v = in.number(key);
            if (Double.isNaN(v) || v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
                problems.add(prefix + key + " must be a whole number");
                return -1;
            }
            return (int) v;
        }

        boolean bool(String key, boolean fallback) {
            if (!in.has(key)) {
                return fallback;
            }
            Boolean value = in.bool(key);
            if (value == null) {
                problems.add(prefix + key + " must be true or false");
                return fallback;
            }
            return value;
        }

        double[] numbers(String key) {
            if (!in.has(key)) {
                problems.add(prefix + key + " is missing (an array)");
                return null;
            }
            double[] values = in.numbers(key);
            if (values == null) {
                problems.add(prefix + key + " must be an array");
                return null;
            }
            for (int i = 0; i < values.length; i++) {
                if (Double.isNaN(values[i])) {
                    problems.add(prefix + key + "[" + i + "] must be a number");
                    return null;
                }
            }
            return values;
        }

        float[] floats(String key) {
            double[] values = numbers(key);
            if (values == null) {
                return null;
            }
            float[] floats = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                floats[i] = (float) values[i];
            }
            return floats;
        }
    }
}
