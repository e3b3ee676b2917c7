package dev.kodiak.web;

import java.util.ArrayList;
import java.util.List;
import org.teavm.jso.JSBody;
import org.teavm.jso.JSFunctor;
import org.teavm.jso.JSObject;
import org.teavm.jso.dom.html.HTMLDocument;
import org.teavm.jso.dom.html.HTMLElement;
import org.teavm.jso.dom.xml.NodeList;
import org.teavm.jso.file.Blob;

/**
 * One classifier on a page, bound to a {@code <div class="kodiak-classifier">} (its
 * {@code data-*} attributes: {@link WidgetSettings}). This script is all a page loads before a
 * reader does anything: the view ({@link WidgetView}) and the reader's input
 * ({@link ImageInput}). The engine ({@link WidgetEngine}: decoding, the browser and server
 * runtimes, onnxruntime-web and the model) is imported on the first image, or earlier when the
 * reader shows intent: the pointer on the widget (a mouse over it, a finger on it) or the
 * keyboard focus in it; never on scrolling. When the reader's browser asks to save data
 * ({@code navigator.connection.saveData}) nothing loads before the reader chooses an image.
 *
 * <p>Each answer is dispatched on the element as a bubbling {@code kodiak:answer} CustomEvent
 * whose detail has the API's JSON shape, in either runtime; errors as {@code kodiak:error} with
 * {@code {message}}. The element's attributes say where it is: {@code data-kodiak-state} (idle,
 * loading, ready, failed), {@code data-kodiak-runtime} (browser or server),
 * {@code data-kodiak-fallback} (why {@code auto} left the browser for the server). Each instance
 * keeps its own state and DOM handles, so a page can hold several.
 */
public final class ClassifierWidget {
    static final String READY_MARK = "data-kodiak-ready";

    @JSFunctor
    interface Progress extends JSObject {
        void update(double loaded, double total);
    }

    @JSFunctor
    interface Text extends JSObject {
        void accept(String text);
    }

    @JSFunctor
    interface Ready extends JSObject {
        void ready(String runtime, String modelName, JSObject labels, String fallback);
    }

    @JSFunctor
    interface Failed extends JSObject {
        void failed(String message, String detail, boolean retryable);
    }

    @JSFunctor
    interface AnswerCallback extends JSObject {
        void answer(JSObject detail);
    }

    @JSFunctor
    interface FailureCallback extends JSObject {
        void failure(String message, int retryAfterSeconds);
    }

    @JSFunctor
    interface Uploaded extends JSObject {
        void uploaded(int bytes);
    }

    private final HTMLElement root;
    private final WidgetSettings settings;
    private final WidgetView view;
    private final EngineModule engine;
    private final List<Runnable> whenHandle = new ArrayList<>();
    private JSObject handle;
    private String state = "idle";
    private boolean busy;
    private List<String> labels = List.of();

    private ClassifierWidget(HTMLElement root, EngineModule engine) {
        this.root = root;
        this.engine = engine;
        root.setAttribute(READY_MARK, "building");
        this.settings = WidgetSettings.read(root);
        this.view = new WidgetView(root, settings);
        new ImageInput(view, new ImageInput.Listener() {
            @Override
            public boolean accepting() {
                return !busy;
            }

            @Override
            public void image(Blob image, String name) {
                classify(image, name);
            }

            @Override
            public void interest() {
                if (state.equals("idle") && !Browser.saveData()) {
                    withHandle(() -> { });
                }
            }

            @Override
            public void failure(String message) {
                showError(message);
            }
        });
        root.setAttribute("data-kodiak-runtime", settings.expectedRuntime());
        setState("idle");
        root.setAttribute(READY_MARK, "ready");
    }

    /**
     * Turns every {@code .kodiak-classifier} of the page into a widget (once each).
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        EngineModule engine = new EngineModule(Browser.besideScript("kodiak-engine.js"));
        NodeList<? extends HTMLElement> roots = HTMLDocument.current()
                .querySelectorAll(".kodiak-classifier:not([" + READY_MARK + "])");
        for (int i = 0; i < roots.getLength(); i++) {
            new ClassifierWidget(roots.get(i), engine);
        }
    }

    private void setState(String value) {
        state = value;
        root.setAttribute("data-kodiak-state", value);
    }

    /** Imports the engine, makes this widget's runtime and starts loading it; then runs. */
    private void withHandle(Runnable then) {
        if (handle != null) {
            if (state.equals("idle")) {
                load();
            }
            then.run();
            return;
        }
        whenHandle.add(then);
        if (whenHandle.size() > 1) {
            return;
        }
        setState("loading");
        engine.page(page -> {
            if (page == null) {
                setState("idle");
                whenHandle.clear();
                if (busy) {
                    finish();
                    showError("Couldn't load the classifier. Check your connection, then try "
                            + "again.");
                }
                return;
            }
            handle = runtime(page, settings.toJs());
            load();
            List<Runnable> all = List.copyOf(whenHandle);
            whenHandle.clear();
            all.forEach(Runnable::run);
        });
    }

    private void load() {
        setState("loading");
        load(handle, view::showProgress, text -> {
            if (busy) {
                view.showStatus(text);
            }
        }, this::ready, this::failed);
    }

    private void ready(String runtime, String modelName, JSObject names, String fallback) {
        List<String> list = new ArrayList<>();
        for (int i = 0; i < Math.max(0, Browser.length(names)); i++) {
            list.add(Browser.asString(Browser.at(names, i)));
        }
        labels = List.copyOf(list);
        root.setAttribute("data-kodiak-runtime", runtime);
        if (fallback != null) {
            root.setAttribute("data-kodiak-fallback", fallback);
        }
        view.hideProgress();
        view.showModelName(modelName);
        setState("ready");
        if (busy) {
            view.showStatus("Looking…");
        }
    }

    private void failed(String message, String detail, boolean retryable) {
        view.hideProgress();
        setState(retryable ? "idle" : "failed");
        if (!retryable && !busy) {
            showError(message);
        }
    }

    private void classify(Blob image, String name) {
        if (busy) {
            return;
        }
        busy = true;
        double chosen = Browser.now();
        view.setBusy(true);
        view.clearAnswer();
        view.showPreview(image, name);
        view.showStatus(state.equals("ready") ? "Looking…" : "Loading the model…");
        withHandle(() -> classify(handle, image, settings.topK(), settings.threshold(),
                detail -> {
                    // the reader's wait, from the choice: loading the engine included
                    Browser.put(detail, "elapsed_ms", Math.round((Browser.now() - chosen) * 10)
                            / 10.0);
                    finish();
                    view.showAnswer(detail, labels);
                    Browser.dispatch(root, "kodiak:answer", detail);
                }, (message, retryAfter) -> {
                    // the error first, while the reader still waits: it is scrolled into view
                    if (retryAfter > 0) {
                        showError(message + " Trying again in " + retryAfter + " s…");
                    } else {
                        showError(message);
                    }
                    finish();
                    if (retryAfter > 0) {
                        Browser.later(retryAfter * 1000, () -> classify(image, name));
                    }
                }, bytes -> root.setAttribute("data-kodiak-upload-bytes",
                        Integer.toString(bytes))));
    }

    private void finish() {
        busy = false;
        view.setBusy(false);
        view.showStatus("");
    }

    private void showError(String message) {
        view.showError(message);
        JSObject detail = Browser.object();
        Browser.put(detail, "message", message);
        Browser.dispatch(root, "kodiak:error", detail);
    }

    @JSBody(params = {"page", "settings"}, script = "return page.runtime(settings);")
    private static native JSObject runtime(JSObject page, JSObject settings);

    @JSBody(params = {"handle", "progress", "status", "ready", "failed"}, script =
            "handle.load(progress, status, ready, failed);")
    private static native void load(JSObject handle, Progress progress, Text status,
            Ready ready, Failed failed);

    @JSBody(params = {"handle", "file", "k", "threshold", "answer", "failure", "uploaded"},
            script = "handle.classify(file, k, threshold, answer, failure, uploaded);")
    private static native void classify(JSObject handle, Blob file, int k, double threshold,
            AnswerCallback answer, FailureCallback failure, Uploaded uploaded);
}
