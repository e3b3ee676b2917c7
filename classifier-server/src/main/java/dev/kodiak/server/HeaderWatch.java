package dev.kodiak.server;

import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1ConnectionListener;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Closes connections whose request headers take too long to arrive (the slowloris attack: a
 * request line, then a header line every few seconds, for ever). Helidon bounds the request
 * line by its idle-connection timeout, and Kodiak bounds bodies by its upload timeout, but
 * nothing bounds the headers in between: a thread per connection would wait as long as the
 * client dribbles. This listener notes when each connection's request line is read and forgets
 * it when its headers are; a watchdog closes the socket of any connection still reading headers
 * after {@code timeout}, which ends its read. HTTP/2's header blocks (a HEADERS frame and its
 * CONTINUATION frames) run on the same clock, reported by {@link Http2Watch}.
 *
 * <p>Thread-safe.
 */
final class HeaderWatch implements Http1ConnectionListener, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HeaderWatch.class.getName());

    private final long timeoutNanos;
    private final Map<ConnectionContext, Long> reading = new ConcurrentHashMap<>();
    private final ScheduledExecutorService watchdog;

    /**
     * Starts the watchdog.
     *
     * @param timeout the longest a request's headers may take after its request line
     */
    HeaderWatch(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                .name("kodiak-header-watch").daemon(true).unstarted(r));
        long period = Math.max(100, Math.min(1000, timeout.toMillis() / 4));
        watchdog.scheduleAtFixedRate(this::closeSlow, period, period, TimeUnit.MILLISECONDS);
    }

    /** {@inheritDoc} */
    @Override
    public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
        started(ctx);
    }

    /** {@inheritDoc} */
    @Override
    public void headers(ConnectionContext ctx, Headers headers) {
        finished(ctx);
    }

    /**
     * Starts the clock of a connection's headers: HTTP/1's request line was read, or an HTTP/2
     * HEADERS frame began ({@link Http2Watch}).
     *
     * @param ctx the connection
     */
    void started(ConnectionContext ctx) {
        reading.put(ctx, System.nanoTime());
    }

    /**
     * Stops the clock: the headers arrived in time.
     *
     * @param ctx the connection
     */
    void finished(ConnectionContext ctx) {
        reading.remove(ctx);
    }

    /** Closes the sockets of connections that have read headers for too long. */
    private void closeSlow() {
        long now = System.nanoTime();
        reading.forEach((ctx, since) -> {
            if (now - since > timeoutNanos && reading.remove(ctx, since)) {
                LOG.log(System.Logger.Level.DEBUG, "closing a connection whose headers took "
                        + "more than {0} ms", timeoutNanos / 1_000_000);
                try {
                    ctx.serverSocket().close();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, "could not close a slow connection", e);
                }
            }
        });
    }

    /**
     * Returns how many connections are reading headers now.
     *
     * @return the count
     */
    int reading() {
        return reading.size();
    }

    /** Stops the watchdog. */
    @Override
    public void close() {
        watchdog.shutdownNow();
    }
}
