package dev.kodiak.core;

import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.bundle.ModelFormat;
import dev.kodiak.core.bundle.ModelOutput;
import dev.kodiak.core.bundle.Probe;
import dev.kodiak.core.decode.DecodeException;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.infer.InferenceEngine;
import dev.kodiak.core.infer.InferenceException;
import dev.kodiak.core.infer.InferenceModel;
import dev.kodiak.core.infer.OnnxModel;
import dev.kodiak.core.infer.TorchModel;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Preprocessor;
import dev.kodiak.core.topk.TopK;
import dev.kodiak.core.topk.TopKDecoder;
import dev.kodiak.core.topk.TopKOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Classifies images with one model bundle: decode, preprocess exactly as PIL/torchvision, run the
 * model through DJL (ONNX Runtime or libtorch), rank the labels.
 *
 * <pre>{@code
 * ClassifierConfig config = ClassifierConfig.builder(Path.of("models/fashion-mnist")).topK(3).build();
 * try (Classifier classifier = Classifier.open(config)) {
 *     Classification c = classifier.classify(Files.readAllBytes(Path.of("boot.jpg")));
 *     System.out.println(c.top().label());                  // "Ankle boot"
 *     List<Classification> batch = classifier.classify(List.of(a, b, c)); // one forward pass
 * }
 * }</pre>
 *
 * <p>Opening validates the bundle (files, checksums, manifest) and then the model itself: one
 * forward pass on a tensor of the input spec must succeed and give one score per label, and the
 * engine's scores on the bundle's probe must match PyTorch's (see {@link Probe}).
 *
 * <p>Thread-safe: any number of threads may call every method at once, and each gets its own
 * answer. Close it once, when no call is running.
 */
public final class Classifier implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Classifier.class.getName());

    private final Bundle bundle;
    private final InferenceModel model;
    private final ClassifierConfig config;
    private final ImageDecoder decoder;
    private final Preprocessor preprocessor;
    private final TopKDecoder topK;
    private final int[] shape;

    private Classifier(Bundle bundle, InferenceModel model, ClassifierConfig config) {
        this.bundle = bundle;
        this.model = model;
        this.config = config;
        Manifest manifest = bundle.manifest();
        InputSpec spec = manifest.input();
        this.decoder = new ImageDecoder(config.maxPixels());
        this.preprocessor = new Preprocessor(spec);
        this.topK = new TopKDecoder(manifest.labels(), manifest.output() == ModelOutput.LOGITS);
        this.shape = new int[] {spec.color().channels(), spec.height(), spec.width()};
    }

    /**
     * Opens a bundle with the default configuration.
     *
     * @param bundle a bundle directory or zip
     * @return a ready classifier
     * @throws BundleException if the bundle or its model is not usable; the message names the
     *     file and the fix
     */
    public static Classifier open(Path bundle) throws BundleException {
        return open(ClassifierConfig.builder(bundle).build());
    }

    /**
     * Opens a bundle, loads its model with the configured engine and checks the model against
     * the manifest and the probe.
     *
     * @param config the bundle and settings
     * @return a ready, warmed-up classifier
     * @throws BundleException {@code MISSING_FILE}, {@code CHECKSUM_MISMATCH},
     *     {@code UNSUPPORTED_FORMAT_VERSION}, {@code INVALID_MANIFEST},
     *     {@code RUNTIME_NOT_SERVED}, {@code MODEL_REJECTED}, {@code LABEL_COUNT_MISMATCH} or
     *     {@code PROBE_MISMATCH}
     */
    public static Classifier open(ClassifierConfig config) throws BundleException {
        Bundle bundle = Bundle.open(config.bundle());
        InferenceModel model = null;
        Path file = null;
        boolean opened = false;
        InferenceEngine engine = InferenceEngine.AUTO;
        try {
            engine = engine(config.engine(), bundle);
            if (engine == InferenceEngine.ONNXRUNTIME) {
                file = bundle.modelFile(ModelFormat.ONNX).orElseThrow();
                model = OnnxModel.load(file, config.threads());
            } else {
                file = bundle.modelFile(ModelFormat.TORCHSCRIPT).orElseThrow();
                model = TorchModel.load(file, config.threads());
            }
            Classifier classifier = new Classifier(bundle, model, config);
            classifier.topK.validate(config.defaults());
            classifier.checkModel(file);
            opened = true;
            return classifier;
        } catch (InferenceException e) {
            throw new BundleException(BundleException.Problem.MODEL_REJECTED, file,
                    e.getMessage(), e);
        } catch (LinkageError e) {
            // a native library that does not load on this machine (no such platform, or a
            // library it needs is missing)
            throw new BundleException(BundleException.Problem.MODEL_REJECTED, file, "Engine "
                    + engine + " cannot start on this machine (" + e + "); choose the other "
                    + "engine, or add the natives for this platform (README: Use classifier-core "
                    + "in a JVM app)", e);
        } finally {
            if (!opened) {
                close(model, bundle);
            }
        }
    }

    /** The engine to use: the configured one if the bundle serves it, ONNX Runtime for auto. */
    private static InferenceEngine engine(InferenceEngine wanted, Bundle bundle)
            throws BundleException {
        Manifest manifest = bundle.manifest();
        boolean onnx = manifest.serves(Manifest.RUNTIME_ONNXRUNTIME);
        boolean torch = manifest.serves(Manifest.RUNTIME_PYTORCH);
        InferenceEngine engine = wanted != InferenceEngine.AUTO ? wanted
                : onnx ? InferenceEngine.ONNXRUNTIME : InferenceEngine.PYTORCH;
        if (engine == InferenceEngine.ONNXRUNTIME && !onnx
                || engine == InferenceEngine.PYTORCH && !torch) {
            throw new BundleException(BundleException.Problem.RUNTIME_NOT_SERVED,
                    bundle.directory().resolve(Manifest.FILE_NAME), "Bundle '" + manifest.name()
                    + "' does not serve engine " + engine + " (it serves " + manifest.runtimes()
                    + "); choose engine auto, or re-export it with tools/export_bundle.py, which "
                    + "writes both model.pt and model.onnx");
        }
        return engine;
    }

    private static void close(InferenceModel model, Bundle bundle) {
        if (model != null) {
            model.close();
        }
        bundle.close();
    }

    /**
     * The dry forward passes: input spec accepted, one score per label, the probe's scores
     * within tolerance of PyTorch's, and warm-up.
     */
    private void checkModel(Path file) throws BundleException {
        Manifest manifest = bundle.manifest();
        InputSpec spec = manifest.input();
        Path manifestFile = bundle.directory().resolve(Manifest.FILE_NAME);
        float[][] scores;
        try {
            scores = model.forward(new float[spec.tensorSize()], 1, shape);
        } catch (InferenceException e) {
            throw new BundleException(BundleException.Problem.MODEL_REJECTED, manifestFile,
                    "The model " + file.getFileName() + " rejects a 1x" + shape[0] + "x"
                    + shape[1] + "x" + shape[2] + " tensor, which the input spec in "
                    + Manifest.FILE_NAME + " describes (" + spec.color() + " "
                    + spec.width() + "x" + spec.height() + "); set input.color, width and "
                    + "height to what the model was traced with. Engine said: "
                    + e.getMessage(), e);
        }
        if (scores[0].length != manifest.labels().size()) {
            throw new BundleException(BundleException.Problem.LABEL_COUNT_MISMATCH,
                    manifestFile, Manifest.FILE_NAME + " lists " + manifest.labels().size()
                    + " labels but the model outputs " + scores[0].length + " scores; list "
                    + "exactly one label per output, in output order, for bundle '"
                    + manifest.name() + "'");
        }
        if (manifest.probe().isPresent()) {
            checkProbe(manifest.probe().get(), file, manifestFile);
        } else {
            LOG.log(System.Logger.Level.DEBUG, "bundle {0} has no probe; re-export it with "
                    + "tools/export_bundle.py to have it checked at open", manifest.name());
        }
        for (int i = 1; i < config.warmupRuns(); i++) {
            try {
                model.forward(new float[spec.tensorSize()], 1, shape);
            } catch (InferenceException e) {
                throw new BundleException(BundleException.Problem.MODEL_REJECTED, file,
                        e.getMessage(), e);
            }
        }
        LOG.log(System.Logger.Level.INFO, "opened {0} {1} with {2} ({3} labels, input {4})",
                manifest.name(), manifest.version(), model.engine(), manifest.labels().size(),
                spec);
    }

    private void checkProbe(Probe probe, Path file, Path manifestFile) throws BundleException {
        float[][] scores;
        try {
            scores = model.forward(probe.input(preprocessor), probe.size(), shape);
        } catch (InferenceException e) {
            throw new BundleException(BundleException.Problem.MODEL_REJECTED, file, "The model "
                    + file.getFileName() + " fails on a batch of " + probe.size() + " images "
                    + "(the probe); export it with a dynamic batch axis (tools/export_bundle.py "
                    + "does). Engine said: " + e.getMessage(), e);
        }
        if (scores[0].length != probe.classes()) {
            throw new BundleException(BundleException.Problem.PROBE_MISMATCH, manifestFile,
                    "The probe in " + Manifest.FILE_NAME + " holds " + probe.classes()
                    + " scores per image but " + model.engine() + " gives " + scores[0].length
                    + "; re-export the bundle");
        }
        Probe.Difference d = probe.compare(scores);
        if (!d.within()) {
            throw new BundleException(BundleException.Problem.PROBE_MISMATCH, file,
                    model.engine() + " disagrees with PyTorch on the bundle's probe: score "
                    + d.index() + " of probe image " + (d.image() + 1) + " differs by "
                    + String.format(java.util.Locale.ROOT, "%.3g", d.largest()) + " (allowed "
                    + String.format(java.util.Locale.ROOT, "%.3g", d.allowed()) + "). "
                    + file.getFileName() + " does not compute what was exported, or the input "
                    + "spec in " + Manifest.FILE_NAME + " was changed since; re-export the "
                    + "bundle with tools/export_bundle.py, or choose another engine");
        }
        LOG.log(System.Logger.Level.DEBUG, "{0} matches the probe of {1}: largest difference "
                + "{2} (allowed {3})", model.engine(), bundle.manifest().name(), d.largest(),
                d.allowed());
    }

    /**
     * Returns the engine that runs this classifier's model.
     *
     * @return {@link InferenceEngine#ONNXRUNTIME} or {@link InferenceEngine#PYTORCH}
     */
    public InferenceEngine engine() {
        return model.engine();
    }

    /**
     * Returns the bundle's manifest: name, version, labels, input spec, provenance.
     *
     * @return the manifest
     */
    public Manifest manifest() {
        return bundle.manifest();
    }

    /**
     * Returns the configuration this classifier was opened with.
     *
     * @return the config
     */
    public ClassifierConfig config() {
        return config;
    }

    /**
     * Returns the decoder this classifier decodes with (its pixel limit is the config's).
     *
     * @return the decoder
     */
    public ImageDecoder decoder() {
        return decoder;
    }

    /**
     * Returns the preprocessor of this model's input spec (for callers that resize on their
     * side, such as the browser widget's server counterpart).
     *
     * @return the preprocessor
     */
    public Preprocessor preprocessor() {
        return preprocessor;
    }

    /**
     * Checks top-k options against this model's labels.
     *
     * @param options options a caller wants to use
     * @throws IllegalArgumentException naming unknown labels
     */
    public void validate(TopKOptions options) {
        topK.validate(options);
    }

    /**
     * Classifies one encoded image with the default options.
     *
     * @param image the encoded bytes (JPEG, PNG, GIF, BMP, WebP)
     * @return the classification
     * @throws DecodeException if the bytes are not a usable image
     * @throws InferenceException if the model fails
     */
    public Classification classify(byte[] image) throws DecodeException, InferenceException {
        return classify(image, config.defaults());
    }

    /**
     * Classifies one encoded image.
     *
     * @param image the encoded bytes
     * @param options k, threshold and allow-list for this call
     * @return the classification
     * @throws DecodeException if the bytes are not a usable image
     * @throws InferenceException if the model fails
     */
    public Classification classify(byte[] image, TopKOptions options)
            throws DecodeException, InferenceException {
        return infer(List.of(prepare(image)), options).get(0);
    }

    /**
     * Classifies several encoded images with one forward pass per {@code maxBatchSize} images.
     *
     * @param images the encoded images
     * @return one classification per image, in order
     * @throws DecodeException naming the position of the first image that cannot be decoded
     * @throws InferenceException if the model fails
     */
    public List<Classification> classify(List<byte[]> images)
            throws DecodeException, InferenceException {
        List<PreparedImage> prepared = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            try {
                prepared.add(prepare(images.get(i)));
            } catch (DecodeException e) {
                throw new DecodeException(e.reason(), "Image " + (i + 1) + " of "
                        + images.size() + ": " + e.getMessage(), e);
            }
        }
        return infer(prepared, config.defaults());
    }

    /**
     * Classifies decoded pixels (any size and mode; the input spec is applied).
     *
     * @param pixels the image
     * @param options k, threshold and allow-list for this call
     * @return the classification
     * @throws InferenceException if the model fails
     */
    public Classification classify(Pixels pixels, TopKOptions options) throws InferenceException {
        return infer(List.of(prepare(pixels, 0)), options).get(0);
    }

    /**
     * Decodes and preprocesses one image: the first half of {@link #classify(byte[])}, for
     * callers that batch images from several sources.
     *
     * @param image the encoded bytes
     * @return the prepared tensor
     * @throws DecodeException if the bytes are not a usable image
     */
    public PreparedImage prepare(byte[] image) throws DecodeException {
        long start = System.nanoTime();
        Pixels pixels = decoder.decode(image, preprocessor.spec().color());
        return prepare(pixels, System.nanoTime() - start);
    }

    /**
     * Decodes an image that was already converted and resized with this model's input spec
     * ({@link Preprocessor#resize(Pixels)}, as the browser widget does before uploading) and
     * runs only the tensor step: resizing it again would not give the model what resizing the
     * original gives, for {@code crop} and {@code pad} specs.
     *
     * @param modelSizedImage the encoded image, exactly the spec's width x height (a lossless
     *     format, such as PNG, keeps the prepared pixels exact)
     * @return the prepared tensor
     * @throws DecodeException if the bytes are not a usable image
     * @throws InputSizeException if the image does not have the spec's size
     */
    public PreparedImage prepareResized(byte[] modelSizedImage)
            throws DecodeException, InputSizeException {
        long start = System.nanoTime();
        InputSpec spec = preprocessor.spec();
        Pixels pixels = decoder.decode(modelSizedImage, spec.color());
        long decoded = System.nanoTime();
        if (pixels.width() != spec.width() || pixels.height() != spec.height()) {
            throw new InputSizeException(bundle.manifest().name(), spec.width(), spec.height(),
                    pixels.width(), pixels.height());
        }
        float[] tensor = new float[spec.tensorSize()];
        preprocessor.toTensor(pixels, tensor, 0);
        return new PreparedImage(tensor, pixels.width(), pixels.height(), decoded - start,
                System.nanoTime() - decoded);
    }

    /**
     * Preprocesses already decoded pixels (any size and mode; the input spec is applied).
     *
     * @param pixels the image
     * @return the prepared tensor
     */
    public PreparedImage prepare(Pixels pixels) {
        return prepare(pixels, 0);
    }

    private PreparedImage prepare(Pixels pixels, long decodeNanos) {
        long start = System.nanoTime();
        float[] tensor = preprocessor.apply(pixels);
        return new PreparedImage(tensor, pixels.width(), pixels.height(), decodeNanos,
                System.nanoTime() - start);
    }

    /**
     * Runs the forward pass for prepared images, at most {@code maxBatchSize} per pass, and ranks
     * the labels of each: the second half of {@link #classify(byte[])}.
     *
     * @param images images prepared by this classifier
     * @param options k, threshold and allow-list
     * @return one classification per image, in order
     * @throws InferenceException if the model fails
     * @throws IllegalArgumentException if the options name unknown labels
     */
    public List<Classification> infer(List<PreparedImage> images, TopKOptions options)
            throws InferenceException {
        return infer(images, Collections.nCopies(images.size(), options));
    }

    /**
     * Runs the forward pass for prepared images with options per image, as a micro-batching
     * server needs when requests that share a batch ask for different k or labels.
     *
     * @param images images prepared by this classifier
     * @param options one set of options per image
     * @return one classification per image, in order
     * @throws InferenceException if the model fails, on the batch or on any one image
     * @throws IllegalArgumentException if the lists differ in length or options name unknown
     *     labels
     */
    public List<Classification> infer(List<PreparedImage> images, List<TopKOptions> options)
            throws InferenceException {
        List<Classification> results = new ArrayList<>(images.size());
        for (Outcome outcome : inferEach(images, options)) {
            results.add(outcome.get());
        }
        return results;
    }

    /**
     * The outcome of one image of a batch: its classification, or why the model failed on that
     * image alone (scores that are not numbers). One bad image does not fail its neighbours.
     *
     * @param classification the answer, or null when {@code failure} is set
     * @param failure what went wrong with this image, or null
     */
    public record Outcome(Classification classification, InferenceException failure) {
        /**
         * Checks that exactly one of the two is set.
         *
         * @throws IllegalArgumentException otherwise
         */
        public Outcome {
            if ((classification == null) == (failure == null)) {
                throw new IllegalArgumentException("an outcome is a classification or a "
                        + "failure");
            }
        }

        /**
         * Returns the classification.
         *
         * @return the answer
         * @throws InferenceException if the model failed on this image
         */
        public Classification get() throws InferenceException {
            if (failure != null) {
                throw failure;
            }
            return classification;
        }
    }

    /**
     * Runs the forward pass for prepared images with options per image, like
     * {@link #infer(List, List)}, but answers each image on its own: an image whose scores are
     * not numbers gets a failed {@link Outcome} and the others their classifications.
     *
     * @param images images prepared by this classifier
     * @param options one set of options per image
     * @return one outcome per image, in order
     * @throws InferenceException if a forward pass fails as a whole
     * @throws IllegalArgumentException if the lists differ in length or options name unknown
     *     labels
     */
    public List<Outcome> inferEach(List<PreparedImage> images, List<TopKOptions> options)
            throws InferenceException {
        if (options.size() != images.size()) {
            throw new IllegalArgumentException("Invalid options: " + options.size() + " for "
                    + images.size() + " images");
        }
        options.forEach(topK::validate);
        List<Outcome> results = new ArrayList<>(images.size());
        int from = 0;
        for (List<PreparedImage> chunk : chunks(images)) {
            long start = System.nanoTime();
            float[][] scores = forward(chunk);
            long inference = System.nanoTime() - start;
            for (int i = 0; i < chunk.size(); i++) {
                PreparedImage image = chunk.get(i);
                try {
                    TopK ranked = topK.decode(scores[i], options.get(from + i));
                    results.add(new Outcome(new Classification(ranked, new Timings(
                            image.decodeNanos(), image.preprocessNanos(), inference,
                            chunk.size())), null));
                } catch (IllegalArgumentException e) {
                    results.add(new Outcome(null, new InferenceException("Model '"
                            + manifest().name() + "' gave unusable scores for this image ("
                            + e.getMessage() + "); the model may overflow on such inputs",
                            e)));
                }
            }
            from += chunk.size();
        }
        return results;
    }

    private List<List<PreparedImage>> chunks(List<PreparedImage> images) {
        List<List<PreparedImage>> chunks = new ArrayList<>();
        for (int from = 0; from < images.size(); from += config.maxBatchSize()) {
            chunks.add(images.subList(from, Math.min(images.size(),
                    from + config.maxBatchSize())));
        }
        return chunks;
    }

    /** One forward pass over images prepared by this classifier. */
    private float[][] forward(List<PreparedImage> chunk) throws InferenceException {
        int size = preprocessor.spec().tensorSize();
        if (chunk.size() == 1 && chunk.get(0).tensor().length == size) {
            return model.forward(chunk.get(0).tensor(), 1, shape); // no batch copy for one
        }
        float[] batch = new float[chunk.size() * size];
        for (int i = 0; i < chunk.size(); i++) {
            float[] tensor = chunk.get(i).tensor();
            if (tensor.length != size) {
                throw new IllegalArgumentException("Invalid image: prepared by a classifier "
                        + "with another input spec");
            }
            System.arraycopy(tensor, 0, batch, i * size, size);
        }
        return model.forward(batch, chunk.size(), shape);
    }

    /**
     * Returns the raw model scores (logits or probabilities, as the manifest says) for prepared
     * images, in one forward pass per batch: for tests and tools that compare with PyTorch.
     *
     * @param images images prepared by this classifier
     * @return one row of scores per image
     * @throws InferenceException if the model fails
     */
    public float[][] scores(List<PreparedImage> images) throws InferenceException {
        List<float[]> rows = new ArrayList<>();
        for (List<PreparedImage> chunk : chunks(images)) {
            rows.addAll(List.of(forward(chunk)));
        }
        return rows.toArray(new float[0][]);
    }

    /** Releases the model and deletes a zip bundle's unpacked copy. */
    @Override
    public void close() {
        close(model, bundle);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Classifier[" + bundle.manifest().name() + " " + bundle.manifest().version() + "]";
    }
}
