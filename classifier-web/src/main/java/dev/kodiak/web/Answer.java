package dev.kodiak.web;

import dev.kodiak.core.topk.Prediction;
import dev.kodiak.core.topk.TopK;
import java.util.ArrayList;
import java.util.List;
import org.teavm.jso.JSObject;

/**
 * One answer, from either runtime, in the shape of the API's classify answer: what the widget
 * draws, and the {@code detail} of the {@code kodiak:answer} event it dispatches.
 *
 * @param model the model's name
 * @param version the model's version
 * @param sha256 the weights' identity, as the API gives it
 * @param predictions the best labels, most probable first
 * @param unsure whether the top probability is below the widget's threshold
 * @param runtime {@code browser} or {@code server}
 * @param engine what ran the model in the browser: {@code kodiak} (Kodiak's own forward pass)
 *     or {@code onnxruntime-web}; null for a server's answer
 * @param timings milliseconds: queue_wait, decode, preprocess, inference, total; the decode
 *     and total of a browser answer are filled in by {@link #detail}
 */
record Answer(String model, String version, String sha256, List<Scored> predictions,
        boolean unsure, String runtime, String engine, double[] timings) {
    /**
     * One label and its probability.
     *
     * @param label the class name
     * @param probability from 0 to 1
     */
    record Scored(String label, double probability) {
    }

    private static final String[] TIMINGS = {"queue_wait", "decode", "preprocess", "inference",
        "total"};

    /** Copies the list. */
    Answer {
        predictions = List.copyOf(predictions);
    }

    /** An answer computed in the page. */
    static Answer of(String model, String version, String sha256, TopK top, String runtime,
            String engine, double preprocessMillis, double inferenceMillis) {
        List<Scored> scored = new ArrayList<>();
        for (Prediction p : top.predictions()) {
            scored.add(new Scored(p.label(), p.probability()));
        }
        return new Answer(model, version, sha256, scored, top.unsure(), runtime, engine,
                new double[] {0, Double.NaN, preprocessMillis, inferenceMillis, Double.NaN});
    }

    /** A server's answer (the API's JSON). */
    static Answer fromServer(JSObject json) {
        JSObject model = Browser.get(json, "model");
        JSObject list = Browser.get(json, "predictions");
        List<Scored> scored = new ArrayList<>();
        for (int i = 0; i < Math.max(0, Browser.length(list)); i++) {
            JSObject p = Browser.at(list, i);
            scored.add(new Scored(Browser.string(p, "label"), Browser.number(p, "probability")));
        }
        JSObject times = Browser.get(json, "timings_ms");
        double[] timings = new double[TIMINGS.length];
        for (int i = 0; i < TIMINGS.length; i++) {
            timings[i] = Browser.number(times, TIMINGS[i]);
        }
        return new Answer(Browser.string(model, "name"), Browser.string(model, "version"),
                Browser.string(model, "sha256"), scored, Browser.isTrue(Browser.get(json,
                "unsure")), "server", null, timings);
    }

    /**
     * The event detail: the API's JSON shape (model, predictions, unsure, image, batch_size,
     * timings_ms), plus {@code runtime}, {@code engine} (in the browser) and {@code elapsed_ms}, the time from the reader's
     * choice to the answer on the page (the widget's script sets it again from its own start,
     * which includes loading this engine).
     *
     * @param width the reader's image width, upright
     * @param height its height
     * @param decodeMillis the page's decoding time
     * @param elapsedMillis from the choice to the answer
     * @return a plain JavaScript object
     */
    JSObject detail(int width, int height, double decodeMillis, double elapsedMillis) {
        JSObject detail = Browser.object();
        JSObject identity = Browser.object();
        Browser.put(identity, "name", model);
        Browser.put(identity, "version", version);
        Browser.put(identity, "sha256", sha256);
        Browser.put(detail, "model", identity);
        JSObject list = Browser.list();
        for (Scored p : predictions) {
            JSObject item = Browser.object();
            Browser.put(item, "label", p.label());
            Browser.put(item, "probability", p.probability());
            Browser.push(list, item);
        }
        Browser.put(detail, "predictions", list);
        Browser.put(detail, "unsure", unsure);
        JSObject image = Browser.object();
        Browser.put(image, "width", width);
        Browser.put(image, "height", height);
        Browser.put(detail, "image", image);
        Browser.put(detail, "batch_size", 1);
        JSObject times = Browser.object();
        for (int i = 0; i < TIMINGS.length; i++) {
            double value = timings[i];
            if (runtime.equals("browser") && i == 1) {
                value = decodeMillis;
            } else if (runtime.equals("browser") && i == 4) {
                value = decodeMillis + timings[2] + timings[3];
            }
            Browser.put(times, TIMINGS[i], round(value));
        }
        Browser.put(detail, "timings_ms", times);
        Browser.put(detail, "runtime", runtime);
        if (engine != null) {
            Browser.put(detail, "engine", engine);
        }
        Browser.put(detail, "elapsed_ms", round(elapsedMillis));
        return detail;
    }

    private static double round(double millis) {
        return Math.round(millis * 10) / 10.0;
    }
}
