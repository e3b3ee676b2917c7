package dev.kodiak.web;

import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.InputSpecReader;
import java.util.ArrayList;
import java.util.List;
import org.teavm.jso.JSBody;
import org.teavm.jso.JSObject;

/**
 * Reads an input spec from the JSON the server describes a model with ({@code "input"} of
 * {@code GET /api/v1/models/{name}}, which is the manifest's own format), through core's
 * {@link InputSpecReader}: the bundle reader and the widget read a spec by the same code.
 */
final class SpecJson implements InputSpecReader.Fields {
    private final JSObject object;

    private SpecJson(JSObject object) {
        this.object = object;
    }

    /**
     * Builds the spec.
     *
     * @param input the parsed {@code "input"} object
     * @return the spec
     * @throws IllegalArgumentException naming the problems {@link InputSpecReader} found
     */
    static InputSpec read(JSObject input) {
        if (input == null) {
            throw new IllegalArgumentException("the model description has no input spec");
        }
        List<String> problems = new ArrayList<>();
        InputSpec spec = InputSpecReader.read(new SpecJson(input), "input.", problems);
        if (spec == null) {
            throw new IllegalArgumentException(String.join("; ", problems));
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

    @Override
    public double[] numbers(String key) {
        JSObject array = Browser.get(object, key);
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

    @JSBody(params = {"o", "k"}, script = "return typeof o[k] === 'string' ? o[k] : null;")
    private static native String text(JSObject o, String k);

    @JSBody(params = {"o", "k"}, script = "return o[k] === true ? 1 : (o[k] === false ? 0 : -1);")
    private static native int truth(JSObject o, String k);
}
