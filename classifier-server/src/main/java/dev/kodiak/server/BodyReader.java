package dev.kodiak.server;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.HttpMediaType;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads an API request's body into memory: the HTTP transport's concerns, none of the body's
 * format ({@link ImageRequest} parses it). It refuses an unaccepted media type before reading,
 * enforces the body limit from {@code Content-Length} and by counting (413, then a bounded
 * drain so the client reads its answer), gives up on a body that does not arrive in time (408;
 * Helidon 4.5 never times out a blocked read, so the body is read on a helper thread), and
 * reserves the bytes it buffers in a shared {@link MemoryBudget} as they arrive, so that many
 * large uploads at once cannot fill the heap (503 with Retry-After), while uploads that only
 * announce their size hold nothing. Thread-safe.
 */
final class BodyReader {
    /** Reservation steps while a body of unknown length arrives. */
    private static final int STEP = 256 * 1024;
    /** The longest a request waits for body memory before it is refused. */
    private static final long BUDGET_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final Duration timeout;
    private final long maxBodyBytes;
    private final MemoryBudget budget;

    /**
     * Creates a reader.
     *
     * @param timeout the longest a body may take to arrive
     * @param maxBodyBytes the largest body accepted
     * @param budget the memory all buffered bodies share
     */
    BodyReader(Duration timeout, long maxBodyBytes, MemoryBudget budget) {
        this.timeout = timeout;
        this.maxBodyBytes = maxBodyBytes;
        this.budget = budget;
    }

    /**
     * A body in memory and the budget it holds; close it (once) when the request is done with
     * the bytes.
     *
     * @param bytes the body
     * @param contentType the request's Content-Type, as sent
     * @param reservation the bytes reserved for it
     */
    record Body(byte[] bytes, String contentType, Reservation reservation)
            implements AutoCloseable {
        /** Releases the body's memory reservation. */
        @Override
        public void close() {
            reservation.close();
        }
    }

    /**
     * Bytes held in the budget for one body; grows while the body arrives. All its growths
     * together wait at most {@link #BUDGET_WAIT_NANOS} for room, so a request the server has
     * no memory for is refused quickly, not a quarter second per piece.
     */
    static final class Reservation implements AutoCloseable {
        private final MemoryBudget budget;
        private long held;
        private long waitLeftNanos = BUDGET_WAIT_NANOS;
        private boolean closed;

        Reservation(MemoryBudget budget) {
            this.budget = budget;
        }

        synchronized void grow(long bytes) {
            if (closed) {
                throw ApiException.overloaded("The request was cancelled; retry in a second");
            }
            boolean reserved;
            long start = System.nanoTime();
            try {
                reserved = budget.tryReserve(bytes, waitLeftNanos);
                waitLeftNanos = Math.max(0, waitLeftNanos - (System.nanoTime() - start));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ApiException.overloaded("The server is stopping; retry in a second");
            }
            if (!reserved) {
                throw ApiException.overloaded("The server holds too many uploads in memory "
                        + "right now (" + budget.capacity() / (1024 * 1024) + " MiB); retry in "
                        + "a second");
            }
            held += bytes;
        }

        synchronized long held() {
            return held;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                budget.release(held);
                held = 0;
            }
        }
    }

    /**
     * Reserves memory for a request that is already in memory (a gRPC message, which the
     * server buffers and parses before any handler sees it): it shares the bodies' budget, so
     * that gRPC and HTTP requests together stay within {@code kodiak.limits.body-memory}.
     *
     * @param bytes what the request and the copies made of it take
     * @return the reservation; close it when the request is done
     * @throws ApiException 503 when the budget has no room within a quarter second
     */
    Reservation hold(long bytes) {
        Reservation reservation = new Reservation(budget);
        reservation.grow(bytes);
        return reservation;
    }

    /**
     * A body that did not arrive in time: the handler answers 408, then {@link #abort()}s the
     * reader, which closes the connection.
     */
    static final class UploadTimeoutException extends ApiException {
        private static final long serialVersionUID = 1L;
        private final transient Thread reader;

        UploadTimeoutException(Thread reader, Duration timeout) {
            super(Status.REQUEST_TIMEOUT_408, "UPLOAD_TIMEOUT", "The request body did not "
                    + "arrive within " + timeout.toSeconds() + " s; check the connection and "
                    + "send the image again");
            this.reader = reader;
        }

        /** Stops the reader thread; call it after the 408 has been sent. */
        void abort() {
            reader.interrupt();
        }
    }

    /**
     * A body over the limit. The handler answers 413 at once, then {@link #drain()}s: it reads
     * and discards what the client still sends, for a bounded time and amount, before the
     * connection closes. Closing with unread bytes makes the kernel reset the connection, and a
     * client still sending would lose the 413 it has not read yet.
     */
    static final class PayloadTooLargeException extends ApiException {
        private static final long serialVersionUID = 1L;
        /** How long the server keeps reading after a 413. */
        static final Duration DRAIN_TIME = Duration.ofSeconds(3);
        private final transient ServerRequest request;
        private final transient InputStream body;
        private final long drainBytes;

        PayloadTooLargeException(ServerRequest request, InputStream body, long maxBodyBytes) {
            super(Status.REQUEST_ENTITY_TOO_LARGE_413, "PAYLOAD_TOO_LARGE",
                    message(" (" + maxBodyBytes + " bytes)"));
            this.request = request;
            this.body = body;
            this.drainBytes = backstop(maxBodyBytes);
        }

        static String message(String limit) {
            return "The request body is larger than this server accepts" + limit + "; send a "
                    + "smaller image (the model needs only a few hundred pixels a side)";
        }

        /**
         * Discards the rest of the body: for at most {@link #DRAIN_TIME} and at most the
         * {@link #backstop}'s worth of bytes (a chunked body that grows past the backstop also
         * stops Helidon's reader). Nothing is read from a client that asked
         * {@code Expect: 100-continue} and was refused before its body: it sends none, and
         * reading would make Helidon send a {@code 100 Continue} after the 413.
         */
        void drain() {
            if (body == null && request.headers().containsToken(HeaderValues.EXPECT_100)) {
                return;
            }
            Thread drainer = Thread.ofVirtual().name("kodiak-drain").start(() -> {
                try {
                    InputStream in = body != null ? body : request.content().inputStream();
                    byte[] buffer = new byte[16384];
                    long left = drainBytes;
                    for (int n; left > 0 && (n = in.read(buffer, 0,
                            (int) Math.min(buffer.length, left))) > 0; ) {
                        left -= n;
                    }
                } catch (IOException | RuntimeException e) {
                    // the client stopped or sent more than the limit again: just close
                }
            });
            try {
                drainer.join(DRAIN_TIME);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            drainer.interrupt();
        }
    }

    /**
     * Helidon's own body limit: bodies up to it reach the handler, which answers 413 above
     * {@code maxBodyBytes} and drains the rest; Helidon answers larger ones at the headers.
     *
     * @param maxBodyBytes the configured limit
     * @return twice the limit
     */
    static long backstop(long maxBodyBytes) {
        return 2 * maxBodyBytes;
    }

    /** Helidon's own limit (max-payload-size) reports 413 as a RequestException. */
    static ApiException fromHelidon(RequestException e) {
        if (e.status().code() == Status.REQUEST_ENTITY_TOO_LARGE_413.code()) {
            return new ApiException(Status.REQUEST_ENTITY_TOO_LARGE_413, "PAYLOAD_TOO_LARGE",
                    PayloadTooLargeException.message(""));
        }
        return ApiException.badRequest("BAD_REQUEST", "The request body could not be read: "
                + e.getMessage());
    }

    /**
     * Reads the whole body, giving up after the timeout.
     *
     * @param request the HTTP request
     * @return the body, holding its memory reservation until closed
     * @throws ApiException 400, 408 ({@link UploadTimeoutException}), 413
     *     ({@link PayloadTooLargeException}), 415 or 503
     */
    Body read(ServerRequest request) {
        HttpMediaType type = request.headers().contentType().orElseThrow(() -> new ApiException(
                Status.UNSUPPORTED_MEDIA_TYPE_415, "UNSUPPORTED_MEDIA_TYPE",
                "The request has no Content-Type; " + ImageRequest.ACCEPTED));
        ImageRequest.checkMediaType(type.mediaType().text());
        return read(request, type.text());
    }

    /**
     * Reads the whole body whatever its Content-Type, or without one (the Open Inference
     * Protocol's clients send none), within the same limits as {@link #read(ServerRequest)}.
     *
     * @param request the HTTP request
     * @return the body, holding its memory reservation until closed; its content type is
     *     empty when the request had none
     * @throws ApiException 400, 408, 413 or 503
     */
    Body readAny(ServerRequest request) {
        return read(request, request.headers().contentType().map(HttpMediaType::text)
                .orElse(""));
    }

    private Body read(ServerRequest request, String contentType) {
        long length = request.headers().contentLength().orElse(-1);
        if (length > maxBodyBytes) {
            throw new PayloadTooLargeException(request, null, maxBodyBytes);
        }
        Reservation reservation = new Reservation(budget);
        try {
            FutureTask<byte[]> task = new FutureTask<>(() -> readAll(request, reservation));
            Thread reader = Thread.ofVirtual().name("kodiak-upload").start(task);
            try {
                return new Body(task.get(timeout.toNanos(), TimeUnit.NANOSECONDS), contentType,
                        reservation);
            } catch (TimeoutException e) {
                throw new UploadTimeoutException(reader, timeout);
            } catch (InterruptedException e) {
                reader.interrupt();
                Thread.currentThread().interrupt();
                throw ApiException.overloaded("The server is stopping; retry in a second");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                throw new IllegalStateException(e.getCause());
            }
        } catch (RuntimeException | Error e) {
            reservation.close();
            throw e;
        }
    }

    /**
     * Reads the body in pieces, reserving memory as the bytes arrive (never for bytes only
     * announced: a client that sends headers and then nothing holds nothing), then joins them
     * into one array of the exact size. At the peak the pieces and the array are both held,
     * hence twice the bytes read are reserved.
     */
    private byte[] readAll(ServerRequest request, Reservation reservation) {
        InputStream in = request.content().inputStream();
        try {
            // a compressed body is inflated as it is read: its Content-Length is not what arrives
            boolean encoded = !request.headers().first(HeaderNames.CONTENT_ENCODING)
                    .orElse("identity").trim().equalsIgnoreCase("identity");
            long length = encoded ? -1 : request.headers().contentLength().orElse(-1);
            List<byte[]> pieces = new ArrayList<>();
            long count = 0;
            while (length < 0 || count < length) {
                byte[] piece = in.readNBytes(length < 0 ? STEP
                        : (int) Math.min(STEP, length - count));
                if (piece.length == 0) {
                    break;
                }
                count += piece.length;
                if (count > maxBodyBytes) {
                    throw new PayloadTooLargeException(request, in, maxBodyBytes);
                }
                if (2 * count > reservation.held()) {
                    reservation.grow(2 * count - reservation.held());
                }
                pieces.add(piece);
            }
            if (length >= 0 && count < length) {
                throw ApiException.badRequest("INCOMPLETE_REQUEST", "The request body ended "
                        + "after " + count + " of its announced " + length + " bytes");
            }
            if (pieces.size() == 1 && pieces.get(0).length == count) {
                return pieces.get(0);
            }
            byte[] body = new byte[(int) count];
            int at = 0;
            for (byte[] piece : pieces) {
                System.arraycopy(piece, 0, body, at, piece.length);
                at += piece.length;
            }
            return body;
        } catch (RequestException e) {
            throw fromHelidon(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
