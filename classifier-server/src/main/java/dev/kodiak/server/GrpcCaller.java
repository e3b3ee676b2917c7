package dev.kodiak.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.concurrent.TimeUnit;

/**
 * What a gRPC client sent beside its message, for the service's handlers: the routing key
 * (metadata {@code kodiak-routing-key}, as the HTTP header of the same name), the
 * {@code authorization} metadata, and the client's deadline. Helidon 4.5.0 does not turn the
 * {@code grpc-timeout} header into the call's {@link Context} deadline, so it is read here.
 * {@link #INTERCEPTOR} puts one into the {@link Context} of every call; {@link #current()}
 * reads it.
 *
 * @param routingKey the routing key, or null
 * @param authorization the {@code authorization} metadata, or null
 * @param deadline the {@link System#nanoTime()} by which the client gives up, or
 *     {@link Long#MAX_VALUE} when it set no deadline
 */
record GrpcCaller(String routingKey, String authorization, long deadline) {
    private static final Context.Key<GrpcCaller> KEY = Context.key("kodiak-grpc-caller");
    private static final Metadata.Key<String> ROUTING_KEY = Metadata.Key.of(Serving.ROUTING_KEY,
            Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> TIMEOUT = Metadata.Key.of("grpc-timeout",
            Metadata.ASCII_STRING_MARSHALLER);
    private static final GrpcCaller NONE = new GrpcCaller(null, null, Long.MAX_VALUE);

    /** Reads the caller's metadata into the call's context. */
    static final ServerInterceptor INTERCEPTOR = new ServerInterceptor() {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call,
                Metadata headers, ServerCallHandler<Q, R> next) {
            long now = System.nanoTime();
            long timeout = timeoutNanos(headers.get(TIMEOUT));
            GrpcCaller caller = new GrpcCaller(headers.get(ROUTING_KEY),
                    headers.get(AUTHORIZATION), timeout < 0 ? Long.MAX_VALUE : now + timeout);
            return Contexts.interceptCall(Context.current().withValue(KEY, caller), call,
                    headers, next);
        }
    };

    /**
     * The caller of the call being handled.
     *
     * @return what it sent; no key, no authorization and no deadline outside a call
     */
    static GrpcCaller current() {
        GrpcCaller caller = KEY.get();
        return caller == null ? NONE : caller;
    }

    /**
     * The deadline an answer must meet: the client's, when it is sooner than the server's.
     *
     * @param serverDeadline the {@link System#nanoTime()} deadline of the server's timeout
     * @return the sooner of the two
     */
    long deadlineWithin(long serverDeadline) {
        return deadline != Long.MAX_VALUE && deadline - serverDeadline < 0 ? deadline
                : serverDeadline;
    }

    /**
     * Reads gRPC's {@code grpc-timeout}: at most 8 digits and a unit (H, M, S, m, u, n).
     *
     * @param text the header, or null
     * @return nanoseconds, or -1 when absent or not in that form
     */
    static long timeoutNanos(String text) {
        if (text == null || text.length() < 2 || text.length() > 9) {
            return -1;
        }
        long amount;
        try {
            amount = Long.parseLong(text.substring(0, text.length() - 1));
        } catch (NumberFormatException e) {
            return -1;
        }
        if (amount < 0) {
            return -1;
        }
        TimeUnit unit = switch (text.charAt(text.length() - 1)) {
            case 'H' -> TimeUnit.HOURS;
            case 'M' -> TimeUnit.MINUTES;
            case 'S' -> TimeUnit.SECONDS;
            case 'm' -> TimeUnit.MILLISECONDS;
            case 'u' -> TimeUnit.MICROSECONDS;
            case 'n' -> TimeUnit.NANOSECONDS;
            default -> null;
        };
        return unit == null ? -1 : unit.toNanos(amount);
    }
}
