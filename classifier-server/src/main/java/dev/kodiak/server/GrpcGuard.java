package dev.kodiak.server;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.grpc.BindableService;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.KnownLength;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPInputStream;

/**
 * Every gRPC call's way out: what Helidon 4.5.0's gRPC server leaves undone, and Kodiak's
 * errors as gRPC status codes.
 * <ul>
 *   <li>An exception thrown by a handler becomes the call's status. Helidon would log it and
 *       cancel the call without a status, and the client would wait for its deadline; handlers
 *       report through {@code onError} anyway, so this is the backstop.
 *   <li>A message over {@code kodiak.limits.max-body-bytes} is refused with
 *       {@code RESOURCE_EXHAUSTED}, and the connection serves the next call. Helidon's own limit
 *       ({@code GrpcConfig.maxReadBufferSize}) is set above it: past that one Helidon reads the
 *       rest of the message as garbage and answers unpredictably.
 *   <li>A message that is not the method's protobuf is {@code INVALID_ARGUMENT}: the service is
 *       registered with {@link io.grpc.ServerInterceptors#useInputStreamMessages}, so messages
 *       are parsed here, where a failure has a status, not in Helidon, where it has none.
 *   <li>A gzip-compressed message larger than one HTTP/2 frame is inflated here: Helidon misses
 *       its compressed flag ({@link #inflated}). Only gzip is served (gRPC Java's registry, which
 *       Helidon uses, has no deflate).
 *   <li>Every call is counted by method and status code ({@code kodiak_grpc_requests_total}).
 * </ul>
 *
 * <p>{@link #status} maps Kodiak's refusals to codes: 400, 415 and 422 to
 * {@code INVALID_ARGUMENT}, 404 to {@code NOT_FOUND}, 413 to {@code RESOURCE_EXHAUSTED}, 503 to
 * {@code UNAVAILABLE} (retryable, with {@code grpc-retry-pushback-ms}), 401 to
 * {@code UNAUTHENTICATED}, 403 to {@code PERMISSION_DENIED}. {@code INTERNAL} is a bug of ours,
 * logged, never the answer to bad input.
 *
 * <p>Thread-safe.
 */
final class GrpcGuard implements ServerInterceptor {
    private static final System.Logger LOG = System.getLogger(GrpcGuard.class.getName());
    /** Kodiak's error code of a refusal, beside the status, as for REST's {@code code}. */
    static final Metadata.Key<String> ERROR_CODE = Metadata.Key.of("kodiak-error-code",
            Metadata.ASCII_STRING_MARSHALLER);
    /** How long to wait before retrying, as gRPC's retry policy reads it. */
    static final Metadata.Key<String> RETRY_PUSHBACK = Metadata.Key.of("grpc-retry-pushback-ms",
            Metadata.ASCII_STRING_MARSHALLER);

    private static final Metadata.Key<String> ENCODING = Metadata.Key.of("grpc-encoding",
            Metadata.ASCII_STRING_MARSHALLER);

    private final long maxMessageBytes;
    private final ServerMetrics metrics;

    /**
     * Creates the guard.
     *
     * @param maxMessageBytes the largest message accepted ({@code max-body-bytes})
     * @param metrics where calls are counted
     */
    GrpcGuard(long maxMessageBytes, ServerMetrics metrics) {
        this.maxMessageBytes = maxMessageBytes;
        this.metrics = metrics;
    }

    /**
     * Helidon's own per-message limit: above Kodiak's, so that Kodiak's answers first.
     *
     * @param maxMessageBytes Kodiak's limit
     * @return twice it, capped to what Helidon takes
     */
    static int helidonLimit(long maxMessageBytes) {
        return (int) Math.min(BodyReader.backstop(maxMessageBytes), Integer.MAX_VALUE - 64);
    }

    /**
     * A service as the server registers it: its messages parsed inside a guard (see above why),
     * with the caller's metadata ({@link GrpcCaller}) in each call's context.
     *
     * @param service the service
     * @param maxMessageBytes the largest message ({@code kodiak.limits.max-body-bytes})
     * @param metrics where calls are counted
     * @return the service's definition
     */
    static ServerServiceDefinition guarded(BindableService service, long maxMessageBytes,
            ServerMetrics metrics) {
        // the last interceptor is the outermost: the guard sees every failure
        return ServerInterceptors.intercept(ServerInterceptors.useInputStreamMessages(
                service.bindService()), GrpcCaller.INTERCEPTOR,
                new GrpcGuard(maxMessageBytes, metrics));
    }

    /** {@inheritDoc} */
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        long start = System.nanoTime();
        boolean gzip = "gzip".equals(headers.get(ENCODING));
        AtomicBoolean closed = new AtomicBoolean();
        String method = call.getMethodDescriptor().getFullMethodName();
        ServerCall<Q, R> counted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                if (closed.compareAndSet(false, true)) {
                    metrics.grpc(method, status.getCode().name(), System.nanoTime() - start);
                    super.close(status, trailers);
                }
            }
        };
        ServerCall.Listener<Q> delegate;
        try {
            delegate = next.startCall(counted, headers);
        } catch (RuntimeException e) {
            close(counted, e);
            return new ServerCall.Listener<>() {
            };
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onMessage(Q message) {
                if (closed.get()) {
                    return;
                }
                long size = size(message);
                if (size > maxMessageBytes) {
                    close(counted, tooLarge(size + " bytes"));
                    return;
                }
                guard(() -> super.onMessage(limited(gzip ? inflated(message) : message)));
            }

            @Override
            public void onHalfClose() {
                guard(super::onHalfClose);
            }

            @Override
            public void onReady() {
                guard(super::onReady);
            }

            private void guard(Runnable step) {
                if (closed.get()) {
                    return; // refused already: the handler must not answer a second time
                }
                try {
                    step.run();
                } catch (RuntimeException e) {
                    close(counted, e);
                }
            }
        };
    }

    /** A message's size when it is known before parsing (not when it arrived compressed). */
    private static long size(Object message) {
        if (message instanceof MessageLite m) {
            return m.getSerializedSize();
        }
        if (message instanceof InputStream in && message instanceof KnownLength) {
            try {
                return in.available();
            } catch (IOException e) {
                return 0;
            }
        }
        return 0;
    }

    /**
     * A gzip message Helidon did not inflate: Helidon 4.5.0 reads a message's compressed flag
     * only in the DATA frame where the message starts, so one that spans frames (above 16 KiB
     * on the wire: most images) reaches the service still compressed. A protobuf message never
     * starts with gzip's magic bytes (0x1f is field 3 of wire type 7, which does not exist).
     */
    @SuppressWarnings("unchecked")
    private static <Q> Q inflated(Q message) {
        if (!(message instanceof InputStream in) || !(message instanceof KnownLength)) {
            return message; // inflated by Helidon already
        }
        try {
            PushbackInputStream peek = new PushbackInputStream(in, 2);
            byte[] magic = peek.readNBytes(2);
            peek.unread(magic);
            boolean compressed = magic.length == 2 && (magic[0] & 0xFF) == 0x1f
                    && (magic[1] & 0xFF) == 0x8b;
            return (Q) (compressed ? new GZIPInputStream(peek) : peek);
        } catch (IOException e) {
            throw Status.INVALID_ARGUMENT.withDescription("The request message does not inflate "
                    + "(" + e.getMessage() + ")").withCause(e).asRuntimeException(
                    code("INVALID_MESSAGE"));
        }
    }

    /** A compressed message is refused once it inflates past the limit while it is parsed. */
    @SuppressWarnings("unchecked")
    private <Q> Q limited(Q message) {
        if (!(message instanceof InputStream in) || message instanceof KnownLength) {
            return message;
        }
        return (Q) new FilterInputStream(in) {
            private long read;

            @Override
            public int read() throws IOException {
                int b = super.read();
                count(b < 0 ? 0 : 1);
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                count(Math.max(0, n));
                return n;
            }

            private void count(int n) {
                read += n;
                if (read > maxMessageBytes) {
                    throw tooLarge("more than " + maxMessageBytes + " bytes once inflated");
                }
            }
        };
    }

    private ApiException tooLarge(String size) {
        return new ApiException(io.helidon.http.Status.REQUEST_ENTITY_TOO_LARGE_413,
                "PAYLOAD_TOO_LARGE", "The request message is " + size + ", over this server's "
                + "limit of " + maxMessageBytes + " (kodiak.limits.max-body-bytes); send fewer "
                + "or smaller images");
    }

    /** Closes a call with the status a failure calls for, unless it is closed already. */
    private static void close(ServerCall<?, ?> call, RuntimeException e) {
        StatusRuntimeException status = status(e);
        try {
            call.close(status.getStatus(), status.getTrailers() == null ? new Metadata()
                    : status.getTrailers());
        } catch (RuntimeException alreadyClosed) {
            // the handler closed it before it threw: its answer stands
        }
    }

    private static Metadata code(String code) {
        Metadata trailers = new Metadata();
        trailers.put(ERROR_CODE, code);
        return trailers;
    }

    /**
     * What the client is told about a failure.
     *
     * @param e a refusal ({@link ApiException}), a status already, or a bug
     * @return the status with Kodiak's error code (and, when retryable, the pushback) in its
     *     trailers
     */
    static StatusRuntimeException status(RuntimeException e) {
        if (e instanceof ApiException api) {
            Status status = switch (api.status().code()) {
                case 400, 415, 422 -> Status.INVALID_ARGUMENT;
                case 401 -> Status.UNAUTHENTICATED;
                case 403 -> Status.PERMISSION_DENIED;
                case 404 -> Status.NOT_FOUND;
                case 408 -> Status.DEADLINE_EXCEEDED;
                case 413 -> Status.RESOURCE_EXHAUSTED;
                case 503 -> Status.UNAVAILABLE;
                default -> api.status().code() < 500 ? Status.INVALID_ARGUMENT : Status.INTERNAL;
            };
            Metadata trailers = code(api.code());
            if (api.retryAfterSeconds() != null) {
                trailers.put(RETRY_PUSHBACK, Long.toString(Long.parseLong(
                        api.retryAfterSeconds()) * 1000));
            }
            return status.withDescription(api.getMessage()).asRuntimeException(trailers);
        }
        if (e instanceof StatusRuntimeException sre) {
            if (sre.getStatus().getCode() == Status.Code.INTERNAL
                    && sre.getCause() instanceof InvalidProtocolBufferException bad) {
                // grpc-java's marshaller calls a message it cannot parse INTERNAL; it is input
                return Status.INVALID_ARGUMENT.withDescription("The request message is not the "
                        + "method's protobuf message (" + bad.getMessage() + ")")
                        .asRuntimeException(code("INVALID_MESSAGE"));
            }
            return sre;
        }
        if (e instanceof io.helidon.webserver.ServerConnectionException
                || e.getCause() instanceof java.io.UncheckedIOException) {
            // the connection closed under the call: nobody is left to read the answer
            LOG.log(System.Logger.Level.WARNING, "a gRPC answer could not be sent: {0}",
                    e.getMessage());
            return Status.UNAVAILABLE.withDescription("The connection closed").withCause(e)
                    .asRuntimeException();
        }
        LOG.log(System.Logger.Level.ERROR, "a gRPC call failed: a bug of Kodiak's", e);
        return Status.INTERNAL.withDescription("Kodiak failed to answer (" + e
                + "); the server's log has the details").asRuntimeException(code("INTERNAL"));
    }
}
