package dev.kodiak.web;

import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Preprocessor;
import org.teavm.jso.JSBody;
import org.teavm.jso.JSByRef;
import org.teavm.jso.JSExport;
import org.teavm.jso.JSFunctor;
import org.teavm.jso.JSObject;
import org.teavm.jso.file.Blob;

/**
 * The widget's engine, a second ES module ({@code kodiak-engine.js}) that the widget's script
 * imports only when a reader first needs it: decoding in the page, both runtimes, the bundle
 * loader and the bridge to onnxruntime-web, with the classifier-core code they compile (PNG
 * decoder, preprocessing, manifest reader, probe, top-k). Keeping it apart keeps the page's
 * weight before any interaction what it was.
 *
 * <pre>{@code
 * const engine = await import("/assets/kodiak/kodiak-engine.js");
 * const runtime = engine.page().runtime({runtime: "browser", bundle: "/models/bears/"});
 * runtime.load(onProgress, onStatus, onReady, onFailed);
 * runtime.classify(file, 3, 0.6, onAnswer, onFailure, onUploaded);
 * }</pre>
 */
public final class WidgetEngine {
    private WidgetEngine() {
    }

    /** Makes a runtime for one widget's settings. */
    @JSFunctor
    interface RuntimeFactory extends JSObject {
        JSObject runtime(JSObject settings);
    }

    /**
     * Does nothing: the engine only exports functions.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        // an ES module of exports; TeaVM wants a main class all the same
    }

    /**
     * A page's models: one onnxruntime-web, and one download and session per bundle shared by
     * the page's widgets.
     *
     * @return {@code {runtime(settings)}}, where settings holds {@code runtime}, {@code bundle},
     *     {@code model}, {@code endpoint} and {@code autoLimitBytes} as the widget reads them
     */
    @JSExport
    public static JSObject page() {
        ModelCache cache = new ModelCache(Browser.besideScript("ort/"));
        JSObject page = Browser.object();
        putRuntime(page, settings -> new RuntimeHandle(WidgetSettings.fromJs(settings), cache)
                .toJs());
        return page;
    }

    /**
     * Runs a model's resize step on RGBA pixels, exactly as the widget does: for tests that
     * compare the browser's bytes with the JVM's, and for pages that want the model-sized pixels
     * themselves.
     *
     * @param rgba a Uint8Array or Uint8ClampedArray of {@code width * height * 4} values
     * @param width image width
     * @param height image height
     * @param specJson the model's input spec as JSON text (the {@code "input"} object)
     * @return the model's 8-bit pixels, interleaved (1 or 3 channels)
     */
    @JSExport
    public static JSObject resize(JSObject rgba, int width, int height, String specJson) {
        InputSpec spec = JsJson.readSpec(Browser.parse(specJson));
        Pixels pixels = Pixels.fromRgba(width, height, bytes(rgba), spec.color());
        return Browser.unsigned(new Preprocessor(spec).resize(pixels).data());
    }

    /**
     * Decodes an image file exactly as the widget does before either runtime sees it: for tests
     * that compare the browser's pixels with PIL's, and for pages that want them.
     *
     * @param file a Blob or File
     * @param callback called with {@code (rgb, width, height, error)}: upright RGB bytes
     *     (a Uint8Array) and the size, or null and the message the widget would show
     */
    @JSExport
    public static void decode(JSObject file, JSObject callback) {
        ImageDecoding.decode((Blob) file, new ImageDecoding.Listener() {
            @Override
            public void decoded(Pixels image, double millis) {
                call(callback, Browser.unsigned(image.data()), image.width(), image.height(),
                        null);
            }

            @Override
            public void failed(String message) {
                call(callback, null, 0, 0, message);
            }
        });
    }

    @JSBody(params = {"o", "f"}, script = "o.runtime = f;")
    private static native void putRuntime(JSObject o, RuntimeFactory f);

    @JSBody(params = "a", script = "return new Int8Array(a.buffer, a.byteOffset, a.length);")
    @JSByRef
    private static native byte[] bytes(JSObject a);

    @JSBody(params = {"f", "pixels", "width", "height", "error"}, script = "f(pixels, width,"
            + " height, error);")
    private static native void call(JSObject f, JSObject pixels, int width, int height,
            String error);
}
