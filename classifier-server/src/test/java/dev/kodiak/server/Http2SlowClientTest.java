package dev.kodiak.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Slow HTTP/2 clients over raw sockets, with prior knowledge and after {@code Upgrade: h2c}: a
 * header block that dribbles in CONTINUATION frames is closed after the header timeout, as
 * HTTP/1's dribbled headers are, a flood of them at once; a connection that only pings is
 * closed after the idle timeout; an upload that dribbles gets its 408 and its connection ends.
 * Each client sends a frame every 300 ms, well under the socket's read timeout (the idle
 * timeout), so only the guards under test can close it.
 */
class Http2SlowClientTest {
    private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration UPLOAD_TIMEOUT = Duration.ofSeconds(1);
    private static final int MAX_BODY = 200_000;
    /** How long a client dribbles before the test gives up on the server closing it. */
    private static final Duration DRIBBLE_FOR = Duration.ofSeconds(20);
    private static final long EVERY_MILLIS = 300;

    private static final int DATA = 0;
    private static final int HEADERS = 1;
    private static final int SETTINGS = 4;
    private static final int PING = 6;
    private static final int GOAWAY = 7;
    private static final int WINDOW_UPDATE = 8;
    private static final int CONTINUATION = 9;
    private static final int END_STREAM = 0x1;
    private static final int END_HEADERS = 0x4;
    private static final int ACK = 0x1;
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1);

    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of("KODIAK_LIMITS_HEADER_TIMEOUT", HEADER_TIMEOUT.toString(),
                "SERVER_IDLE_CONNECTION_TIMEOUT", IDLE_TIMEOUT.toString(),
                "KODIAK_LIMITS_UPLOAD_TIMEOUT", UPLOAD_TIMEOUT.toString(),
                "KODIAK_LIMITS_MAX_BODY_BYTES", Integer.toString(MAX_BODY)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** An HTTP/2 frame. */
    private static byte[] frame(int type, int flags, int stream, byte[] payload) {
        byte[] frame = new byte[9 + payload.length];
        frame[0] = (byte) (payload.length >>> 16);
        frame[1] = (byte) (payload.length >>> 8);
        frame[2] = (byte) payload.length;
        frame[3] = (byte) type;
        frame[4] = (byte) flags;
        frame[5] = (byte) (stream >>> 24);
        frame[6] = (byte) (stream >>> 16);
        frame[7] = (byte) (stream >>> 8);
        frame[8] = (byte) stream;
        System.arraycopy(payload, 0, frame, 9, payload.length);
        return frame;
    }

    /**
     * The HPACK block of {@code GET path}: indexed :method GET and :scheme http, then :path and
     * :authority as literals without indexing of indexed names.
     */
    private static byte[] get(String path) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(0x82);
        block.write(0x86);
        literal(block, 4, path);
        literal(block, 1, "localhost");
        return block.toByteArray();
    }

    /** The HPACK block of {@code POST path} with a content type. */
    private static byte[] post(String path, String contentType) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(0x83);
        block.write(0x86);
        literal(block, 4, path);
        literal(block, 1, "localhost");
        literal(block, 31, contentType);
        return block.toByteArray();
    }

    private static void literal(ByteArrayOutputStream block, int nameIndex, String value) {
        // 0000 prefix: without indexing, name by index in 4 bits (15 and over continue)
        if (nameIndex < 15) {
            block.write(nameIndex);
        } else {
            block.write(15);
            block.write(nameIndex - 15); // under 128
        }
        block.write(value.length()); // short values only: no Huffman, one length byte
        block.writeBytes(value.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** One client connection and a thread that reads its frames until the server closes it. */
    private static final class Client implements AutoCloseable {
        final Socket socket;
        final OutputStream out;
        final DataInputStream in;
        final List<Integer> received = new CopyOnWriteArrayList<>();
        final CompletableFuture<Long> closed = new CompletableFuture<>();
        /** Completes once the server's SETTINGS are acknowledged. */
        final CompletableFuture<Void> settled = new CompletableFuture<>();
        final List<String> bodies = new CopyOnWriteArrayList<>();
        final List<String> goAway = new CopyOnWriteArrayList<>();

        Client() throws IOException {
            this(server.port());
        }

        Client(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            out = socket.getOutputStream();
            in = new DataInputStream(socket.getInputStream());
        }

        /** Sends the preface and an empty SETTINGS, then reads frames on a thread. */
        Client priorKnowledge() throws Exception {
            send(PREFACE, frame(SETTINGS, 0, 0, new byte[0]));
            readFrames();
            // the acknowledgement must not come between a HEADERS and its CONTINUATION
            settled.get(10, TimeUnit.SECONDS);
            return this;
        }

        /**
         * Upgrades with a GET of the live check (answered on stream 1), then sends the preface.
         */
        Client upgrade() throws Exception {
            send(("GET /v2/health/live HTTP/1.1\r\nHost: localhost\r\n"
                    + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                    + "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            String status = readLine();
            assertThat(status, containsString("101"));
            while (!readLine().isEmpty()) {
                // the rest of the 101's head
            }
            send(PREFACE, frame(SETTINGS, 0, 0, new byte[0]));
            readFrames();
            // the acknowledgement must not come between a HEADERS and its CONTINUATION
            settled.get(10, TimeUnit.SECONDS);
            return this;
        }

        private String readLine() throws IOException {
            StringBuilder line = new StringBuilder();
            for (int b; (b = in.read()) != '\n'; ) {
                if (b < 0) {
                    throw new IOException("closed during the 101: " + line);
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }

        private void readFrames() {
            long start = System.nanoTime();
            Thread.ofVirtual().start(() -> {
                try {
                    byte[] head = new byte[9];
                    while (true) {
                        in.readFully(head);
                        int length = (head[0] & 0xFF) << 16 | (head[1] & 0xFF) << 8
                                | (head[2] & 0xFF);
                        byte[] payload = new byte[length];
                        in.readFully(payload);
                        int type = head[3];
                        received.add(type);
                        if (type == SETTINGS && (head[4] & ACK) == 0) {
                            send(frame(SETTINGS, ACK, 0, new byte[0]));
                            settled.complete(null);
                        }
                        if (type == GOAWAY) {
                            goAway.add(new String(payload, 8, length - 8,
                                    StandardCharsets.UTF_8) + " (error " + payload[7] + ")");
                        }
                        if (type == DATA && length > 0) {
                            bodies.add(new String(payload, StandardCharsets.UTF_8));
                        }
                    }
                } catch (IOException e) {
                    // end of stream, or a reset: the server closed the connection
                }
                closed.complete((System.nanoTime() - start) / 1_000_000);
            });
        }

        synchronized void send(byte[]... frames) throws IOException {
            for (byte[] frame : frames) {
                out.write(frame);
            }
            out.flush();
        }

        /**
         * Sends a frame every {@link #EVERY_MILLIS} until the server closes the connection.
         *
         * @return how long after the first frame the server closed it
         * @throws AssertionError if it was still open after {@link #DRIBBLE_FOR}
         */
        long dribbleUntilClosed(byte[]... frames) throws Exception {
            long start = System.nanoTime();
            long end = start + DRIBBLE_FOR.toNanos();
            for (int i = 0; System.nanoTime() < end; i++) {
                try {
                    send(frames[i % frames.length]);
                } catch (IOException e) {
                    break; // closed under the write
                }
                try {
                    closed.get(EVERY_MILLIS, TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    // still open: dribble on
                }
            }
            try {
                closed.get(5, TimeUnit.SECONDS); // a reset write may come before the EOF
            } catch (TimeoutException e) {
                throw new AssertionError("the server held the connection for " + DRIBBLE_FOR
                        .toSeconds() + " s of dribbling; frames received: " + received);
            }
            return (System.nanoTime() - start) / 1_000_000;
        }

        @Override
        public String toString() {
            return "frames received: " + received + ", GOAWAY: " + goAway;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Eight bytes of PING payload. */
    private static byte[] ping() {
        return frame(PING, 0, 0, new byte[8]);
    }

    /** A connection-level WINDOW_UPDATE of one byte. */
    private static byte[] windowUpdate() {
        return frame(WINDOW_UPDATE, 0, 0, new byte[] {0, 0, 0, 1});
    }

    /**
     * A header block opened on {@code stream} and continued one byte at a time: each
     * CONTINUATION repeats {@code :scheme http} (0x86), so the block stays far below Helidon's
     * header list limit for minutes (it would be refused for the repeated pseudo-header, but it
     * never ends).
     */
    private static void dribbleHeaders(Client client, int stream) throws Exception {
        client.send(frame(HEADERS, END_STREAM, stream, get("/v2/health/live")));
        long millis = client.dribbleUntilClosed(frame(CONTINUATION, 0, stream,
                new byte[] {(byte) 0x86}));
        assertThat("closed after the header timeout; " + client, millis, greaterThan(
                HEADER_TIMEOUT.toMillis() - 200));
        assertThat("closed soon after the header timeout, well before the idle timeout",
                millis, lessThan(IDLE_TIMEOUT.toMillis()));
    }

    /** Case a: a header block that dribbles in CONTINUATION frames. */
    @Test
    void aHeaderBlockDribbledInContinuationsIsClosedAfterTheHeaderTimeout() throws Exception {
        try (Client client = new Client().priorKnowledge()) {
            dribbleHeaders(client, 1);
        }
        ApiTestSupport.assertServing(server);
    }

    /** Case a, after requests were answered on the connection: the clock is per header block. */
    @Test
    void aHeaderBlockDribbledAfterAnsweredRequestsIsClosed() throws Exception {
        try (Client client = new Client().priorKnowledge()) {
            for (int stream = 1; stream <= 5; stream += 2) {
                client.send(frame(HEADERS, END_STREAM | END_HEADERS, stream,
                        get("/v2/health/live")));
            }
            awaitBodies(client, 3);
            dribbleHeaders(client, 7);
        }
    }

    /**
     * Header blocks that each arrive within the timeout, one after another for longer than it,
     * are not closed: the clock is per block, not per connection.
     */
    @Test
    void headerBlocksEachInTimeAreServed() throws Exception {
        try (Client client = new Client().priorKnowledge()) {
            long start = System.nanoTime();
            int stream = 1;
            while (System.nanoTime() - start < 2 * HEADER_TIMEOUT.toNanos() + 500_000_000L) {
                byte[] block = get("/v2/health/live");
                client.send(frame(HEADERS, END_STREAM, stream, Arrays.copyOf(block, 2)));
                Thread.sleep(EVERY_MILLIS); // pacing the client, not waiting for the server
                client.send(frame(CONTINUATION, END_HEADERS, stream,
                        Arrays.copyOfRange(block, 2, block.length)));
                stream += 2;
            }
            awaitBodies(client, (stream - 1) / 2);
            assertThat(client.closed.isDone(), is(false));
        }
    }

    /** Case b: a connection that only pings (and updates windows, and settles settings). */
    @Test
    void aConnectionThatOnlyPingsIsClosedAfterTheIdleTimeout() throws Exception {
        try (Client client = new Client().priorKnowledge()) {
            client.dribbleUntilClosed(ping(), windowUpdate(), frame(SETTINGS, 0, 0,
                    new byte[0]));
            assertIdleClosed(client);
        }
    }

    /** Case b, after a request: the idle clock starts when the last stream closes. */
    @Test
    void aConnectionThatPingsAfterItsRequestIsClosedAfterTheIdleTimeout() throws Exception {
        try (Client client = new Client().priorKnowledge()) {
            client.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, get("/v2/health/live")));
            awaitBodies(client, 1);
            client.dribbleUntilClosed(ping());
            assertIdleClosed(client);
        }
    }

    /**
     * A stream the client leaves open after its answer (no END_STREAM from it), then pings: the
     * stream keeps Helidon from interrupting the connection's read, but the next frame after
     * the idle timeout ends it.
     */
    @Test
    void aStreamLeftOpenAfterItsAnswerThenPingsIsClosedAfterTheIdleTimeout() throws Exception {
        try (Client client = new Client().priorKnowledge()) {
            client.send(frame(HEADERS, END_HEADERS, 1, get("/v2/health/live")));
            awaitBodies(client, 1);
            client.dribbleUntilClosed(ping());
            assertIdleClosed(client);
        }
    }

    /**
     * An upload that dribbles one byte a frame: answered 408 after the upload timeout, then the
     * connection ends. Before, the 408 was a stream reset (its {@code Connection: close} is
     * malformed in HTTP/2), and Helidon read the rest of the body for as long as the client
     * dribbled, each DATA frame counting as activity.
     */
    @Test
    void anUploadDribbledPastItsTimeoutIsAnsweredAndClosed() throws Exception {
        try (Client client = new Client().priorKnowledge()) {
            client.send(frame(HEADERS, END_HEADERS, 1, post("/api/v1/classify", "image/png")));
            client.dribbleUntilClosed(frame(DATA, 0, 1, new byte[] {0}));
            assertThat(client.toString(), client.bodies.toString(),
                    containsString("UPLOAD_TIMEOUT"));
            // the connection ends with the 408, as HTTP/1's does (Connection: close)
            assertThat(client.toString(), client.closed.get(), lessThan(
                    UPLOAD_TIMEOUT.toMillis() + 2000));
        }
    }

    /**
     * A body announced over the limit is answered 413 with Kodiak's JSON over HTTP/2 too (its
     * {@code Connection: close}, which HTTP/2 forbids, made Helidon reset the stream instead).
     */
    @Test
    void anUploadOverTheLimitIsA413() throws Exception {
        try (Client client = new Client().priorKnowledge()) {
            ByteArrayOutputStream block = new ByteArrayOutputStream();
            block.writeBytes(post("/api/v1/classify", "image/png"));
            literal(block, 28, Integer.toString(2 * MAX_BODY)); // content-length
            client.send(frame(HEADERS, END_HEADERS, 1, block.toByteArray()));
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (client.bodies.isEmpty() && !client.closed.isDone()
                    && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertThat(client.toString(), client.bodies.toString(),
                    containsString("PAYLOAD_TOO_LARGE"));
        }
    }

    /**
     * A flood of empty CONTINUATION frames (which add nothing to Helidon's header list size, and
     * each of which Helidon keeps until the block ends) is refused at once, not after the header
     * timeout: on a server whose header and idle timeouts are a minute, so that only the frame
     * cap can close the connection within the 10 s the test waits.
     */
    @Test
    void aContinuationFloodIsClosedAtOnce() throws Exception {
        try (TestServer patient = TestServer.start(Map.of(
                "KODIAK_LIMITS_HEADER_TIMEOUT", "PT60S",
                "SERVER_IDLE_CONNECTION_TIMEOUT", "PT60S"));
                Client client = new Client(patient.port()).priorKnowledge()) {
            byte[] one = frame(CONTINUATION, 0, 1, new byte[0]);
            ByteArrayOutputStream flood = new ByteArrayOutputStream();
            flood.writeBytes(frame(HEADERS, 0, 1, get("/v2/health/live")));
            for (int i = 0; i < 10_000; i++) {
                flood.writeBytes(one);
            }
            long start = System.nanoTime();
            try {
                client.send(flood.toByteArray());
            } catch (IOException e) {
                // closed under the write
            }
            try {
                client.closed.get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("a header block of 10,000 frames still open after "
                        + (System.nanoTime() - start) / 1_000_000 + " ms; " + client, e);
            }
            ApiTestSupport.assertServing(patient);
        }
    }

    /** Case c: the same after {@code Upgrade: h2c} from HTTP/1.1. */
    @Test
    void afterAnUpgradeAHeaderBlockDribbledIsClosed() throws Exception {
        try (Client client = new Client().upgrade()) {
            awaitBodies(client, 1); // the upgrade request's answer, on stream 1
            dribbleHeaders(client, 3);
        }
        ApiTestSupport.assertServing(server);
    }

    /** Case c: pings only after an upgrade. */
    @Test
    void afterAnUpgradeAConnectionThatOnlyPingsIsClosed() throws Exception {
        try (Client client = new Client().upgrade()) {
            awaitBodies(client, 1);
            client.dribbleUntilClosed(ping(), windowUpdate());
            assertIdleClosed(client);
        }
    }

    private static void assertIdleClosed(Client client) throws Exception {
        long millis = client.closed.get(); // since the connection's start
        // Helidon's idle clock ticks once a second (DateTime.timestamp()), so up to 1 s early
        assertThat("closed after the idle timeout; " + client, millis, greaterThan(
                IDLE_TIMEOUT.toMillis() - 1200));
        // checked every second (a quarter of the timeout, at least 1 s)
        assertThat("closed soon after the idle timeout", millis, lessThan(
                IDLE_TIMEOUT.toMillis() + 3000));
    }

    /** Waits (at most 10 s) for {@code count} answers with a body. */
    private static void awaitBodies(Client client, int count) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (client.bodies.size() < count && System.nanoTime() < end
                && !client.closed.isDone()) {
            Thread.sleep(20);
        }
        assertThat("answers: " + client.bodies + ", frames: " + client.received,
                client.bodies.size(), is(count));
        for (String body : client.bodies) {
            assertThat(body, containsString("\"live\":true"));
        }
    }
}
