package dev.kodiak.web;

import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.topk.TopK;
import dev.kodiak.core.topk.TopKOptions;
import java.util.List;

/**
 * Runs the bundle's {@code model.onnx} in the reader's browser, with Kodiak's own forward pass
 * when it can run the model and with onnxruntime-web otherwise (the answer's {@code engine} says
 * which): nothing is uploaded. Every step around the model is classifier-core's Java compiled by TeaVM, the same
 * code the server runs: the resize (Preprocessor.resize), the tensor (invert, rescale,
 * mean/std: Preprocessor.toTensor), softmax, top-k and unsure (TopKRanker).
 */
final class BrowserRuntime implements ModelRuntime {
    private final String folder;
    private final double limit;
    private final dev.kodiak.core.bundle.Precision precision;
    private final ModelCache cache;
    private BrowserModel model;

    /**
     * Creates the runtime (nothing loads yet).
     *
     * @param folder the bundle folder's absolute URL, ending in /
     * @param limit the largest model file to download, 0 for any
     * @param precision which of the bundle's models to download ({@code data-precision})
     * @param cache the page's models
     */
    BrowserRuntime(String folder, double limit, dev.kodiak.core.bundle.Precision precision,
            ModelCache cache) {
        this.folder = folder;
        this.limit = limit;
        this.precision = precision;
        this.cache = cache;
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "browser";
    }

    /** {@inheritDoc} */
    @Override
    public void load(LoadListener listener) {
        cache.load(folder, limit, precision, new BundleLoader.Listener() {
            @Override
            public void progress(double loaded, double total) {
                listener.progress(loaded, total);
            }

            @Override
            public void status(String text) {
                listener.status(text);
            }

            @Override
            public void loaded(BrowserModel loaded) {
                model = loaded;
                listener.ready(loaded.manifest().name());
            }

            @Override
            public void failed(LoadFailure failure) {
                listener.failed(failure);
            }
        });
    }

    /** {@inheritDoc} */
    @Override
    public List<String> labels() {
        return model == null ? List.of() : model.manifest().labels();
    }

    /** {@inheritDoc} */
    @Override
    public String modelName() {
        return model == null ? "" : model.manifest().name();
    }

    /** {@inheritDoc} */
    @Override
    public void classify(Pixels image, TopKOptions options, AnswerListener listener) {
        double start = Browser.now();
        float[] tensor;
        try {
            Pixels resized = model.preprocessor().resize(image);
            tensor = new float[model.manifest().input().tensorSize()];
            model.preprocessor().toTensor(resized, tensor, 0);
        } catch (IllegalArgumentException e) {
            Browser.warn("cannot preprocess: " + e.getMessage());
            listener.failure("That image is too long and thin for this model. Try cropping it.",
                    0);
            return;
        }
        double prepared = Browser.now();
        model.session().run(tensor, model.shape(1), (scores, error) -> {
            if (scores == null) {
                Browser.warn(model.session().engine() + " failed: " + error);
                listener.failure("The model failed in this browser. Please try again.", 0);
                return;
            }
            double inferred = Browser.now();
            TopK top;
            try {
                top = model.topK().decode(scores, options);
            } catch (IllegalArgumentException e) {
                Browser.warn(e.getMessage());
                listener.failure("The model gave no usable answer for that image.", 0);
                return;
            }
            Manifest m = model.manifest();
            listener.answer(Answer.of(m.name(), m.version(), m.modelSha256(), top, name(),
                    model.session().engine(), prepared - start, inferred - prepared));
        });
    }
}
