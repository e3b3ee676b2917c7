package dev.kodiak.core.fields;

import java.util.function.Function;

/**
 * Typed, checked access to one JSON object's fields: each getter returns the value, or records
 * in {@link Problems} why there is none (missing, or of the wrong type) and returns a stand-in.
 * The readers of Kodiak's JSON formats use it so that every field's problem is worded alike and
 * reported together. A class, not lambdas over an interface: TeaVM compiles it for the browser.
 *
 * <p>Not thread-safe: one document is read by one thread.
 */
public final class Fields {
    private final JsonFields json;
    private final Problems problems;

    /**
     * Wraps an object's fields.
     *
     * @param json the fields
     * @param problems where problems go; its prefix names this object
     */
    public Fields(JsonFields json, Problems problems) {
        this.json = json;
        this.problems = problems;
    }

    /**
     * Returns the raw fields, for lookups that need no checking.
     *
     * @return the fields
     */
    public JsonFields json() {
        return json;
    }

    /**
     * Returns where this object's problems go.
     *
     * @return the collector, prefixed with this object's path
     */
    public Problems problems() {
        return problems;
    }

    /**
     * Whether a field is present and not {@code null}.
     *
     * @param key the field's name
     * @return true if it has a value
     */
    public boolean has(String key) {
        return json.has(key);
    }

    private boolean present(String key, String what) {
        if (!json.has(key)) {
            problems.field(key, "is missing (" + what + ")");
            return false;
        }
        return true;
    }

    /**
     * A required string.
     *
     * @param key the field's name
     * @return the value, or null after recording a problem
     */
    public String string(String key) {
        if (!present(key, "a string")) {
            return null;
        }
        String value = json.string(key);
        if (value == null) {
            problems.field(key, "must be a string");
        }
        return value;
    }

    /**
     * An optional string.
     *
     * @param key the field's name
     * @param fallback the value when the field is missing
     * @return the value, the fallback, or null after recording a problem (not a string)
     */
    public String optionalString(String key, String fallback) {
        return json.has(key) ? string(key) : fallback;
    }

    /**
     * A required whole number that fits an {@code int}.
     *
     * @param key the field's name
     * @return the value, or -1 after recording a problem
     */
    public int whole(String key) {
        if (!present(key, "a whole number")) {
            return -1;
        }
        double v = json.number(key);
        if (Double.isNaN(v) || v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
            problems.field(key, "must be a whole number, not " + json.text(key));
            return -1;
        }
        return (int) v;
    }

    /**
     * An optional boolean.
     *
     * @param key the field's name
     * @param fallback the value when the field is missing
     * @return the value, or the fallback (after recording a problem when it is not a boolean)
     */
    public boolean bool(String key, boolean fallback) {
        if (!json.has(key)) {
            return fallback;
        }
        Boolean value = json.bool(key);
        if (value == null) {
            problems.field(key, "must be true or false");
            return fallback;
        }
        return value;
    }

    /**
     * A required array of numbers.
     *
     * @param key the field's name
     * @return the values, or null after recording a problem (missing, not an array, or an
     *     element that is not a number)
     */
    public double[] numbers(String key) {
        if (!present(key, "an array")) {
            return null;
        }
        double[] values = json.numbers(key);
        if (values == null) {
            problems.field(key, "must be an array");
            return null;
        }
        for (int i = 0; i < values.length; i++) {
            if (Double.isNaN(values[i])) {
                problems.field(key + "[" + i + "]", "must be a number");
                return null;
            }
        }
        return values;
    }

    /**
     * A required array of numbers, as floats.
     *
     * @param key the field's name
     * @return the values, or null after recording a problem
     */
    public float[] floats(String key) {
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

    /**
     * A required string turned into a value by a parser that throws
     * {@link IllegalArgumentException} for text it does not take (its message is recorded).
     *
     * @param key the field's name
     * @param parser such as {@code ColorMode::parse}
     * @param <T> the value's type
     * @return the value, or null after recording a problem
     */
    public <T> T parse(String key, Function<String, T> parser) {
        String value = string(key);
        if (value == null) {
            return null;
        }
        try {
            return parser.apply(value);
        } catch (IllegalArgumentException e) {
            problems.add(problems.prefix() + key + ": " + e.getMessage());
            return null;
        }
    }

    /**
     * A required nested object.
     *
     * @param key the field's name
     * @return its fields, reporting under {@code prefix + key + "."}, or null after recording a
     *     problem
     */
    public Fields object(String key) {
        if (!present(key, "an object")) {
            return null;
        }
        JsonFields object = json.object(key);
        if (object == null) {
            problems.field(key, "must be an object");
            return null;
        }
        return new Fields(object, problems.at(key + "."));
    }
}
