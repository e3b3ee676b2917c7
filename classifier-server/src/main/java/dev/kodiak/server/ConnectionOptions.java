package dev.kodiak.server;

import io.helidon.common.socket.SocketOptions;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.net.SocketOption;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The options of every accepted connection: Helidon's, plus a read timeout, which Helidon 4.5.0
 * declares ({@code readTimeout}) but never sets on the sockets it accepts. Without it a client
 * that connects and sends nothing holds its connection for ever: Helidon's idle-connection
 * check only sees connections that have begun a request. With it, a read that waits longer than
 * the timeout fails and the connection closes; Helidon's own idle detection between requests
 * cooperates with a socket timeout. Reads honour it only through the socket's stream, so the
 * server runs with {@code useNio(false)}: Helidon's NIO sockets read the channel directly.
 *
 * <p>Immutable and thread-safe.
 */
final class ConnectionOptions implements SocketOptions {
    private final SocketOptions delegate;
    private final Duration readTimeout;

    /**
     * Creates the options.
     *
     * @param readTimeout the longest a read may wait for a byte
     */
    ConnectionOptions(Duration readTimeout) {
        // each write goes out at once: with Nagle's algorithm on, an answer longer than one
        // write (every label's probability from /predict) waited out the client's 40 ms
        // delayed ACK
        this.delegate = SocketOptions.builder().tcpNoDelay(true).readTimeout(readTimeout)
                .build();
        this.readTimeout = readTimeout;
    }

    /** {@inheritDoc} */
    @Override
    public void configureSocket(SocketChannel socket) {
        delegate.configureSocket(socket);
        try {
            socket.socket().setSoTimeout((int) Math.min(Integer.MAX_VALUE,
                    readTimeout.toMillis()));
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@inheritDoc} */
    @Override
    public Map<SocketOption<?>, Object> socketOptions() {
        return delegate.socketOptions();
    }

    /** {@inheritDoc} */
    @Override
    public Duration connectTimeout() {
        return delegate.connectTimeout();
    }

    /** {@inheritDoc} */
    @Override
    public Duration readTimeout() {
        return readTimeout;
    }

    /** {@inheritDoc} */
    @Override
    public Optional<Integer> socketReceiveBufferSize() {
        return delegate.socketReceiveBufferSize();
    }

    /** {@inheritDoc} */
    @Override
    public Optional<Integer> socketSendBufferSize() {
        return delegate.socketSendBufferSize();
    }

    /** {@inheritDoc} */
    @Override
    public boolean socketReuseAddress() {
        return delegate.socketReuseAddress();
    }

    /** {@inheritDoc} */
    @Override
    public boolean socketKeepAlive() {
        return delegate.socketKeepAlive();
    }

    /** {@inheritDoc} */
    @Override
    public boolean tcpNoDelay() {
        return delegate.tcpNoDelay();
    }
}
