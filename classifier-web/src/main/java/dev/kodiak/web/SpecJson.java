package dev.kodiak.web;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Interpolation;
import dev.kodiak.core.preprocess.ResizeMethod;
import org.teavm.jso.JSObject;

/**
 * Reads an input spec from the JSON the server describes a model with ({@code "input"} of
 * {@code GET /api/v1/models/{name}}, which is the manifest's own format).
 */
final class SpecJson {
    private SpecJson() {
    }

    /**
     * Builds the spec.
     *
     * @param input the parsed {@code "input"} object
     * @return the spec
     * @throws IllegalArgumentException if a field is missing or invalid
     */
    static InputSpec read(JSObject input) {
        if (input == null) {
            throw new IllegalArgumentException("the model description has no input spec");
        }
        InputSpec.Builder b = InputSpec.builder(whole(input, "width"), whole(input, "height"))
                .color(ColorMode.parse(Browser.string(input, "color")))
                .resize(ResizeMethod.parse(Browser.string(input, "resize")))
                .interpolation(Interpolation.parse(Browser.string(input, "interpolation")))
                .invert("true".equals(Browser.string(input, "invert")))
                .rescale(!"false".equals(Browser.string(input, "rescale")));
        if (Browser.get(input, "resize_shorter") != null) {
            b.resizeShorter(whole(input, "resize_shorter"));
        }
        float[] fill = floats(input, "pad_fill");
        if (fill != null) {
            int[] ints = new int[fill.length];
            for (int i = 0; i < fill.length; i++) {
                ints[i] = (int) fill[i];
            }
            b.padFill(ints);
        }
        return b.mean(floats(input, "mean")).std(floats(input, "std")).build();
    }

    private static int whole(JSObject o, String key) {
        double v = Browser.number(o, key);
        if (Double.isNaN(v) || v != Math.rint(v)) {
            throw new IllegalArgumentException("input." + key + " must be a whole number");
        }
        return (int) v;
    }

    private static float[] floats(JSObject o, String key) {
        JSObject array = Browser.get(o, key);
        int n = Browser.length(array);
        if (n < 0) {
            return null;
        }
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) Browser.asNumber(Browser.at(array, i));
        }
        return values;
    }
}
