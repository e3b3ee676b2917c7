package dev.kodiak.server;

import dev.kodiak.core.InputSizeException;
import dev.kodiak.core.PreparedImage;
import dev.kodiak.core.Stages;
import dev.kodiak.core.decode.DecodeException;
import dev.kodiak.core.decode.DecodeMemory;
import dev.kodiak.core.decode.ImageInfo;
import io.helidon.http.Status;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decodes and preprocesses uploads so that an expensive one cannot starve cheap ones.
 *
 * <p>Admission follows what a decode costs: each image reserves its estimated peak heap
 * ({@link DecodeMemory}, from the header) in a {@link MemoryBudget} before it is decoded, and
 * waits at most {@code admissionWait} for room; an image that cannot start by then gets a quick
 * 503 with Retry-After, and one that could never fit the budget a 422. The work runs on platform
 * threads, not on the request's virtual thread: a long CPU-bound decode (or a native one) would
 * otherwise hold one of the few carrier threads every request shares, while the operating
 * system time-slices platform threads, so a small JPEG is decoded at once next to a 49-megapixel
 * PNG. Thread-safe.
 */
final class DecodeStage implements AutoCloseable {
    private final MemoryBudget budget;
    private final long admissionWaitNanos;
    private final long maxPixels;
    private final ExecutorService pool;

    /**
     * Starts the decode threads.
     *
     * @param threads platform threads decoding at once (more than the cores lets small images
     *     in while large ones decode)
     * @param budget the heap all decodes share
     * @param admissionWait the longest an image waits for room in the budget
     * @param maxPixels the pixel limit (images above it are refused by the decoder, not here)
     */
    DecodeStage(int threads, MemoryBudget budget, Duration admissionWait, long maxPixels) {
        this.budget = budget;
        this.admissionWaitNanos = admissionWait.toNanos();
        this.maxPixels = maxPixels;
        AtomicInteger count = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, r -> Thread.ofPlatform()
                .name("kodiak-decode-" + count.incrementAndGet()).daemon(true).unstarted(r));
    }

    /**
     * Decodes and preprocesses one image for a model.
     *
     * @param stages the model's stages (its decoder and input spec)
     * @param image the encoded bytes
     * @param deadlineNanos the request's {@link System#nanoTime()} deadline
     * @param modelSized true when the image already has the model's input size
     *     ({@code prepared=model}): it is decoded, its size checked, and only the tensor step runs
     * @return the prepared tensor
     * @throws ApiException 4xx for an image that cannot be used, 503 when the server is too
     *     busy to decode it in time
     */
    PreparedImage prepare(Stages stages, byte[] image, long deadlineNanos,
            boolean modelSized) {
        long cost = cost(stages, image);
        if (cost > budget.capacity()) {
            throw new ApiException(Status.UNPROCESSABLE_CONTENT_422, "IMAGE_TOO_LARGE",
                    "Decoding this image needs about " + mib(cost) + " MiB, more than this "
                    + "server sets aside for decoding (" + mib(budget.capacity()) + " MiB, "
                    + "kodiak.limits.decode-memory); scale it down before sending (the model "
                    + "needs only a few hundred pixels a side)");
        }
        boolean admitted;
        try {
            admitted = budget.tryReserve(cost, MemoryBudget.waitFor(deadlineNanos,
                    admissionWaitNanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.overloaded("The server is stopping; retry in a second");
        }
        if (!admitted) {
            throw new ApiException(Status.SERVICE_UNAVAILABLE_503, "OVERLOADED", "The server is "
                    + "busy decoding other large images (this one needs about " + mib(cost)
                    + " MiB); retry in a few seconds, or send a smaller image", "2");
        }
        // The reservation goes back when the decode really ends: a decode (CPU-bound Java or
        // a native call) does not stop when its request gives up, and keeps its memory until it
        // is done. Whoever claims it first releases it: the task when it runs, or the caller
        // when the task never started.
        AtomicBoolean claimed = new AtomicBoolean();
        Future<PreparedImage> task;
        try {
            task = pool.submit(() -> {
                if (!claimed.compareAndSet(false, true)) {
                    return null; // the request gave up before this started
                }
                try {
                    return decode(stages, image, deadlineNanos, modelSized);
                } finally {
                    budget.release(cost);
                }
            });
        } catch (RejectedExecutionException e) {
            budget.release(cost);
            throw ApiException.overloaded("The server is stopping; retry in a second");
        }
        try {
            return await(task, deadlineNanos);
        } finally {
            if (claimed.compareAndSet(false, true)) {
                budget.release(cost);
            }
        }
    }

    /**
     * The estimated peak heap; 0 for an image the decoder refuses from its header before it
     * allocates (more pixels than the limit), so that the decoder names the problem. When
     * {@code readHeader} fails, the decoder of every format but JPEG fails the same way before
     * allocating (0 again); a JPEG may still decode through libjpeg-turbo, which forgives more,
     * so it is charged by its frame header.
     */
    private long cost(Stages stages, byte[] image) {
        try {
            ImageInfo info = stages.decoder().readHeader(image);
            return info.pixels() > maxPixels ? 0 : DecodeMemory.estimate(info, image);
        } catch (DecodeException e) {
            long jpeg = DecodeMemory.estimateJpegFrame(image);
            return jpeg > (maxPixels * 10 + DecodeMemory.OVERHEAD) ? 0 : jpeg;
        }
    }

    private static PreparedImage decode(Stages stages, byte[] image, long deadline,
            boolean modelSized) throws DecodeException, InputSizeException {
        if (System.nanoTime() - deadline > 0) {
            throw new DeadlineError();
        }
        return modelSized ? stages.prepareResized(image) : stages.prepare(image);
    }

    private static PreparedImage await(Future<PreparedImage> task, long deadlineNanos) {
        try {
            return task.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            task.cancel(false);
            throw ApiException.deadlineExceeded();
        } catch (InterruptedException e) {
            task.cancel(false);
            Thread.currentThread().interrupt();
            throw ApiException.overloaded("The server is stopping; retry in a second");
        } catch (CancellationException e) {
            throw ApiException.overloaded("The server is stopping; retry in a second");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof DecodeException de) {
                throw ApiException.decodeError(de);
            }
            if (e.getCause() instanceof InputSizeException size) {
                throw new ApiException(Status.UNPROCESSABLE_CONTENT_422, "WRONG_INPUT_SIZE",
                        size.getMessage());
            }
            if (e.getCause() instanceof DeadlineError) {
                throw ApiException.deadlineExceeded();
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The request's deadline passed while it waited for a decode thread. */
    private static final class DeadlineError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DeadlineError() {
            super(null, null, false, false);
        }
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    /** Stops the decode threads; queued decodes are cancelled, and their requests answered 503. */
    @Override
    public void close() {
        for (Runnable queued : pool.shutdownNow()) {
            if (queued instanceof Future<?> f) {
                f.cancel(false);
            }
        }
    }
}
