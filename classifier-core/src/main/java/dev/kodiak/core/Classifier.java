package dev.kodiak.core;

import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.bundle.Int8Model;
import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.bundle.ModelCheck;
import dev.kodiak.core.bundle.ModelFormat;
import dev.kodiak.core.bundle.ModelOutput;
import dev.kodiak.core.bundle.Precision;
import dev.kodiak.core.bundle.Probe;
import dev.kodiak.core.decode.DecodeException;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.infer.InferenceEngine;
import dev.kodiak.core.infer.InferenceException;
import dev.kodiak.core.infer.InferenceModel;
import dev.kodiak.core.infer.Int8Support;
import dev.kodiak.core.infer.OnnxModel;
import dev.kodiak.core.infer.TorchModel;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Preprocessor;
import dev.kodiak.core.topk.TopKOptions;
import dev.kodiak.core.topk.TopKRanker;
import java.nio.file.Path;
import java.util.ArrayList;
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
    private final Stages stages;
    private final int[] shape;
    private final Precision precision;

    private Classifier(Bundle bundle, InferenceModel model, ClassifierConfig config,
            Precision precision) {
        this.bundle = bundle;
        this.model = model;
        this.config = config;
        this.precision = precision;
        Manifest manifest = bundle.manifest();
        InputSpec spec = manifest.input();
        this.stages = new Stages(manifest.name(), model, config.maxBatchSize(),
                new ImageDecoder(config.maxPixels()), new Preprocessor(spec),
                new TopKRanker(manifest.labels(), manifest.output() == ModelOutput.LOGITS));
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
            Precision precision = precision(config, bundle, Int8Support.detect());
            engine = precision == Precision.INT8 ? InferenceEngine.ONNXRUNTIME
                    : engine(config.engine(), bundle);
            if (precision == Precision.INT8) {
                file = bundle.directory().resolve(bundle.manifest().int8().orElseThrow().file());
                model = OnnxModel.load(file, config.threads());
            } else if (engine == InferenceEngine.ONNXRUNTIME) {
                file = bundle.modelFile(ModelFormat.ONNX).orElseThrow();
                model = OnnxModel.load(file, config.threads());
            } else {
                file = bundle.modelFile(ModelFormat.TORCHSCRIPT).orElseThrow();
                model = TorchModel.load(file, config.threads());
            }
            Classifier classifier = new Classifier(bundle, model, config, precision);
            classifier.stages.validate(config.defaults());
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

    /**
     * The precision to open: {@code INT8} when asked for (the bundle must have it, and the
     * engine must be ONNX Runtime), {@code FP32} when asked for, and for {@code AUTO} int8 only
     * when the bundle has it, its stored agreement is at or above its threshold, the engine may
     * be ONNX Runtime and the CPU runs int8 fast. Logs the choice and its reason.
     *
     * @param config the configuration
     * @param bundle the opened bundle
     * @param cpu what the CPU offers
     * @return {@code FP32} or {@code INT8}
     * @throws BundleException {@code RUNTIME_NOT_SERVED} for int8 on a bundle without it, or
     *     with engine pytorch
     */
    static Precision precision(ClassifierConfig config, Bundle bundle, Int8Support cpu)
            throws BundleException {
        Manifest manifest = bundle.manifest();
        Int8Model int8 = manifest.int8().orElse(null);
        Path manifestFile = bundle.directory().resolve(Manifest.FILE_NAME);
        Precision wanted = config.precision();
        String why;
        Precision chosen;
        if (wanted == Precision.INT8) {
            if (int8 == null) {
                throw new BundleException(BundleException.Problem.RUNTIME_NOT_SERVED,
                        manifestFile, "Bundle '" + manifest.name() + "' has no int8 model; "
                        + "choose precision fp32 or auto, or add model.int8.onnx with "
                        + "tools/export_bundle.py --upgrade BUNDLE --quantize int8 "
                        + "--calibration FOLDER");
            }
            if (config.engine() == InferenceEngine.PYTORCH) {
                throw new BundleException(BundleException.Problem.RUNTIME_NOT_SERVED,
                        manifestFile, "The int8 model of bundle '" + manifest.name() + "' is "
                        + "ONNX and runs on ONNX Runtime only, not on engine pytorch; choose "
                        + "engine auto or onnxruntime, or precision fp32");
            }
            chosen = Precision.INT8;
            why = "asked for";
        } else if (wanted == Precision.FP32) {
            chosen = Precision.FP32;
            why = "asked for";
        } else if (int8 == null) {
            chosen = Precision.FP32;
            why = "the bundle has no int8 model";
        } else if (config.engine() == InferenceEngine.PYTORCH
                || !manifest.serves(Manifest.RUNTIME_ONNXRUNTIME)) {
            chosen = Precision.FP32;
            why = "the int8 model runs on ONNX Runtime only and the engine is pytorch";
        } else if (int8.agreement().isEmpty()) {
            chosen = Precision.FP32;
            why = "the int8 model's agreement with fp32 was never measured";
        } else if (int8.agreement().get().value() < int8.threshold()) {
            Int8Model.Agreement a = int8.agreement().get();
            chosen = Precision.FP32;
            why = "the int8 model agrees with fp32 on " + a.agree() + " of " + a.total()
                    + " images, below its threshold " + int8.threshold();
        } else if (!cpu.fast()) {
            chosen = Precision.FP32;
            why = cpu.reason();
        } else {
            Int8Model.Agreement a = int8.agreement().get();
            chosen = Precision.INT8;
            why = "it agrees with fp32 on " + a.agree() + " of " + a.total() + " images and "
                    + cpu.reason();
        }
        // a choice the caller left to Kodiak (auto) is said at INFO, with its reason; what the
        // caller asked for is theirs to know, and a library stays quiet about it
        LOG.log(wanted == Precision.AUTO ? System.Logger.Level.INFO : System.Logger.Level.DEBUG,
                "{0}: precision {1} ({2}: {3})", manifest.name(), chosen, wanted, why);
        return chosen;
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
     * The dry forward passes: input spec accepted, then the {@link ModelCheck} (one score per
     * label, the probe's scores within tolerance of PyTorch's), and warm-up.
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
        ModelCheck check = new ModelCheck(manifest, stages.preprocessor(), precision);
        String runtime = model.engine().toString();
        try {
            if (manifest.probe().isPresent()) { // else the check's input is the blank tensor
                scores = model.forward(check.input(), check.batchSize(), shape);
            }
        } catch (InferenceException e) {
            throw new BundleException(BundleException.Problem.MODEL_REJECTED, file, "The model "
                    + file.getFileName() + " fails on a batch of " + check.batchSize()
                    + " images (the probe); export it with a dynamic batch axis "
                    + "(tools/export_bundle.py does). Engine said: " + e.getMessage(), e);
        }
        ModelCheck.Verdict verdict = check.judge(runtime, file.getFileName().toString(), scores);
        if (verdict.failure() == ModelCheck.Failure.LABEL_COUNT) {
            throw new BundleException(BundleException.Problem.LABEL_COUNT_MISMATCH,
                    manifestFile, verdict.message());
        }
        if (verdict.failure() == ModelCheck.Failure.PROBE) {
            throw new BundleException(BundleException.Problem.PROBE_MISMATCH,
                    verdict.difference() == null ? manifestFile : file, verdict.message());
        }
        LOG.log(System.Logger.Level.DEBUG, verdict.message());
        ModelCheck.warning(manifest, precision).ifPresent(w -> LOG.log(System.Logger.Level.WARNING,
                w));
        for (int i = 1; i < config.warmupRuns(); i++) {
            try {
                model.forward(new float[spec.tensorSize()], 1, shape);
            } catch (InferenceException e) {
                throw new BundleException(BundleException.Problem.MODEL_REJECTED, file,
                        e.getMessage(), e);
            }
        }
        LOG.log(System.Logger.Level.DEBUG, "opened {0} {1} with {2}, {3} ({4} labels, input {5})",
                manifest.name(), manifest.version(), model.engine(), precision,
                manifest.labels().size(), spec);
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
     * Returns which of the bundle's models answers.
     *
     * @return {@link Precision#FP32} or {@link Precision#INT8} (never {@code AUTO}: decided at
     *     open)
     */
    public Precision precision() {
        return precision;
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
     * Returns the stages of a classification, one at a time, for callers that batch images
     * from several sources or measure each stage.
     *
     * @return the stages, valid until this classifier is closed
     */
    public Stages stages() {
        return stages;
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
        return stages.infer(List.of(stages.prepare(image)), options).get(0);
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
                prepared.add(stages.prepare(images.get(i)));
            } catch (DecodeException e) {
                throw new DecodeException(e.reason(), "Image " + (i + 1) + " of "
                        + images.size() + ": " + e.getMessage(), e);
            }
        }
        return stages.infer(prepared, config.defaults());
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
        return stages.infer(List.of(stages.prepare(pixels)), options).get(0);
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
