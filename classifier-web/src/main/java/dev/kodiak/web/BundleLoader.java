package dev.kodiak.web;

import dev.kodiak.core.bundle.InvalidManifestException;
import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.bundle.ManifestReader;
import dev.kodiak.core.bundle.ModelCheck;
import dev.kodiak.core.bundle.ModelFormat;
import dev.kodiak.core.bundle.Precision;
import dev.kodiak.core.bundle.Probe;
import java.util.ArrayList;
import java.util.List;
import org.teavm.jso.JSObject;

/**
 * Loads one bundle into the page, once, for every widget that shows it: {@code kodiak.json}
 * (read by core's ManifestReader, so the page accepts and refuses bundles in the JVM's words),
 * then {@code model.onnx} with its progress, then the checks before first use: the file's sha256
 * against the manifest's ({@code files}) by SubtleCrypto, and core's {@link ModelCheck} (one
 * score per label; the bundle's {@link Probe}, PyTorch's scores on two noise images, within
 * tolerance) run once. The model runs on Kodiak's own forward pass ({@link KodiakSession}) when
 * that can read it and passes the probe; only otherwise is onnxruntime-web (3.6 MB of
 * WebAssembly, gzipped) downloaded, and the same checks run on it.
 * The browser's HTTP cache keeps the files for later visits.
 */
final class BundleLoader {
    /** What a widget hears while and after the bundle loads. */
    interface Listener {
        /** Megabytes so far and in all (-1 when a size is not known yet). */
        void progress(double loaded, double total);

        /** What is happening now, for the status line. */
        void status(String text);

        /** The model is ready. */
        void loaded(BrowserModel model);

        /** It cannot be used; the widget says so or falls back to the server. */
        void failed(LoadFailure failure);
    }

    private final String folder;
    private final double limit;
    private final Precision precision;
    private final OrtRuntime runtime;
    private Precision chosen = Precision.FP32;
    private String modelFile;
    private final List<Listener> waiting = new ArrayList<>();
    private BrowserModel model;
    private LoadFailure failure;
    private boolean loading;
    private Manifest manifest;
    private JSObject onnx;
    private boolean runtimeReady;
    private final double[] loaded = new double[2];
    private final double[] totals = {-1, -1};

    /**
     * Creates the loader.
     *
     * @param folder the bundle folder's absolute URL, ending in /
     * @param limit the largest {@code model.onnx} to download, 0 for any
     * @param precision which of the bundle's models to download ({@code data-precision})
     * @param runtime the page's onnxruntime-web
     */
    BundleLoader(String folder, double limit, Precision precision, OrtRuntime runtime) {
        this.folder = folder;
        this.limit = limit;
        this.precision = precision;
        this.runtime = runtime;
    }

    /** Loads the bundle, or joins the load in progress, or answers at once. */
    void load(Listener listener) {
        if (model != null) {
            listener.loaded(model);
            return;
        }
        if (failure != null && failure.kind() != LoadFailure.Kind.NETWORK) {
            listener.failed(failure);
            return;
        }
        waiting.add(listener);
        if (loading) {
            listener.status("Loading the model…");
            return;
        }
        loading = true;
        failure = null;
        status("Loading the model…");
        Download.start(folder + Manifest.FILE_NAME, 1 << 20, (bytes, total, wire) -> { },
                (bytes, status, reason) -> {
                    if (bytes == null) {
                        fail(status == 0 ? network(reason) : new LoadFailure(
                                LoadFailure.Kind.BROKEN, "This classifier's model could not "
                                + "be found (HTTP " + status + " for " + folder
                                + Manifest.FILE_NAME + "). The page may point to the wrong "
                                + "folder.", reason));
                        return;
                    }
                    readManifest(Download.text(bytes));
                });
    }

    private void readManifest(String text) {
        try {
            manifest = ManifestReader.read(new JsJson(Browser.parse(text)));
        } catch (InvalidManifestException e) {
            fail(new LoadFailure(LoadFailure.Kind.BROKEN, "This classifier's model description "
                    + "(" + Manifest.FILE_NAME + ") is not usable: " + e.getMessage(),
                    folder + Manifest.FILE_NAME + ": " + e.getMessage()));
            return;
        } catch (RuntimeException e) {
            fail(new LoadFailure(LoadFailure.Kind.BROKEN, "This classifier's model description "
                    + "(" + Manifest.FILE_NAME + ") is not valid JSON.", String.valueOf(
                    e.getMessage())));
            return;
        }
        String fp32 = manifest.modelFile(ModelFormat.ONNX).orElse(null);
        chosen = choose(manifest, precision, Browser::warn);
        String file = fp32 != null && chosen == Precision.INT8
                ? manifest.int8().orElseThrow().file() : fp32;
        modelFile = file;
        if (file == null || !manifest.serves(Manifest.RUNTIME_ONNXRUNTIME_WEB)) {
            fail(new LoadFailure(LoadFailure.Kind.UNSUPPORTED, "This model has no version that "
                    + "runs in the browser (model.onnx); it needs a Kodiak server.",
                    "bundle '" + manifest.name() + "' does not serve "
                    + Manifest.RUNTIME_ONNXRUNTIME_WEB + "; re-export it with "
                    + "tools/export_bundle.py"));
            return;
        }
        totals[0] = 0; // no onnxruntime-web to download unless the model needs it
        Download.start(folder + file, limit, (bytes, total, wire) -> {
            // static hosts send model.onnx as it is, with its length (when one compresses it,
            // the total stays unknown: the manifest holds checksums, not sizes)
            loaded[1] = bytes;
            totals[1] = total;
            progressChanged();
        }, (bytes, status, reason) -> {
            if (bytes == null) {
                fail(status == Download.TOO_BIG ? new LoadFailure(LoadFailure.Kind.TOO_BIG,
                        "This model is too large to download into the page.", reason)
                        : status == 0 ? network(reason)
                        : new LoadFailure(LoadFailure.Kind.BROKEN, "This classifier's model "
                        + "file could not be found (HTTP " + status + ").", reason));
                return;
            }
            checkSha256(file, bytes);
        });
    }

    /** Loads onnxruntime-web for a model Kodiak's own forward pass cannot run. */
    private void loadOrt() {
        totals[0] = -1;
        runtime.load(new OrtRuntime.Listener() {
            @Override
            public void progress(double bytes, double total) {
                loaded[0] = bytes;
                totals[0] = total;
                progressChanged();
            }

            @Override
            public void ready() {
                runtimeReady = true;
                createSession();
            }

            @Override
            public void failed(LoadFailure reason) {
                fail(reason);
            }
        });
    }

    private void progressChanged() {
        double total = totals[0] < 0 || totals[1] < 0 ? -1 : totals[0] + totals[1];
        for (Listener l : List.copyOf(waiting)) {
            l.progress(loaded[0] + loaded[1], total);
        }
    }

    private void checkSha256(String file, JSObject bytes) {
        String expected = manifest.files().get(file);
        if (!Sha256.available()) {
            Browser.warn("this page is not served over HTTPS, so the browser offers no SHA-256 "
                    + "to check " + file + "; the probe check still runs");
            downloaded(bytes);
            return;
        }
        Sha256.of(bytes, (hex, error) -> {
            if (hex == null) {
                fail(new LoadFailure(LoadFailure.Kind.BROKEN, "The browser could not check the "
                        + "model file.", "SHA-256 of " + file + " failed: " + error));
            } else if (!hex.equals(expected)) {
                fail(new LoadFailure(LoadFailure.Kind.BROKEN, "The model file did not arrive "
                        + "intact: its checksum is not the one in " + Manifest.FILE_NAME
                        + ", so it is not used. Reload the page to try again; if this keeps "
                        + "happening, the site has a damaged copy of the model.",
                        folder + file + " has sha256 " + hex + " but " + Manifest.FILE_NAME
                        + " lists " + expected));
            } else {
                downloaded(bytes);
            }
        });
    }

    private void downloaded(JSObject bytes) {
        onnx = bytes;
        String file = modelFile;
        status("Checking the model…");
        KodiakSession own = KodiakSession.of(bytes, file);
        if (own == null) {
            loadOrt();
        } else {
            check(BrowserModel.of(manifest, own, Download.length(bytes)));
        }
    }

    private void createSession() {
        if (!runtimeReady || onnx == null || failure != null || !loading) {
            return;
        }
        status("Checking the model…");
        JSObject bytes = onnx;
        onnx = null; // onnxruntime-web copies it; the page need not keep both
        double size = Download.length(bytes);
        runtime.session(bytes, (session, error) -> {
            if (session == null) {
                fail(new LoadFailure(LoadFailure.Kind.BROKEN, "This browser's model runtime "
                        + "refuses the model file.", "onnxruntime-web: " + error));
                return;
            }
            check(BrowserModel.of(manifest, new OrtSession(runtime.module(), session), size));
        });
    }

    /**
     * Before first use: core's {@link ModelCheck}, as the JVM runs it when it opens a bundle
     * (one score per label, the probe's scores within its tolerance of PyTorch's).
     */
    private void check(BrowserModel candidate) {
        ModelCheck check = new ModelCheck(manifest, candidate.preprocessor(), chosen);
        int n = check.batchSize();
        String engine = candidate.session().engine();
        boolean own = engine.equals(KodiakSession.ENGINE);
        candidate.session().run(check.input(), candidate.shape(n), (scores, error) -> {
            String file = modelFile;
            ModelCheck.Verdict verdict = scores == null ? null
                    : check.judge(own ? "Kodiak's own forward pass" : engine, file, scores);
            if (own && (verdict == null || !verdict.ok())) {
                // a model the own forward pass reads but gets wrong: onnxruntime-web decides
                Browser.warn(file + " runs on " + OrtSession.ENGINE + ": " + (verdict == null
                        ? error : verdict.message()));
                loadOrt();
                return;
            }
            if (scores == null) {
                fail(new LoadFailure(LoadFailure.Kind.BROKEN, "The model fails in this "
                        + "browser.", engine + ": " + error));
                return;
            }
            if (verdict.failure() == ModelCheck.Failure.LABEL_COUNT) {
                fail(new LoadFailure(LoadFailure.Kind.BROKEN, "This model does not fit its "
                        + "description (it gives " + scores.length / n + " scores for "
                        + manifest.labels().size() + " labels).", verdict.message()));
                return;
            }
            if (verdict.failure() == ModelCheck.Failure.PROBE) {
                fail(new LoadFailure(LoadFailure.Kind.BROKEN, "This model gives other "
                        + "answers in this browser than it gave when it was exported, so "
                        + "it is not used.", verdict.message()));
                return;
            }
            // what the probe cannot see, said as the JVM logs it when it opens the bundle
            ModelCheck.warning(manifest, chosen).ifPresent(Browser::warn);
            model = candidate;
            onnx = null;
            loading = false;
            List<Listener> ready = List.copyOf(waiting);
            waiting.clear();
            ready.forEach(l -> l.loaded(candidate));
        });
    }

    /**
     * Which of a bundle's models the page downloads: fp32 unless asked; int8 when asked and the
     * bundle has one (else fp32, with a warning); auto: int8 when the bundle has one whose
     * measured agreement with fp32 is at or above its threshold. The browser cannot see the
     * CPU's instructions, and the gain the page is after is the download, a quarter of fp32's.
     *
     * @param manifest the bundle's manifest
     * @param wanted {@code data-precision}
     * @param warn receives why int8 was asked for and not taken
     * @return {@code FP32} or {@code INT8}
     */
    static Precision choose(Manifest manifest, Precision wanted,
            java.util.function.Consumer<String> warn) {
        if (wanted == Precision.FP32) {
            return Precision.FP32;
        }
        if (manifest.int8().isEmpty()) {
            if (wanted == Precision.INT8) {
                warn.accept("data-precision=\"int8\" but bundle '" + manifest.name() + "' has "
                        + "no int8 model; using its fp32 model (add one with "
                        + "tools/export_bundle.py --upgrade BUNDLE --quantize int8)");
            }
            return Precision.FP32;
        }
        if (wanted == Precision.INT8) {
            return Precision.INT8;
        }
        var model = manifest.int8().get();
        boolean measured = model.agreement().isPresent()
                && model.agreement().get().value() >= model.threshold();
        return measured ? Precision.INT8 : Precision.FP32;
    }

    private void status(String text) {
        for (Listener l : List.copyOf(waiting)) {
            l.status(text);
        }
    }

    private static LoadFailure network(String reason) {
        return new LoadFailure(LoadFailure.Kind.NETWORK, "Couldn't download the model. Check "
                + "your connection, then try again.", reason);
    }

    private void fail(LoadFailure reason) {
        if (failure != null || !loading) {
            return;
        }
        failure = reason;
        loading = false;
        manifest = reason.kind() == LoadFailure.Kind.NETWORK ? null : manifest;
        onnx = null;
        runtimeReady = false;
        loaded[0] = 0;
        loaded[1] = 0;
        List<Listener> failed = List.copyOf(waiting);
        waiting.clear();
        failed.forEach(l -> l.failed(reason));
    }
}
