package dev.kodiak.core;

import dev.kodiak.core.decode.DecodeException;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.infer.InferenceException;
import dev.kodiak.core.infer.InferenceModel;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Preprocessor;
import dev.kodiak.core.topk.TopK;
import dev.kodiak.core.topk.TopKOptions;
import dev.kodiak.core.topk.TopKRanker;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A classifier's stages, one at a time: decode and preprocess ({@link #prepare(byte[])}), then
 * run the forward pass and rank the labels for a batch ({@link #inferEach}). For callers that
 * gather images from many sources into one batch, or measure each stage: a server's
 * micro-batcher, a Spark partition, a benchmark. Everyone else calls
 * {@link Classifier#classify(byte[])}, which is these stages in a row.
 *
 * <pre>{@code
 * Stages stages = classifier.stages();
 * List<PreparedImage> batch = new ArrayList<>();
 * for (byte[] image : images) {
 *     batch.add(stages.prepare(image));          // on any thread
 * }
 * List<Stages.Outcome> answers = stages.inferEach(batch, options);  // one forward pass
 * }</pre>
 *
 * <p>Thread-safe, as its classifier is; valid until the classifier is closed.
 */
public final class Stages {
    private final String modelName;
    private final InferenceModel model;
    private final int maxBatchSize;
    private final ImageDecoder decoder;
    private final Preprocessor preprocessor;
    private final TopKRanker topK;
    private final int[] shape;

    Stages(String modelName, InferenceModel model, int maxBatchSize, ImageDecoder decoder,
            Preprocessor preprocessor, TopKRanker topK) {
        this.modelName = modelName;
        this.model = model;
        this.maxBatchSize = maxBatchSize;
        this.decoder = decoder;
        this.preprocessor = preprocessor;
        this.topK = topK;
        InputSpec spec = preprocessor.spec();
        this.shape = new int[] {spec.color().channels(), spec.height(), spec.width()};
    }

    /**
     * Returns the decoder images are decoded with (its pixel limit is the config's).
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
     * Decodes and preprocesses one image: the first half of {@link Classifier#classify(byte[])}, for
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
            throw new InputSizeException(modelName, spec.width(), spec.height(),
                    pixels.width(), pixels.height());
        }
        float[] tensor = new float[spec.tensorSize()];
        preprocessor.toTensor(pixels, tensor, 0);
        return new PreparedImage(tensor, pixels.width(), pixels.height(), decoded - start,
                System.nanoTime() - decoded);
    }

    /**
     * Takes a tensor that already is the model's input, for a caller that preprocessed the
     * image itself (a client of the Open Inference Protocol sending an FP32 tensor).
     *
     * @param tensor {@code C x H x W} floats in the input spec's layout; the stage keeps it
     * @return the prepared image, the input spec's size
     * @throws IllegalArgumentException if it holds another number of values than the spec
     */
    public PreparedImage prepareTensor(float[] tensor) {
        InputSpec spec = preprocessor.spec();
        if (tensor.length != spec.tensorSize()) {
            throw new IllegalArgumentException("Invalid tensor: " + tensor.length + " values but "
                    + "model '" + modelName + "' takes " + spec.color().channels() + "x"
                    + spec.height() + "x" + spec.width() + " = " + spec.tensorSize());
        }
        return new PreparedImage(tensor, spec.width(), spec.height(), 0, 0);
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
     * the labels of each: the second half of {@link Classifier#classify(byte[])}.
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
                            + modelName + "' gave unusable scores for this image ("
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
        for (int from = 0; from < images.size(); from += maxBatchSize) {
            chunks.add(images.subList(from, Math.min(images.size(),
                    from + maxBatchSize)));
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
}
