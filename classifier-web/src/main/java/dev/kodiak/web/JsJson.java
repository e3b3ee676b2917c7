package dev.kodiak.web;

import dev.kodiak.core.fields.Fields;
import dev.kodiak.core.fields.JsonFields;
import dev.kodiak.core.fields.Problems;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.InputSpecReader;
import java.util.ArrayList;
import java.util.List;
import org.teavm.jso.JSBody;
import org.teavm.jso.JSObject;

/**
 * A JavaScript object (from {@code JSON.parse}) seen through core's {@link JsonFields}: the
 * browser's side of the readers core shares with the JVM, such as {@link InputSpecReader} and the
 * bundle's manifest reader, so the widget accepts and refuses what the server does, in the same
 * words.
 */
final class JsJson implements JsonFields {
    private final JSObject object;

    JsJson(JSObject object) {
        this.object = object;
    }

    /**
     * Reads an input spec, such as the {@code "input"} of a manifest or of the server's model
     * description (the same format).
     *
     * @param input the parsed {@code "input"} object
     * @return the spec
     * @throws IllegalArgumentException naming the problems {@link InputSpecReader} found
     */
    static InputSpec readSpec(JSObject input) {
        if (input == null) {
            throw new IllegalArgumentException("the model description has no input spec");
        }
        Problems problems = new Problems();
        InputSpec spec = InputSpecReader.read(new Fields(new JsJson(input), problems.at("input.")));
        if (spec == null) {
            throw new IllegalArgumentException(problems.joined());
        }
        return spec;
    }

    @Override
    public boolean has(String key) {
        return Browser.get(object, key) != null;
    }

    @Override
    public String string(String key) {
        return text(object, key);
    }

    @Override
    public double number(String key) {
        return Browser.number(object, key);
    }

    @Override
    public Boolean bool(String key) {
        int value = truth(object, key);
        return value < 0 ? null : value == 1;
    }

    private static double[] numbers(JSObject array) {
        int n = Browser.length(array);
        if (n < 0) {
            return null;
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = Browser.asNumber(Browser.at(array, i));
        }
        return values;
    }

    @Override
    public double[] numbers(String key) {
        return numbers(Browser.get(object, key));
    }

    @Override
    public String[] strings(String key) {
        JSObject array = Browser.get(object, key);
        int n = Browser.length(array);
        if (n < 0) {
            return null;
        }
        String[] values = new String[n];
        for (int i = 0; i < n; i++) {
            values[i] = stringOrNull(Browser.at(array, i));
        }
        return values;
    }

    @Override
    public double[][] rows(String key) {
        JSObject array = Browser.get(object, key);
        int n = Browser.length(array);
        if (n < 0) {
            return null;
        }
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = numbers(Browser.at(array, i));
        }
        return rows;
    }

    @Override
    public JsonFields object(String key) {
        JSObject value = Browser.get(object, key);
        return isObject(value) ? new JsJson(value) : null;
    }

    @Override
    public List<String> keys() {
        String[] names = keysOf(object);
        List<String> keys = new ArrayList<>(names.length);
        for (String name : names) {
            keys.add(name);
        }
        return keys;
    }

    @Override
    public String text(String key) {
        return asText(object, key);
    }

    @JSBody(params = {"o", "k"}, script = "return typeof o[k] === 'string' ? o[k] : null;")
    private static native String text(JSObject o, String k);

    @JSBody(params = "o", script = "return typeof o === 'string' ? o : null;")
    private static native String stringOrNull(JSObject o);

    @JSBody(params = {"o", "k"}, script = "return o[k] === true ? 1 : (o[k] === false ? 0 : -1);")
    private static native int truth(JSObject o, String k);

    @JSBody(params = "o", script = "return o !== null && typeof o === 'object' "
            + "&& !Array.isArray(o);")
    private static native boolean isObject(JSObject o);

    @JSBody(params = "o", script = "return Object.keys(o);")
    private static native String[] keysOf(JSObject o);

    @JSBody(params = {"o", "k"}, script = "var kodiakValue = o[k];"
            + "return kodiakValue === undefined ? null : (typeof kodiakValue === 'string' "
            + "? kodiakValue : JSON.stringify(kodiakValue));")
    private static native String asText(JSObject o, String k);
}
