package dev.kodiak.web;

import dev.kodiak.core.forward.ForwardException;
import dev.kodiak.core.forward.ForwardPass;
import org.teavm.jso.JSBody;
import org.teavm.jso.JSByRef;
import org.teavm.jso.JSObject;

/**
 * A model run by Kodiak's own forward pass ({@link ForwardPass}, classifier-portable compiled by
 * TeaVM): no onnxruntime-web and no WebAssembly download. The bundle loader makes one when
 * {@link ForwardPass#read} accepts the downloaded {@code model.onnx}; like onnxruntime-web, it
 * answers only after the bundle's probe agrees. Runs on the page's thread, synchronously: the
 * models it takes are small.
 */
final class KodiakSession implements ModelSession {
    /** The engine's name in answers and messages. */
    static final String ENGINE = "kodiak";

    private final ForwardPass pass;

    KodiakSession(ForwardPass pass) {
        this.pass = pass;
    }

    /**
     * Reads a downloaded model, if Kodiak's own forward pass can run it.
     *
     * @param onnx the file's bytes (a Uint8Array)
     * @param file its name, for messages
     * @return the session, or null (logged, with the operator it lacks) when onnxruntime-web
     *     must run the model
     */
    static KodiakSession of(JSObject onnx, String file) {
        try {
            return new KodiakSession(ForwardPass.read(signed(onnx), file));
        } catch (ForwardException e) {
            info(file + " runs on " + OrtSession.ENGINE + ": " + e.getMessage());
            return null;
        }
    }

    /** {@inheritDoc} */
    @Override
    public void run(float[] batch, int[] shape, Scores callback) {
        float[] scores;
        try {
            scores = pass.forward(batch, shape[0], new int[] {shape[1], shape[2], shape[3]});
        } catch (ForwardException | RuntimeException e) {
            callback.accept(null, e.getMessage());
            return;
        }
        callback.accept(scores, null);
    }

    /** {@inheritDoc} */
    @Override
    public String engine() {
        return ENGINE;
    }

    /** The same bytes seen as the Int8Array a Java byte[] is in TeaVM: no copy. */
    @JSBody(params = "a", script = "return new Int8Array(a.buffer, a.byteOffset, a.length);")
    @JSByRef
    private static native byte[] signed(JSObject a);

    @JSBody(params = "message", script = "console.info('kodiak: ' + message);")
    static native void info(String message);
}
