package dev.kodiak.web;

import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.topk.TopKOptions;
import java.util.Set;
import org.teavm.jso.JSBody;
import org.teavm.jso.JSFunctor;
import org.teavm.jso.JSObject;
import org.teavm.jso.file.Blob;

/**
 * One widget's runtime inside the engine module: chooses where the model runs from the widget's
 * settings, loads it, falls back from the browser to the server for {@code auto}, and answers
 * images (decoding in the page and getting ready run side by side). The widget's script talks to
 * it through a plain JavaScript object ({@link #toJs()}) of two functions, {@code load} and
 * {@code classify}, whose callbacks are plain functions too; answers are the API's JSON shape.
 */
final class RuntimeHandle {
    private enum State { IDLE, LOADING, READY, FAILED }

    /** {@code load(progress, status, ready, failed)}. */
    @JSFunctor
    interface LoadFunction extends JSObject {
        void load(JSObject progress, JSObject status, JSObject ready, JSObject failed);
    }

    /** {@code classify(file, k, threshold, answer, failure, uploaded)}. */
    @JSFunctor
    interface ClassifyFunction extends JSObject {
        void classify(JSObject file, int k, double threshold, JSObject answer, JSObject failure,
                JSObject uploaded);
    }

    /** One image on its way: decoded and runtime-ready may arrive in any order. */
    private static final class Job {
        final double start = Browser.now();
        final TopKOptions options;
        final JSObject answer;
        final JSObject failure;
        final JSObject uploaded;
        Pixels pixels;
        double decodeMillis;
        boolean ready;
        boolean over;

        Job(TopKOptions options, JSObject answer, JSObject failure, JSObject uploaded) {
            this.options = options;
            this.answer = answer;
            this.failure = failure;
            this.uploaded = uploaded;
        }
    }

    private final WidgetSettings settings;
    private ModelRuntime runtime;
    private State state = State.IDLE;
    private LoadFailure failure;
    private JSObject onProgress;
    private JSObject onStatus;
    private JSObject onReady;
    private JSObject onFailed;
    private String fallback;
    private Job job;

    RuntimeHandle(WidgetSettings settings, ModelCache cache) {
        this.settings = settings;
        RuntimePlan plan = RuntimePlan.of(settings);
        switch (plan.where()) {
            case BROWSER -> runtime = new BrowserRuntime(settings.bundle(), plan.limitBytes(),
                    cache);
            case SERVER -> runtime = new ServerRuntime(new ApiClient(settings.endpoint(),
                    settings.model()));
            default -> failure = new LoadFailure(LoadFailure.Kind.BROKEN, "This classifier is "
                    + "not set up: it names no model.", plan.problem());
        }
    }

    /** The object the widget's script holds: {@code {load, classify}}. */
    JSObject toJs() {
        JSObject handle = Browser.object();
        putLoad(handle, this::load);
        putClassify(handle, this::classify);
        return handle;
    }

    /**
     * Gets ready (or joins, or answers at once). The callbacks stay registered for later loads:
     * {@code progress(loaded, total)}, {@code status(text)},
     * {@code ready(runtime, modelName, labels, fallbackReason)},
     * {@code failed(message, detail, retryable)}.
     */
    private void load(JSObject progress, JSObject status, JSObject ready, JSObject failed) {
        onProgress = progress;
        onStatus = status;
        onReady = ready;
        onFailed = failed;
        switch (state) {
            case READY -> announceReady();
            case FAILED -> call(onFailed, failure.message(), failure.detail(), false);
            case LOADING -> { }
            default -> start();
        }
    }

    private void start() {
        if (runtime == null) {
            fail(failure);
            return;
        }
        state = State.LOADING;
        ModelRuntime loading = runtime;
        loading.load(new ModelRuntime.LoadListener() {
            @Override
            public void progress(double loaded, double total) {
                if (runtime == loading) {
                    call(onProgress, loaded, total);
                }
            }

            @Override
            public void status(String text) {
                if (runtime == loading) {
                    call(onStatus, text);
                }
            }

            @Override
            public void ready(String modelName) {
                if (runtime != loading) {
                    return;
                }
                state = State.READY;
                announceReady();
                if (job != null) {
                    job.ready = true;
                    run(job);
                }
            }

            @Override
            public void failed(LoadFailure reason) {
                if (runtime != loading) {
                    return;
                }
                Browser.warn(reason.detail());
                if (settings.runtime() == WidgetSettings.RuntimeChoice.AUTO
                        && loading instanceof BrowserRuntime && settings.hasServer()) {
                    fallback = reason.detail();
                    runtime = new ServerRuntime(new ApiClient(settings.endpoint(),
                            settings.model()));
                    start();
                    return;
                }
                fail(reason);
            }
        });
    }

    private void announceReady() {
        JSObject labels = Browser.list();
        for (String label : runtime.labels()) {
            Browser.pushString(labels, label);
        }
        callReady(onReady, runtime.name(), runtime.modelName(), labels, fallback);
    }

    private void fail(LoadFailure reason) {
        failure = reason;
        boolean retry = reason.kind() == LoadFailure.Kind.NETWORK;
        state = retry ? State.IDLE : State.FAILED;
        Job current = job;
        job = null;
        if (current != null) {
            call(current.failure, reason.message(), 0);
        }
        call(onFailed, reason.message(), reason.detail(), retry);
    }

    /**
     * Answers one image: decodes it now, classifies once the runtime is ready. Calls
     * {@code answer(detail)}, or {@code failure(message, retryAfterSeconds)}, and
     * {@code uploaded(bytes)} when the server runtime sends it.
     */
    private void classify(JSObject file, int k, double threshold, JSObject answer,
            JSObject failed, JSObject uploaded) {
        if (job != null) {
            call(failed, "Please wait for the answer to the image before.", 0);
            return;
        }
        Job current = new Job(new TopKOptions(Math.max(1, k), (float) threshold, Set.of()),
                answer, failed, uploaded);
        job = current;
        ImageDecoding.decode((Blob) file, new ImageDecoding.Listener() {
            @Override
            public void decoded(Pixels pixels, double millis) {
                current.pixels = pixels;
                current.decodeMillis = millis;
                run(current);
            }

            @Override
            public void failed(String message) {
                if (job == current) {
                    job = null;
                    call(current.failure, message, 0);
                }
            }
        });
        switch (state) {
            case READY -> {
                current.ready = true;
                run(current);
            }
            case FAILED -> fail(failure);
            case LOADING -> { }
            default -> start();
        }
    }

    private void run(Job current) {
        if (job != current || current.pixels == null || !current.ready || current.over) {
            return;
        }
        current.over = true;
        runtime.classify(current.pixels, current.options, new ModelRuntime.AnswerListener() {
            @Override
            public void answer(Answer result) {
                job = null;
                double elapsed = Browser.now() - current.start;
                call(current.answer, result.detail(current.pixels.width(),
                        current.pixels.height(), current.decodeMillis, elapsed));
            }

            @Override
            public void failure(String message, int retryAfterSeconds) {
                job = null;
                call(current.failure, message, retryAfterSeconds);
            }

            @Override
            public void uploaded(int bytes) {
                call(current.uploaded, bytes);
            }
        });
    }

    // a lambda becomes a JavaScript function where a parameter has its functor type
    @JSBody(params = {"o", "f"}, script = "o.load = f;")
    private static native void putLoad(JSObject o, LoadFunction f);

    @JSBody(params = {"o", "f"}, script = "o.classify = f;")
    private static native void putClassify(JSObject o, ClassifyFunction f);

    @JSBody(params = {"f", "a", "b"}, script = "if (f) { f(a, b); }")
    private static native void call(JSObject f, double a, double b);

    @JSBody(params = {"f", "a"}, script = "if (f) { f(a); }")
    private static native void call(JSObject f, String a);

    @JSBody(params = {"f", "a"}, script = "if (f) { f(a); }")
    private static native void call(JSObject f, JSObject a);

    @JSBody(params = {"f", "a"}, script = "if (f) { f(a); }")
    private static native void call(JSObject f, int a);

    @JSBody(params = {"f", "a", "b"}, script = "if (f) { f(a, b); }")
    private static native void call(JSObject f, String a, int b);

    @JSBody(params = {"f", "a", "b", "c"}, script = "if (f) { f(a, b, c); }")
    private static native void call(JSObject f, String a, String b, boolean c);

    @JSBody(params = {"f", "a", "b", "c", "d"}, script = "if (f) { f(a, b, c, d); }")
    private static native void callReady(JSObject f, String a, String b, JSObject c, String d);
}
