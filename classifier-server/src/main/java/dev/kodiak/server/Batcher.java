package dev.kodiak.server;

import dev.kodiak.core.Classification;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.PreparedImage;
import dev.kodiak.core.Stages;
import dev.kodiak.core.infer.InferenceException;
import dev.kodiak.core.topk.TopKOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Runs every forward pass of one model, on its own platform threads: a bounded queue and
 * {@code workers} threads, each taking up to {@code maxBatchSize} requests, waiting at most
 * {@code maxWait} after the first one arrives, and only while more requests are being decoded
 * (a lone request does not wait for company that is not coming). Each request's future completes
 * with its own answer, by position in the batch; an image the model fails on fails alone.
 *
 * <p>Forward passes never run on request (virtual) threads, where a native call would hold one
 * of the few carrier threads; and since only the workers touch the model, the model is released
 * only after they have stopped ({@link #drain}).
 *
 * <p>Back-pressure is explicit: {@link #submit} fails at once with {@link OverloadedException}
 * when the queue is full, and requests whose deadline passes while queued are dropped before the
 * forward pass. Thread-safe.
 */
final class Batcher {
    private static final System.Logger LOG = System.getLogger(Batcher.class.getName());
    /** How often a waiting batch re-checks whether requests are still on their way. */
    private static final long POLL_SLICE_NANOS = 250_000;

    /** Told about every batch, for metrics. */
    interface Listener {
        /** A batch of {@code size} requests ran; {@code queueWaits} is per request, in ns. */
        void batch(ModelId model, int size, long[] queueWaitNanos);
    }

    /** The queue is full: the caller should answer 503 with Retry-After. */
    static final class OverloadedException extends Exception {
        private static final long serialVersionUID = 1L;

        OverloadedException(String message) {
            super(message);
        }
    }

    /** The request waited past its deadline before a forward pass could take it. */
    static final class DeadlineException extends Exception {
        private static final long serialVersionUID = 1L;

        DeadlineException(String message) {
            super(message);
        }
    }

    /**
     * The forward pass failed as a whole (the engine, not one image): every request of the batch
     * gets it. A server error, not the client's; the cause says what the engine reported.
     */
    static final class BatchFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        BatchFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** What the caller gets back: the classification and how long it waited in the queue. */
    record Result(Classification classification, long queueWaitNanos) {
    }

    private record Item(PreparedImage image, TopKOptions options, long enqueuedNanos,
            long deadlineNanos, CompletableFuture<Result> future) {
    }

    private final ModelId model;
    private final Classifier classifier;
    private final int maxBatchSize;
    private final long maxWaitNanos;
    private final BlockingQueue<Item> queue;
    private final Listener listener;
    private final IntSupplier incoming;
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean accepting = true;

    /**
     * Starts the workers.
     *
     * @param workers forward passes that may run at once, at least 1
     * @param incoming how many requests for this model are being decoded right now; while none
     *     is, nobody can join a batch, so a worker does not wait out {@code maxWait}
     */
    Batcher(ModelId model, Classifier classifier, int workers, int maxBatchSize, Duration maxWait,
            int queueCapacity, Listener listener, IntSupplier incoming) {
        if (workers < 1 || maxBatchSize < 1 || queueCapacity < 1 || maxWait.isNegative()) {
            throw new IllegalArgumentException("Invalid batching: workers " + workers
                    + ", max batch " + maxBatchSize + ", max wait " + maxWait + ", queue "
                    + queueCapacity);
        }
        this.model = model;
        this.classifier = classifier;
        this.maxBatchSize = maxBatchSize;
        this.maxWaitNanos = maxWait.toNanos();
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.listener = listener;
        this.incoming = incoming;
        for (int i = 1; i <= workers; i++) {
            this.workers.add(Thread.ofPlatform().name("kodiak-forward-" + model.name() + "-" + model.version() + "-" + i)
                    .daemon(true).start(this::run));
        }
    }

    /**
     * Queues a prepared image.
     *
     * @param image the tensor
     * @param options this request's top-k options
     * @param deadlineNanos {@link System#nanoTime()} after which the answer is no longer wanted
     * @return completes with the answer, or with {@link DeadlineException} or
     *     {@link InferenceException}
     * @throws OverloadedException if the queue is full or the batcher is shutting down
     */
    CompletableFuture<Result> submit(PreparedImage image, TopKOptions options,
            long deadlineNanos) throws OverloadedException {
        CompletableFuture<Result> future = new CompletableFuture<>();
        if (!accepting) {
            throw new OverloadedException(model + " is shutting down");
        }
        Item item = new Item(image, options, System.nanoTime(), deadlineNanos, future);
        if (!queue.offer(item)) {
            throw new OverloadedException(model + " has " + queue.size()
                    + " requests queued, its limit");
        }
        // drain() may have started meanwhile, and the worker may have left: take it back
        if (!accepting && queue.remove(item)) {
            throw new OverloadedException(model + " is shutting down");
        }
        return future;
    }

    /**
     * Returns how many requests wait for a forward pass.
     *
     * @return the queue depth
     */
    int queueDepth() {
        return queue.size();
    }

    private void run() {
        List<Item> batch = new ArrayList<>(maxBatchSize);
        try {
            while (accepting || !queue.isEmpty()) {
                try {
                    collect(batch);
                    if (!batch.isEmpty()) {
                        runBatch(batch);
                    }
                } catch (RuntimeException | Error e) {
                    // the worker stays: one bad batch must not leave the queue without a worker
                    LOG.log(System.Logger.Level.ERROR, "batch for " + model + " failed", e);
                    BatchFailedException failed = new BatchFailedException("the batch for "
                            + model + " failed", e);
                    batch.forEach(item -> item.future().completeExceptionally(failed));
                }
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // interrupted while collecting, or stopped: nobody is left waiting in vain
            batch.forEach(item -> item.future().completeExceptionally(
                    new DeadlineException("server stopped")));
            if (!accepting || Thread.currentThread().isInterrupted()) {
                for (Item left; (left = queue.poll()) != null; ) {
                    left.future().completeExceptionally(new DeadlineException("server stopped"));
                }
            }
        }
    }

    /**
     * Takes the next batch into {@code batch}: the first request (waiting up to 100 ms), then
     * more while the batch has room, its wait is not over and requests are still on their way.
     */
    private void collect(List<Item> batch) throws InterruptedException {
        Item first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
            return;
        }
        batch.add(first);
        long until = first.enqueuedNanos() + maxWaitNanos;
        while (batch.size() < maxBatchSize) {
            Item next = queue.poll();
            if (next == null) {
                long remaining = until - System.nanoTime();
                if (remaining <= 0 || incoming.getAsInt() == 0) {
                    break; // the wait is over, or nobody is on the way
                }
                next = queue.poll(Math.min(remaining, POLL_SLICE_NANOS), TimeUnit.NANOSECONDS);
                if (next == null) {
                    continue;
                }
            }
            batch.add(next);
        }
    }

    private void runBatch(List<Item> batch) {
        long now = System.nanoTime();
        List<Item> live = new ArrayList<>(batch.size());
        for (Item item : batch) {
            if (item.future().isDone()) {
                continue; // the caller gave up
            }
            if (now - item.deadlineNanos() > 0) {
                item.future().completeExceptionally(new DeadlineException("waited "
                        + Duration.ofNanos(now - item.enqueuedNanos()).toMillis()
                        + " ms in the queue of " + model + ", past the request deadline"));
                continue;
            }
            live.add(item);
        }
        if (live.isEmpty()) {
            return;
        }
        long[] waits = new long[live.size()];
        List<PreparedImage> images = new ArrayList<>(live.size());
        List<TopKOptions> options = new ArrayList<>(live.size());
        for (int i = 0; i < live.size(); i++) {
            waits[i] = now - live.get(i).enqueuedNanos();
            images.add(live.get(i).image());
            options.add(live.get(i).options());
        }
        try {
            List<Stages.Outcome> results = classifier.stages().inferEach(images, options);
            listener.batch(model, live.size(), waits);
            for (int i = 0; i < live.size(); i++) {
                Stages.Outcome outcome = results.get(i);
                if (outcome.failure() != null) {
                    live.get(i).future().completeExceptionally(outcome.failure());
                } else {
                    live.get(i).future().complete(new Result(outcome.classification(),
                            waits[i]));
                }
            }
        } catch (InferenceException e) {
            BatchFailedException failed = new BatchFailedException("the forward pass of "
                    + live.size() + " image(s) for " + model + " failed", e);
            live.forEach(item -> item.future().completeExceptionally(failed));
        }
    }

    /**
     * Stops accepting, lets the workers finish what is queued, and waits for them.
     *
     * @param timeout how long to wait for the queue to drain
     * @return true if every worker has finished (no forward pass runs any more)
     */
    boolean drain(Duration timeout) {
        accepting = false;
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (Thread worker : workers) {
                if (!worker.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Interrupts the workers: for tests of an interrupted worker. */
    void interruptWorkers() {
        workers.forEach(Thread::interrupt);
    }
}
