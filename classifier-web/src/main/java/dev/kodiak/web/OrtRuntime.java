package dev.kodiak.web;

import java.util.ArrayList;
import java.util.List;
import org.teavm.jso.JSBody;
import org.teavm.jso.JSFunctor;
import org.teavm.jso.JSObject;

/**
 * onnxruntime-web, loaded once per page when a widget first needs it: its WebAssembly-only build
 * ({@code ort.wasm.min.js}, its loader {@code ort-wasm-simd-threaded.js} and the {@code .wasm}
 * binary; the build renames the modules from {@code .mjs}) from the {@code ort/} folder next to
 * the widget's script, never from a CDN. It runs single-threaded on the {@code wasm} execution
 * provider, which needs no cross-origin isolation (GitHub Pages cannot set it), in its own
 * worker ({@link #PROXY}). The binary is fetched here rather than by onnxruntime-web so that its
 * megabytes show in the progress bar.
 */
final class OrtRuntime {
    /**
     * The size of {@code ort-wasm-simd-threaded.wasm} of the onnxruntime-web that
     * package-lock.json pins, so that the progress bar has a total before the first byte (a
     * static host compresses the binary and so sends no plain Content-Length). The build checks
     * it against the file it ships (src/build/fetch-onnxruntime-web.sh) and stops when they
     * differ.
     */
    static final double WASM_BYTES = 14_239_897;

    /** What a caller hears while and after the runtime loads. */
    interface Listener {
        /**
         * Bytes of the binary so far and in all, counted as they travel: compressed when the
         * server compressed it and said how big that is (decoded bytes scaled by the ratio),
         * else as decoded.
         */
        void progress(double loaded, double total);

        /** The runtime can create sessions. */
        void ready();

        /** It cannot be loaded. */
        void failed(LoadFailure failure);
    }

    /** Receives the imported module, or null with a reason. */
    @JSFunctor
    interface ModuleCallback extends JSObject {
        void accept(JSObject module, String error);
    }

    /** Receives a session, or null with a reason. */
    @JSFunctor
    interface SessionCallback extends JSObject {
        void accept(JSObject session, String error);
    }

    private final String folder;
    private final List<Listener> waiting = new ArrayList<>();
    private JSObject ort;
    private JSObject wasm;
    private LoadFailure failure;
    private boolean loading;
    private double loaded;
    private double total = -1;

    /**
     * Creates the (not yet loaded) runtime.
     *
     * @param folder the URL of the folder holding the three onnxruntime-web files, ending in /
     */
    OrtRuntime(String folder) {
        this.folder = folder;
    }

    /** Loads the runtime once; later callers join the load in progress or hear at once. */
    void load(Listener listener) {
        if (ort != null && wasm != null) {
            listener.ready();
            return;
        }
        if (failure != null && failure.kind() != LoadFailure.Kind.NETWORK) {
            listener.failed(failure);
            return;
        }
        waiting.add(listener);
        if (loading) {
            listener.progress(loaded, total);
            return;
        }
        loading = true;
        failure = null;
        if (!Browser.canRunModels()) {
            fail(new LoadFailure(LoadFailure.Kind.UNSUPPORTED, "This browser cannot run the "
                    + "model itself (it lacks WebAssembly). Try a recent browser.",
                    "no WebAssembly or DecompressionStream"));
            return;
        }
        importModule(folder + "ort.wasm.min.js", (module, error) -> {
            if (module == null) {
                fail(new LoadFailure(LoadFailure.Kind.NETWORK, "Couldn't load the model's "
                        + "runtime. Check your connection, then try again.",
                        "import of ort.wasm.min.js failed: " + error));
                return;
            }
            ort = module;
            finishIfLoaded();
        });
        Download.start(folder + "ort-wasm-simd-threaded.wasm", 0, (bytes, size, wire) -> {
            if (wire > 0) {
                total = wire;
                loaded = Math.min(wire, Math.round(bytes * wire / WASM_BYTES));
            } else {
                total = size > 0 ? size : WASM_BYTES;
                loaded = bytes;
            }
            for (Listener l : List.copyOf(waiting)) {
                l.progress(loaded, total);
            }
        }, (bytes, status, reason) -> {
            if (bytes == null) {
                fail(new LoadFailure(LoadFailure.Kind.NETWORK, "Couldn't load the model's "
                        + "runtime. Check your connection, then try again.",
                        "ort-wasm-simd-threaded.wasm: " + reason));
                return;
            }
            wasm = bytes;
            finishIfLoaded();
        });
    }

    private void finishIfLoaded() {
        if (ort == null || wasm == null || failure != null) {
            return;
        }
        configure(ort, wasm, folder + "ort-wasm-simd-threaded.js", PROXY);
        loading = false;
        List<Listener> ready = List.copyOf(waiting);
        waiting.clear();
        ready.forEach(Listener::ready);
    }

    private void fail(LoadFailure reason) {
        if (failure != null) {
            return;
        }
        failure = reason;
        loading = false;
        ort = null;
        wasm = null;
        List<Listener> failed = List.copyOf(waiting);
        waiting.clear();
        failed.forEach(l -> l.failed(reason));
    }

    /**
     * Creates a session for a model once the runtime is ready.
     *
     * @param model the ONNX file's bytes (a Uint8Array)
     * @param callback receives the session or the runtime's reason
     */
    void session(JSObject model, SessionCallback callback) {
        create(ort, model, callback);
    }

    @JSBody(params = {"url", "callback"}, script = "import(url).then("
            + "function(kodiakModule) { callback(kodiakModule, null); },"
            + " function(kodiakError) { callback(null, String(kodiakError)); });")
    private static native void importModule(String url, ModuleCallback callback);

    /**
     * Whether onnxruntime-web runs in its own worker ({@code env.wasm.proxy}): compiling the
     * binary, creating the session, the probe and every run then happen off the page's main
     * thread, so the page keeps answering taps while the model gets ready. On a phone (4× CPU)
     * the first answer of a revisit takes about as long either way, and the page's longest task
     * is several times shorter in the worker ({@code ./kodiak bench-widget},
     * benchmarks/results/widget.md). A page can override it for such a measurement with
     * {@code window.KODIAK_ORT_PROXY = true|false} set before the engine loads.
     */
    static final boolean PROXY = true;

    /** One thread, our binary and loader: nothing from elsewhere; in a worker or not. */
    @JSBody(params = {"ort", "wasm", "loader", "proxy"}, script = "ort.env.wasm.numThreads = 1;"
            + "ort.env.wasm.proxy = typeof KODIAK_ORT_PROXY === 'boolean' ? KODIAK_ORT_PROXY"
            + " : proxy; ort.env.wasm.wasmBinary = wasm;"
            + "ort.env.wasm.wasmPaths = {mjs: loader}; ort.env.logLevel = 'error';")
    private static native void configure(JSObject ort, JSObject wasm, String loader,
            boolean proxy);

    @JSBody(params = {"ort", "model", "callback"}, script = "try {"
            + " ort.InferenceSession.create(model, {executionProviders: ['wasm'],"
            + "  graphOptimizationLevel: 'all'}).then("
            + "  function(kodiakSession) { callback(kodiakSession, null); },"
            + "  function(kodiakError) { callback(null, String(kodiakError && kodiakError.message"
            + "   || kodiakError)); });"
            + "} catch (kodiakError) { callback(null, String(kodiakError)); }")
    private static native void create(JSObject ort, JSObject model, SessionCallback callback);

    /** The module, for tensors; null before {@link Listener#ready()}. */
    JSObject module() {
        return ort;
    }
}
