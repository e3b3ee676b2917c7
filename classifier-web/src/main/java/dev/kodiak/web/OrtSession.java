package dev.kodiak.web;

import java.util.ArrayDeque;
import java.util.Queue;
import org.teavm.jso.JSBody;
import org.teavm.jso.JSByRef;
import org.teavm.jso.JSFunctor;
import org.teavm.jso.JSObject;

/**
 * One model in onnxruntime-web: runs a float32 batch of shape [n, c, h, w] under the model's own
 * input name and returns its first output. Runs are queued, one at a time, because a session
 * serves every widget of the page that shows this model.
 */
final class OrtSession implements ModelSession {
    /** The engine's name in answers and messages. */
    static final String ENGINE = "onnxruntime-web";

    @JSFunctor
    interface RunCallback extends JSObject {
        void accept(JSObject scores, String error);
    }

    private record Run(float[] batch, int[] shape, Scores callback) {
    }

    private final JSObject ort;
    private final JSObject session;
    private final Queue<Run> queue = new ArrayDeque<>();
    private boolean running;

    OrtSession(JSObject ort, JSObject session) {
        this.ort = ort;
        this.session = session;
    }

    /**
     * Runs the model, after any run already started.
     *
     * @param batch {@code n * c * h * w} floats, CHW per image
     * @param shape {@code {n, c, h, w}}
     * @param callback receives the scores
     */
    @Override
    public void run(float[] batch, int[] shape, Scores callback) {
        queue.add(new Run(batch, shape, callback));
        next();
    }

    /** {@inheritDoc} */
    @Override
    public String engine() {
        return ENGINE;
    }

    private void next() {
        if (running || queue.isEmpty()) {
            return;
        }
        running = true;
        Run run = queue.remove();
        run(ort, session, run.batch(), run.shape(), (scores, error) -> {
            running = false;
            try {
                run.callback().accept(scores == null ? null : floats(scores), error);
            } finally {
                next();
            }
        });
    }

    @JSBody(params = {"ort", "session", "data", "shape", "callback"}, script = "try {"
            + " var kodiakFeeds = {};"
            + " kodiakFeeds[session.inputNames[0]] = new ort.Tensor('float32', data,"
            + "  Array.from(shape));"
            + " session.run(kodiakFeeds).then(function(kodiakResults) {"
            + "  callback(kodiakResults[session.outputNames[0]].data, null); },"
            + "  function(kodiakError) { callback(null, String(kodiakError && kodiakError.message"
            + "   || kodiakError)); });"
            + "} catch (kodiakError) { callback(null, String(kodiakError)); }")
    private static native void run(JSObject ort, JSObject session, @JSByRef float[] data,
            @JSByRef int[] shape, RunCallback callback);

    @JSBody(params = "scores", script = "return scores;")
    @JSByRef
    private static native float[] floats(JSObject scores);
}
