package dev.kodiak.server;

import dev.kodiak.core.Classification;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.PreparedImage;
import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.infer.InferenceException;
import dev.kodiak.core.topk.TopKOptions;
import io.helidon.http.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything one served model does for a classification, in one place: decode admission (the
 * server's shared {@link DecodeStage}: memory budget, platform threads), the model's own
 * forward-pass queue and micro-batching ({@link Batcher}), the deadline, and the answer with
 * its metrics. A protocol's service (Kodiak's JSON API, the Open Inference Protocol) only parses
 * requests, calls {@link #classify}, and maps {@link ApiException}s to its own error shape.
 *
 * <pre>{@code
 * ModelPipeline pipeline = new ModelPipeline(new ModelId("pets", 3), classifier, decodes,
 *         batching, metrics);
 * ModelPipeline.Answer answer = pipeline.classify(bytes, options, false,
 *         System.nanoTime() + timeout.toNanos());
 * ...
 * pipeline.drain(Duration.ofSeconds(10));   // queued requests finish
 * pipeline.close();                         // then the model is released
 * }</pre>
 *
 * <p>Thread-safe. Closing releases the classifier; call it only after {@link #drain} says no
 * forward pass runs.
 */
final class ModelPipeline implements AutoCloseable {
    private final ModelId id;
    private final Classifier classifier;
    private final DecodeStage decodes;
    private final Batcher batcher;
    private final ServerMetrics metrics;
    /** Requests for this model being decoded now: while none is, a batch stops waiting. */
    private final AtomicInteger incoming = new AtomicInteger();

    /**
     * Starts the model's forward-pass workers.
     *
     * @param id the model and version, in metrics, answers and messages
     * @param classifier the opened model; the pipeline owns it from now on
     * @param decodes the server's decode stage, shared by every model
     * @param batching how forward passes are batched
     * @param metrics where batches and answers are counted
     */
    ModelPipeline(ModelId id, Classifier classifier, DecodeStage decodes,
            ServerSettings.Batching batching, ServerMetrics metrics) {
        this.id = id;
        this.classifier = classifier;
        this.decodes = decodes;
        this.metrics = metrics;
        this.batcher = new Batcher(id, classifier, batching.workers(),
                batching.maxBatchSize(), batching.maxWait(), batching.queueCapacity(), metrics,
                incoming::get);
    }

    /**
     * One answer, with what the protocols report beside it.
     *
     * @param model the version that answered
     * @param classification the ranked labels
     * @param width the decoded image's width (upright)
     * @param height the decoded image's height (upright)
     * @param queueWaitNanos how long it waited for a forward pass
     */
    record Answer(ModelId model, Classification classification, int width, int height,
            long queueWaitNanos) {
    }

    /**
     * Classifies one encoded image: decode (admitted by its estimated memory), queue, batch,
     * rank, count.
     *
     * @param image the encoded bytes
     * @param options k, threshold and allow-list, already {@link #validate validated}
     * @param modelSized true when the image already has the model's input size
     *     ({@code prepared=model}): only the tensor step runs
     * @param deadlineNanos the request's {@link System#nanoTime()} deadline
     * @return the answer
     * @throws ApiException 4xx for an image that cannot be used, 422 {@code MODEL_FAILED} when
     *     the model gives no usable scores for it, 503 when the server is too busy to answer
     *     before the deadline
     */
    Answer classify(byte[] image, TopKOptions options, boolean modelSized, long deadlineNanos) {
        long start = System.nanoTime();
        PreparedImage prepared;
        incoming.incrementAndGet();
        try {
            prepared = decodes.prepare(classifier.stages(), image, deadlineNanos, modelSized);
        } finally {
            incoming.decrementAndGet();
        }
        return answer(prepared, options, deadlineNanos, start);
    }

    /**
     * Classifies a tensor that already is the model's input (a client that preprocessed the
     * image itself): no decode, straight to the queue.
     *
     * @param tensor {@code C x H x W} floats in the input spec's layout
     * @param options k, threshold and allow-list, already validated
     * @param deadlineNanos the request's deadline
     * @return the answer (its image size is the input spec's)
     * @throws ApiException 400 if the tensor has another size than the model's input, else as
     *     {@link #classify}
     */
    Answer classifyTensor(float[] tensor, TopKOptions options, long deadlineNanos) {
        long start = System.nanoTime();
        PreparedImage prepared;
        try {
            prepared = classifier.stages().prepareTensor(tensor);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("WRONG_INPUT_SIZE", e.getMessage());
        }
        return answer(prepared, options, deadlineNanos, start);
    }

    private Answer answer(PreparedImage prepared, TopKOptions options, long deadlineNanos,
            long start) {
        CompletableFuture<Batcher.Result> queued;
        try {
            queued = batcher.submit(prepared, options, deadlineNanos);
        } catch (Batcher.OverloadedException e) {
            throw ApiException.overloaded("The server is busy (" + e.getMessage()
                    + "); retry in a second");
        }
        Batcher.Result result;
        try {
            result = await(queued, deadlineNanos);
        } catch (InferenceException e) {
            // the model failed on this image alone (scores that are not numbers)
            throw new ApiException(Status.UNPROCESSABLE_CONTENT_422, "MODEL_FAILED",
                    e.getMessage());
        }
        metrics.prediction(id, result.classification());
        metrics.answered(id, System.nanoTime() - start);
        return new Answer(id, result.classification(), prepared.width(), prepared.height(),
                result.queueWaitNanos());
    }

    /**
     * Checks a request's top-k options against this model's labels.
     *
     * @param options the options a request asks for
     * @return the same options
     * @throws ApiException 400 {@code UNKNOWN_LABEL} naming the labels this model lacks
     */
    TopKOptions validate(TopKOptions options) {
        try {
            classifier.stages().validate(options);
            return options;
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("UNKNOWN_LABEL", e.getMessage()
                    + " (from the 'labels' parameter)");
        }
    }

    private static Batcher.Result await(CompletableFuture<Batcher.Result> future,
            long deadline) throws InferenceException {
        try {
            return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            throw ApiException.deadlineExceeded();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.overloaded("The server is stopping; retry in a second");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Batcher.DeadlineException) {
                throw ApiException.deadlineExceeded();
            }
            if (e.getCause() instanceof InferenceException ie) {
                throw ie; // this image alone
            }
            // the engine failed on the whole batch: ours to fix, logged, never blamed on input
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        }
    }

    /**
     * Returns the model and version this pipeline serves.
     *
     * @return the id
     */
    ModelId id() {
        return id;
    }

    /**
     * Returns the opened model.
     *
     * @return the classifier
     */
    Classifier classifier() {
        return classifier;
    }

    /**
     * Returns the model's manifest.
     *
     * @return labels, input spec, provenance
     */
    Manifest manifest() {
        return classifier.manifest();
    }

    /**
     * Returns how many requests wait for a forward pass.
     *
     * @return the queue depth
     */
    int queueDepth() {
        return batcher.queueDepth();
    }

    /**
     * Stops taking requests and lets the queued ones finish.
     *
     * @param timeout how long to wait for them
     * @return true when no forward pass runs any more (the model may be closed)
     */
    boolean drain(Duration timeout) {
        return batcher.drain(timeout);
    }

    /** Interrupts the forward-pass workers: for tests of an interrupted worker. */
    void interruptWorkers() {
        batcher.interruptWorkers();
    }

    /** Releases the model; call after {@link #drain} returned true. */
    @Override
    public void close() {
        classifier.close();
    }
}
