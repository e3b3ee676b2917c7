package dev.kodiak.web;

import dev.kodiak.core.bundle.Precision;
import org.teavm.jso.JSObject;
import org.teavm.jso.dom.html.HTMLElement;

/**
 * A widget's settings, from the {@code data-*} attributes of its element (the Jekyll include
 * writes them; a plain-HTML page writes them by hand). The widget's script reads them; the
 * engine module gets the runtime's part as a plain object ({@link #toJs()},
 * {@link #fromJs(JSObject)}).
 *
 * @param runtime where the model runs ({@code data-runtime}: browser, server or auto)
 * @param bundle the URL of the bundle folder for the browser runtime ({@code data-bundle}),
 *     absolute, ending in /; empty when none
 * @param model the model's name on the server ({@code data-model}); empty when none
 * @param endpoint the server's base URL ({@code data-endpoint}); empty for this page's server
 * @param topK how many labels to show ({@code data-top-k}, default 3)
 * @param threshold below this top probability the widget says it is unsure
 *     ({@code data-threshold}, default 0: never)
 * @param title the heading ({@code data-title})
 * @param examples a JSON list of {@code {"url", "label"}} ({@code data-examples})
 * @param autoLimitBytes for {@code auto}: the largest model downloaded into the page when a
 *     server could answer instead ({@code data-max-download-mb}, default 20)
 * @param precision which of the bundle's models the browser downloads
 *     ({@code data-precision}): fp32 (default, {@code model.onnx}), int8
 *     ({@code model.int8.onnx} when the bundle has one) or auto (int8 when the bundle has one
 *     whose measured agreement with fp32 is at or above its threshold)
 */
record WidgetSettings(RuntimeChoice runtime, String bundle, String model, String endpoint,
        int topK, float threshold, String title, String examples, double autoLimitBytes,
        Precision precision) {
    /** Where the model runs. */
    enum RuntimeChoice {
        /** In the reader's browser (onnxruntime-web): the bundle's model.onnx. */
        BROWSER,
        /** On a Kodiak server, which gets a model-sized PNG. */
        SERVER,
        /** The browser when the bundle has a model.onnx small enough, else the server. */
        AUTO
    }

    /** The default of {@code data-max-download-mb}. */
    static final double DEFAULT_AUTO_LIMIT_MB = 20;

    /** Reads the settings, warning in the console about values it cannot use. */
    static WidgetSettings read(HTMLElement root) {
        return parse(key -> Browser.data(root, key), Browser::absolute, Browser::warn);
    }

    /**
     * Reads the settings from attribute values: pure Java, so that it is tested on the JVM.
     *
     * @param attribute the value of {@code data-KEY} (camel case, as the DOM's dataset names
     *     it), or null when the element has none
     * @param absolute makes a URL absolute against the page
     * @param warn receives a message for each value that cannot be used
     * @return the settings
     */
    static WidgetSettings parse(java.util.function.Function<String, String> attribute,
            java.util.function.UnaryOperator<String> absolute,
            java.util.function.Consumer<String> warn) {
        String runtime = value(attribute, "runtime", "auto");
        RuntimeChoice choice;
        if (runtime.equalsIgnoreCase("browser")) {
            choice = RuntimeChoice.BROWSER;
        } else if (runtime.equalsIgnoreCase("server")) {
            choice = RuntimeChoice.SERVER;
        } else {
            if (!runtime.equalsIgnoreCase("auto") && !runtime.isEmpty()) {
                warn.accept("data-runtime '" + runtime + "' is not browser, server or auto; "
                        + "using auto");
            }
            choice = RuntimeChoice.AUTO;
        }
        String bundle = value(attribute, "bundle", "");
        if (!bundle.isEmpty()) {
            bundle = absolute.apply(bundle.endsWith("/") ? bundle : bundle + "/");
        }
        float threshold = 0;
        String text = value(attribute, "threshold", "");
        if (!text.isEmpty()) {
            threshold = (float) number(text);
            if (!(threshold >= 0 && threshold <= 1)) {
                warn.accept("data-threshold '" + text + "' is not a probability from 0 to 1; "
                        + "ignoring it");
                threshold = 0;
            }
        }
        double limit = positive(value(attribute, "maxDownloadMb", ""), DEFAULT_AUTO_LIMIT_MB);
        Precision precision = Precision.FP32;
        String wanted = value(attribute, "precision", "");
        if (!wanted.isEmpty()) {
            try {
                precision = Precision.parse(wanted);
            } catch (IllegalArgumentException e) {
                warn.accept("data-precision '" + wanted + "' is not fp32, int8 or auto; using "
                        + "fp32");
            }
        }
        return new WidgetSettings(choice, bundle, value(attribute, "model", ""),
                value(attribute, "endpoint", ""),
                (int) Math.max(1, positive(value(attribute, "topK", "3"), 3)), threshold,
                value(attribute, "title", "What is it?"), value(attribute, "examples", ""),
                limit * 1_000_000, precision);
    }

    private static String value(java.util.function.Function<String, String> attribute,
            String key, String fallback) {
        String value = attribute.apply(key);
        return value == null ? fallback : value.trim();
    }

    /**
     * A decimal number as JavaScript's {@code Number} reads an attribute: the whole text,
     * blanks around it allowed ({@code " 2.5e1 "} is 25); anything else, {@code "20MB"} or
     * {@code ""} included, is NaN.
     *
     * @param text the text
     * @return the number, or NaN
     */
    static double number(String text) {
        // by hand, ASCII digits only (as Number reads them): Double.parseDouble and
        // Character.isDigit would add TeaVM's 64-bit decimal parser and Unicode tables to the
        // script every page loads (40 KB grew to 97 KB)
        String t = text.trim();
        int end = 0;
        int n = t.length();
        boolean negative = false;
        if (end < n && (t.charAt(end) == '+' || t.charAt(end) == '-')) {
            negative = t.charAt(end) == '-';
            end++;
        }
        int digits = 0;
        int decimals = 0;
        double mantissa = 0;
        while (end < n && isDigit(t.charAt(end))) {
            mantissa = mantissa * 10 + (t.charAt(end) - '0');
            end++;
            digits++;
        }
        if (end < n && t.charAt(end) == '.') {
            end++;
            while (end < n && isDigit(t.charAt(end))) {
                mantissa = mantissa * 10 + (t.charAt(end) - '0');
                end++;
                digits++;
                decimals++;
            }
        }
        if (digits == 0) {
            return Double.NaN;
        }
        int exponent = 0;
        if (end < n && (t.charAt(end) == 'e' || t.charAt(end) == 'E')) {
            int e = end + 1;
            boolean down = false;
            if (e < n && (t.charAt(e) == '+' || t.charAt(e) == '-')) {
                down = t.charAt(e) == '-';
                e++;
            }
            int start = e;
            int value = 0;
            while (e < n && isDigit(t.charAt(e))) {
                value = Math.min(100_000, value * 10 + (t.charAt(e) - '0'));
                e++;
            }
            if (e > start) {
                end = e;
                exponent = down ? -value : value;
            }
        }
        if (end != n) {
            return Double.NaN;
        }
        // exact for the short decimals attributes hold: an integer times or over a power of ten
        int scale = exponent - decimals;
        double value = scale >= 0 ? mantissa * Math.pow(10, scale)
                : mantissa / Math.pow(10, -scale);
        return negative ? -value : value;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static double positive(String text, double fallback) {
        double value = number(text);
        return value > 0 ? value : fallback;
    }

    /** The runtime's part, for the engine module. */
    JSObject toJs() {
        JSObject o = Browser.object();
        Browser.put(o, "runtime", runtime.name());
        Browser.put(o, "bundle", bundle);
        Browser.put(o, "model", model);
        Browser.put(o, "endpoint", endpoint);
        Browser.put(o, "autoLimitBytes", autoLimitBytes);
        Browser.put(o, "precision", precision.id());
        return o;
    }

    /** Reads what {@link #toJs()} wrote (the other fields take their defaults). */
    static WidgetSettings fromJs(JSObject o) {
        String name = Browser.string(o, "runtime");
        RuntimeChoice choice = "BROWSER".equals(name) ? RuntimeChoice.BROWSER
                : "SERVER".equals(name) ? RuntimeChoice.SERVER : RuntimeChoice.AUTO;
        double limit = Browser.number(o, "autoLimitBytes");
        String precision = text(o, "precision");
        return new WidgetSettings(choice, text(o, "bundle"), text(o, "model"),
                text(o, "endpoint"), 3, 0, "", "", limit > 0 ? limit
                : DEFAULT_AUTO_LIMIT_MB * 1_000_000, precision.isEmpty() ? Precision.FP32
                : Precision.parse(precision));
    }

    private static String text(JSObject o, String key) {
        String value = Browser.string(o, key);
        return value == null ? "" : value;
    }

    /** The runtime the widget will most likely use, before it loads: for its attributes. */
    String expectedRuntime() {
        return runtime == RuntimeChoice.SERVER || bundle.isEmpty() ? "server" : "browser";
    }

    /** Whether a server is configured for this widget, to ask or to fall back to. */
    boolean hasServer() {
        return !model.isEmpty();
    }
}
