package dev.kodiak.server;

import static dev.kodiak.server.TestServer.errorCode;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;

import dev.kodiak.core.testing.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server's findings of the security review (issue 21, items 7 to 11), each against a real
 * server over real sockets: a JSON number Parsson refuses, uploads that announce a size and
 * stall, bodies whose parsing would cost more than their size, slow headers, and an error that
 * echoed every part name.
 */
class HardeningTest {
    /** Two bodies of this size fill the body budget (body-memory is twice it). */
    private static final int MAX_BODY = 200_000;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of("KODIAK_LIMITS_MAX_BODY_BYTES",
                Integer.toString(MAX_BODY), "KODIAK_LIMITS_BODY_MEMORY",
                Integer.toString(2 * MAX_BODY), "KODIAK_LIMITS_UPLOAD_TIMEOUT", "PT20S",
                "KODIAK_LIMITS_HEADER_TIMEOUT", "PT1S", "SERVER_IDLE_CONNECTION_TIMEOUT", "PT2S"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static byte[] png() throws IOException {
        return Fixtures.image("png-rgb8.png").bytes();
    }

    /** Item 7: a number of more than 1,100 digits made Parsson throw a 500. */
    @Test
    void aNumberOfThousandsOfDigitsIsABadRequestNotA500() throws Exception {
        String digits = "9".repeat(1101);
        String image = Base64.getEncoder().encodeToString(png());
        for (String body : List.of(
                "{\"image\": \"" + image + "\", \"top_k\": " + digits + "}",
                "{\"image\": \"" + image + "\", \"threshold\": " + digits + "}",
                "{\"image\": \"" + image + "\", \"other\": " + digits + "}",
                "{\"image\": " + digits + "}",
                "{\"image\": \"" + image + "\", \"top_k\": 1e" + digits + "}")) {
            HttpResponse<String> response = server.postJson("/api/v1/classify", body);
            assertThat(body.substring(body.length() - 20), response.statusCode(),
                    is(body.contains("other") ? 200 : 400));
        }
        ApiTestSupport.assertServing(server);
    }

    /**
     * Item 8: two uploads that announce the largest body and send nothing used to reserve the
     * whole body budget before a byte arrived, so every other upload got 503 until they timed
     * out. Memory is reserved as bytes arrive now.
     */
    @Test
    void uploadsThatAnnounceTheLimitAndStallDoNotBlockOthers() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Socket socket = new Socket("127.0.0.1", server.port());
                socket.getOutputStream().write(("POST /api/v1/classify HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Type: image/png\r\nContent-Length: " + MAX_BODY + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().write(new byte[100]); // a start, then nothing
                socket.getOutputStream().flush();
                stalled.add(socket);
            }
            // both handlers are reading their bodies by now; a 1 KB PNG still gets its answer
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> response = server.post("/api/v1/classify", "image/png",
                        png());
                assertThat(response.body(), response.statusCode(), is(200));
            }
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
    }

    /** Item 10: a client that dribbles its headers is closed after the header timeout. */
    @Test
    void aClientDribblingItsHeadersIsClosed() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(200);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write("GET /api/v1/models HTTP/1.1\r\nHost: x\r\n".getBytes(
                    StandardCharsets.ISO_8859_1));
            long start = System.nanoTime();
            boolean closed = false;
            for (int i = 0; i < 100 && !closed; i++) { // at most 100 lines, 20 s
                try {
                    out.write(("X-Slow-" + i + ": 1\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    closed = in.read() < 0;
                } catch (SocketTimeoutException e) {
                    // the server is still waiting for the rest: dribble on
                } catch (IOException e) {
                    closed = true; // reset: the server closed its end
                }
            }
            assertThat("the server closed the connection", closed, is(true));
            assertThat(Duration.ofNanos(System.nanoTime() - start).toMillis(), lessThan(8000L));
        }
        ApiTestSupport.assertServing(server);
    }

    /** Item 10: a connection that sends nothing is closed after the idle timeout. */
    @Test
    void aSilentConnectionIsClosedWhenIdle() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(15_000);
            long start = System.nanoTime();
            assertThat(socket.getInputStream().read(), is(-1));
            assertThat(Duration.ofNanos(System.nanoTime() - start).toMillis(), lessThan(12_000L));
        }
    }

    /** Item 11: a form of many parts without an image named every part in its answer. */
    @Test
    void aMissingImageNamesAFewPartsNotAll() throws Exception {
        String boundary = "b0undary";
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            body.append("--").append(boundary).append("\r\nContent-Disposition: form-data; "
                    + "name=\"part").append(i).append("\"\r\n\r\n\r\n");
        }
        body.append("--").append(boundary).append("--\r\n");
        HttpResponse<String> response = server.post("/api/v1/classify",
                "multipart/form-data; boundary=" + boundary,
                body.toString().getBytes(StandardCharsets.UTF_8));
        assertThat(response.statusCode(), is(400));
        assertThat(errorCode(response), is("MISSING_FIELD"));
        assertThat(response.body(), containsString("part0, part1"));
        assertThat(response.body(), containsString("and 1990 more parts"));
        assertThat(response.body(), not(containsString("part1999")));
        assertThat(response.body().length(), lessThan(600));
    }

    /** Item 9: the image of a JSON body is decoded straight from the body, escapes and all. */
    @Test
    void jsonImagesDecodeWithTheEscapesEncodersWrite() throws Exception {
        byte[] png = png();
        String standard = Base64.getEncoder().encodeToString(png);
        String wrapped = Base64.getMimeEncoder().encodeToString(png).replace("\r\n", "\\n");
        String solidus = standard.replace("/", "\\/");
        String urlSafe = Base64.getUrlEncoder().withoutPadding().encodeToString(png);
        String expected = server.post("/api/v1/classify?top_k=2", "image/png", png).body();
        for (String image : List.of(standard, wrapped, solidus, urlSafe,
                "data:image\\/png;base64," + solidus, " " + standard + "\\n")) {
            HttpResponse<String> response = server.postJson("/api/v1/classify",
                    "{\"top_k\": 2, \"image\": \"" + image + "\"}");
            assertThat(image.substring(0, 12), response.statusCode(), is(200));
            assertThat(predictions(response.body()), is(predictions(expected)));
        }
        HttpResponse<String> bad = server.postJson("/api/v1/classify",
                "{\"image\": \"iVBOR!w0KGgo=\"}");
        assertThat(bad.statusCode(), is(400));
        assertThat(errorCode(bad), is("INVALID_BASE64"));
        assertThat(bad.body(), containsString("'!' at position 6"));
        HttpResponse<String> twice = server.postJson("/api/v1/classify",
                "{\"image\": \"" + standard + "\", \"image\": \"" + standard + "\"}");
        assertThat(twice.statusCode(), is(400));
        assertThat(errorCode(twice), is("INVALID_JSON"));
        HttpResponse<String> trailing = server.postJson("/api/v1/classify",
                "{\"image\": \"" + standard + "\"} {}");
        assertThat(trailing.statusCode(), is(400));
        assertThat(errorCode(trailing), is("INVALID_JSON"));
    }

    private static String predictions(String json) {
        int at = json.indexOf("\"predictions\"");
        return json.substring(at, json.indexOf(']', at) + 1);
    }
}
