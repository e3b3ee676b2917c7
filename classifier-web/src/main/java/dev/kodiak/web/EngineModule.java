package dev.kodiak.web;

import java.util.ArrayList;
import java.util.List;
import org.teavm.jso.JSBody;
import org.teavm.jso.JSFunctor;
import org.teavm.jso.JSObject;

/**
 * The engine module ({@code kodiak-engine.js}, see {@link WidgetEngine}) as the widget's script
 * sees it: imported on first need, once for all the widgets one {@code main()} set up, which then
 * share its page object (one onnxruntime-web, one session per bundle).
 */
final class EngineModule {
    /** Receives the engine's page object, or null when the module could not be loaded. */
    interface Listener {
        void page(JSObject page);
    }

    @JSFunctor
    interface ImportCallback extends JSObject {
        void accept(JSObject page, String error);
    }

    private final String url;
    private final List<Listener> waiting = new ArrayList<>();
    private JSObject page;
    private boolean loading;

    EngineModule(String url) {
        this.url = url;
    }

    /** Imports the module if needed and hands over the page object. */
    void page(Listener listener) {
        if (page != null) {
            listener.page(page);
            return;
        }
        waiting.add(listener);
        if (loading) {
            return;
        }
        loading = true;
        importPage(url, (loaded, error) -> {
            loading = false;
            if (loaded == null) {
                Browser.warn("cannot load " + url + ": " + error);
            }
            page = loaded;
            List<Listener> all = List.copyOf(waiting);
            waiting.clear();
            all.forEach(l -> l.page(loaded));
        });
    }

    @JSBody(params = {"url", "callback"}, script = "import(url).then("
            + "function(kodiakEngine) { callback(kodiakEngine.page(), null); },"
            + " function(kodiakError) { callback(null, String(kodiakError)); });")
    private static native void importPage(String url, ImportCallback callback);
}
