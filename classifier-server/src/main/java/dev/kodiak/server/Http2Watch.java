package dev.kodiak.server;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PeerInfo;
import io.helidon.common.task.InterruptableTask;
import io.helidon.http.HttpPrologue;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProtocolConfigs;
import io.helidon.webserver.Router;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.http1.spi.Http1Upgrader;
import io.helidon.webserver.http2.Http2Config;
import io.helidon.webserver.http2.Http2ConnectionProvider;
import io.helidon.webserver.http2.Http2UpgradeProvider;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The header timeout for HTTP/2: {@link HeaderWatch}'s clock for each stream's header block,
 * from its HEADERS frame to the end of the frame that carries END_HEADERS. Helidon 4.5.0's
 * HTTP/2 connection has no receive listener of its own (its frame listener is the logging one
 * only), and every CONTINUATION frame counts as activity for its idle check, so a client that
 * opens a header block and sends a one-byte CONTINUATION every few seconds held its connection
 * for ever. Helidon's own selectors and upgrader still make the connections; these wrap them
 * to hand each HTTP/2 connection a reader that sees the bytes it reads, and reports where each
 * header block begins and ends, and ends a connection whose header block runs over
 * {@value FrameTap#MAX_BLOCK_FRAMES} frames (a CONTINUATION flood). Frames are not parsed
 * beyond their 9-byte header.
 *
 * <p>The two ways in: prior knowledge (the client preface on a new connection) and
 * {@code Upgrade: h2c} from HTTP/1.1. Registered before Helidon's own selectors, which stay
 * as they are and go unused. The open HTTP/2 connections are known by their socket ids, so that
 * a request whose body is abandoned (408, 413) can end its connection
 * ({@link #endConnection}), as HTTP/1's {@code Connection: close} does.
 *
 * <p>Helidon's own HTTP/2 limits stay on at their defaults ({@code Http2Config.create()}):
 * 50 rapid resets in 10 s, more than 11 empty DATA frames in a row, 8192 bytes of header
 * list, 8192 concurrent streams, each answered with GOAWAY. Thread-safe.
 */
final class Http2Watch {
    private static final System.Logger LOG = System.getLogger(Http2Watch.class.getName());
    /** Helidon's name of the server's default socket. */
    private static final String SOCKET = "@default";

    private final HeaderWatch watch;
    /** The open HTTP/2 connections, by {@link #key}. */
    private final Map<String, ConnectionContext> open = new ConcurrentHashMap<>();

    /**
     * Creates the watch.
     *
     * @param watch the clock of header blocks
     */
    Http2Watch(HeaderWatch watch) {
        this.watch = watch;
    }

    /**
     * The connection selectors of a socket whose HTTP/2 header blocks are watched: one for
     * prior knowledge, one for HTTP/1.1 whose {@code h2c} upgrade is watched.
     *
     * @param http1 HTTP/1.1's configuration (with the watch as a receive listener)
     * @param http2 HTTP/2's configuration
     * @param protocols every protocol of the socket (gRPC's sub-protocol among them)
     * @return the selectors, to be used before Helidon's own
     */
    List<ServerConnectionSelector> selectors(Http1Config http1, Http2Config http2,
            ProtocolConfigs protocols) {
        ServerConnectionSelector priorKnowledge = new Http2ConnectionProvider()
                .create(SOCKET, http2, protocols);
        Http1Upgrader h2c = Http2UpgradeProvider.builder().http2Config(http2).build()
                .create(http2, protocols);
        return List.of(new WatchedSelector(priorKnowledge, this),
                Http1ConnectionSelector.builder().config(http1)
                        .addUpgrader(new WatchedUpgrader(h2c, this)).build());
    }

    /**
     * Ends the HTTP/2 connection of a request whose body the client still owes: HTTP/2's
     * {@code Connection: close}. Helidon reads a request's unread body to its end after the
     * answer, and each DATA frame counts as activity, so a client that dribbles one byte a
     * frame after its 408 would hold the connection for ever. The socket closes, as
     * {@link HeaderWatch} closes it; other streams of the connection end with it. Does nothing
     * for HTTP/1 (whose answer says {@code Connection: close}) or a connection already gone.
     *
     * @param request the request answered
     */
    void endConnection(ServerRequest request) {
        ConnectionContext ctx = open.get(key(request.serverSocketId(), request.socketId()));
        if (ctx != null) {
            try {
                ctx.serverSocket().close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "could not close an HTTP/2 connection", e);
            }
        }
    }

    /** A connection's key: the request's ids are the connection's socket ids. */
    private static String key(String socketId, String childSocketId) {
        return socketId + " " + childSocketId;
    }

    /** Watches a new HTTP/2 connection and forgets it when it ends. */
    private ServerConnection watched(ConnectionContext ctx,
            Function<ConnectionContext, ServerConnection> create) {
        String key = key(ctx.socketId(), ctx.childSocketId());
        open.put(key, ctx);
        try {
            return new WatchedConnection(create.apply(new WatchedContext(ctx, watch)),
                    () -> open.remove(key, ctx));
        } catch (RuntimeException e) {
            open.remove(key, ctx);
            throw e;
        }
    }

    /**
     * Helidon's HTTP/2 connection, forgotten by the watch once it ends. Interruptible as the
     * connection is (Helidon's idle check interrupts only a connection between streams).
     */
    private record WatchedConnection(ServerConnection delegate, Runnable ended)
            implements ServerConnection, InterruptableTask<Void> {
        @Override
        public void handle(Limit limit) throws InterruptedException {
            try {
                delegate.handle(limit);
            } finally {
                ended.run();
            }
        }

        @Override
        public Duration idleTime() {
            return delegate.idleTime();
        }

        @Override
        public void close(boolean interrupt) {
            delegate.close(interrupt);
        }

        @Override
        public boolean canInterrupt() {
            return delegate instanceof InterruptableTask<?> task && task.canInterrupt();
        }
    }

    /** Helidon's prior-knowledge selector, whose connections read through a tap. */
    private record WatchedSelector(ServerConnectionSelector delegate, Http2Watch watch)
            implements ServerConnectionSelector {
        @Override
        public int bytesToIdentifyConnection() {
            return delegate.bytesToIdentifyConnection();
        }

        @Override
        public Support supports(BufferData data) {
            return delegate.supports(data);
        }

        @Override
        public Set<String> supportedApplicationProtocols() {
            return delegate.supportedApplicationProtocols();
        }

        @Override
        public ServerConnection connection(ConnectionContext ctx) {
            return watch.watched(ctx, delegate::connection);
        }
    }

    /** Helidon's {@code h2c} upgrader, whose connections read through a tap. */
    private record WatchedUpgrader(Http1Upgrader delegate, Http2Watch watch)
            implements Http1Upgrader {
        @Override
        public String supportedProtocol() {
            return delegate.supportedProtocol();
        }

        @Override
        public ServerConnection upgrade(ConnectionContext ctx, HttpPrologue prologue,
                WritableHeaders<?> headers) {
            return watch.watched(ctx, watched -> delegate.upgrade(watched, prologue, headers));
        }
    }

    /**
     * A connection's context whose reader passes every byte it reads from the connection's own
     * reader through a {@link FrameTap}. Everything else is the connection's.
     */
    private static final class WatchedContext implements ConnectionContext {
        private final ConnectionContext ctx;
        private final DataReader reader;

        WatchedContext(ConnectionContext ctx, HeaderWatch watch) {
            this.ctx = ctx;
            FrameTap tap = new FrameTap(ctx, watch);
            DataReader source = ctx.dataReader();
            this.reader = DataReader.create(tapped(source, tap));
        }

        private static Supplier<byte[]> tapped(DataReader source, FrameTap tap) {
            return () -> {
                try {
                    source.ensureAvailable(); // bytes already read first (the preface), then more
                } catch (DataReader.InsufficientDataAvailableException e) {
                    return null; // the client closed: this reader says so as the source did
                }
                byte[] bytes = source.readBytes(source.available());
                if (!tap.read(bytes)) {
                    return null; // refused: the connection ends as if the client had closed
                }
                return bytes;
            };
        }

        @Override
        public DataReader dataReader() {
            return reader;
        }

        @Override
        public ListenerContext listenerContext() {
            return ctx.listenerContext();
        }

        @Override
        public ExecutorService executor() {
            return ctx.executor();
        }

        @Override
        public DataWriter dataWriter() {
            return ctx.dataWriter();
        }

        @Override
        public Router router() {
            return ctx.router();
        }

        @Override
        public Optional<io.helidon.webserver.ProxyProtocolData> proxyProtocolData() {
            return ctx.proxyProtocolData();
        }

        @Override
        public HelidonSocket serverSocket() {
            return ctx.serverSocket();
        }

        @Override
        public PeerInfo remotePeer() {
            return ctx.remotePeer();
        }

        @Override
        public PeerInfo localPeer() {
            return ctx.localPeer();
        }

        @Override
        public boolean isSecure() {
            return ctx.isSecure();
        }

        @Override
        public String socketId() {
            return ctx.socketId();
        }

        @Override
        public String childSocketId() {
            return ctx.childSocketId();
        }
    }

    /**
     * Follows the frames of one HTTP/2 connection's inbound bytes, after the client preface,
     * and tells the watch where header blocks begin (a HEADERS frame's header is read) and end
     * (the last byte of the frame with END_HEADERS is read). Used by the connection's one
     * reading thread only.
     */
    static final class FrameTap {
        /** The client preface, {@code PRI * HTTP/2.0...}, precedes the frames. */
        private static final int PREFACE = 24;
        private static final int FRAME_HEADER = 9;
        private static final int HEADERS = 0x1;
        private static final int CONTINUATION = 0x9;
        private static final int END_HEADERS = 0x4;
        /**
         * The most frames a header block may take. A block fits Helidon's 8 KiB header list
         * and a frame carries at least 16 KiB, so a client needs one; empty CONTINUATION frames
         * add nothing to the list's size, and Helidon keeps each until the block ends (3.8
         * million of them in a second took 210 MB of heap).
         */
        static final int MAX_BLOCK_FRAMES = 64;

        private final ConnectionContext ctx;
        private final HeaderWatch watch;
        private final byte[] header = new byte[FRAME_HEADER];
        private int prefaceLeft = PREFACE;
        private int headerRead;
        private int payloadLeft;
        private boolean endsBlock;
        /** Frames of the header block under way (0 between blocks). */
        private int blockFrames;

        FrameTap(ConnectionContext ctx, HeaderWatch watch) {
            this.ctx = ctx;
            this.watch = watch;
        }

        /**
         * Follows the next bytes of the connection.
         *
         * @param bytes the bytes, in the order read
         * @return false if a header block runs over {@link #MAX_BLOCK_FRAMES}: the connection
         *     must end
         */
        boolean read(byte[] bytes) {
            int at = 0;
            while (at < bytes.length) {
                if (blockFrames > MAX_BLOCK_FRAMES) {
                    LOG.log(System.Logger.Level.DEBUG, "closing a connection whose header "
                            + "block ran over {0} frames", MAX_BLOCK_FRAMES);
                    watch.finished(ctx);
                    return false;
                }
                int left = bytes.length - at;
                if (prefaceLeft > 0) {
                    int n = Math.min(prefaceLeft, left);
                    prefaceLeft -= n;
                    at += n;
                } else if (payloadLeft > 0) {
                    int n = Math.min(payloadLeft, left);
                    payloadLeft -= n;
                    at += n;
                    if (payloadLeft == 0) {
                        frameRead();
                    }
                } else {
                    int n = Math.min(FRAME_HEADER - headerRead, left);
                    System.arraycopy(bytes, at, header, headerRead, n);
                    headerRead += n;
                    at += n;
                    if (headerRead == FRAME_HEADER) {
                        headerRead = 0;
                        frameHeaderRead();
                    }
                }
            }
            return true;
        }

        private void frameHeaderRead() {
            payloadLeft = (header[0] & 0xFF) << 16 | (header[1] & 0xFF) << 8 | header[2] & 0xFF;
            int type = header[3] & 0xFF;
            if (type == HEADERS) {
                watch.started(ctx);
                blockFrames = 1;
            } else if (type == CONTINUATION) {
                blockFrames++;
            }
            endsBlock = (type == HEADERS || type == CONTINUATION)
                    && (header[4] & END_HEADERS) != 0;
            if (payloadLeft == 0) {
                frameRead();
            }
        }

        private void frameRead() {
            if (endsBlock) {
                watch.finished(ctx);
                blockFrames = 0;
            }
        }
    }
}
