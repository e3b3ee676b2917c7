package dev.kodiak.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kodiak.core.testing.Fixtures;
import io.helidon.health.HealthCheckResponse;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start, readiness, CORS, bad configuration and graceful stop. */
class LifecycleTest {
    @TempDir
    Path tmp;

    /** Every "(env NAME)" in a message is a variable the server reads. */
    static void assertHintsNameVariablesTheServerReads(String message) {
        java.util.Set<String> read = new java.util.HashSet<>();
        ServerSettings.KEYS.forEach(k -> read.add(ServerSettings.environmentVariable(k)));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\(env ([A-Z_]+)")
                .matcher(message);
        int hints = 0;
        while (m.find()) {
            hints++;
            assertThat(m.group(1) + " is read by the server", read.contains(m.group(1)),
                    is(true));
        }
        assertThat("the message names variables", hints > 0, is(true));
    }

    @Test
    void stopLetsInFlightRequestsFinishAndRefusesNewOnes() throws Exception {
        TestServer server = TestServer.start(Map.of());
        int port = server.port();
        byte[] image = Fixtures.image("png-rgb8.png").bytes();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            // Expect: 100-continue makes the handler say when it starts reading the body
            out.write(("POST /api/v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
                    + "Expect: 100-continue\r\nContent-Length: " + image.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            assertThat("the request is in flight", readUntil(in, "\r\n\r\n"),
                    containsString("100 Continue"));
            out.write(image, 0, image.length / 2);
            out.flush();

            CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::close);
            long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            boolean refused = false;
            while (!refused && System.nanoTime() < until) {
                try {
                    new Socket("127.0.0.1", port).close();
                } catch (ConnectException e) {
                    refused = true; // the listener has closed
                }
            }
            assertThat("new connections are refused while stopping", refused, is(true));
            assertThat("the in-flight request is still being waited for", stopping.isDone(),
                    is(false));

            out.write(image, image.length / 2, image.length - image.length / 2);
            out.flush();
            String response = readResponse(in);
            assertThat(response, response.startsWith("HTTP/1.1 200"), is(true));
            assertThat(response, containsString("\"predictions\""));
            stopping.get();
        }
    }

    private static String readUntil(InputStream in, String end) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        for (int b; (b = in.read()) >= 0; ) {
            got.write(b);
            if (got.toString(StandardCharsets.ISO_8859_1).endsWith(end)) {
                break;
            }
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    private static String readResponse(InputStream in) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) > 0; ) {
            got.write(buffer, 0, n);
            String text = got.toString(StandardCharsets.ISO_8859_1);
            if (text.contains("\r\n\r\n") && text.trim().endsWith("}")) {
                break;
            }
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void readyOnlyOnceModelsAreLoaded() throws Exception {
        ServerSettings settings = TestServer.settings(Map.of());
        DecodeStage decodes = new DecodeStage(1, new MemoryBudget("decoding", 64L << 20),
                Duration.ZERO, settings.maxPixels());
        ModelManager registry = new ModelManager(settings, new ServerMetrics(), decodes,
                e -> { throw new AssertionError(e); });
        try {
            assertThat(registry.ready(), is(false));
            HealthCheckResponse loading = KodiakServerAccess.readiness(registry);
            assertThat(loading.status(), is(HealthCheckResponse.Status.DOWN));
            assertThat(loading.details().get("fashion-mnist"), is("loading"));
            registry.startLoading();
            assertThat(registry.awaitReady(Duration.ofSeconds(120)), is(true));
            assertThat(KodiakServerAccess.readiness(registry).status(),
                    is(HealthCheckResponse.Status.UP));
        } finally {
            registry.close();
            decodes.close();
        }
    }

    @Test
    void corsAllowsTheConfiguredOriginsOnly() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        try (TestServer open = TestServer.start(Map.of())) {
            HttpResponse<String> preflight = client.send(preflight(open.uri(
                    "/api/v1/classify"), "https://someones.blog"), HttpResponse.BodyHandlers.ofString());
            assertThat(preflight.statusCode(), is(200));
            assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin").orElse(""),
                    org.hamcrest.Matchers.anyOf(is("*"), is("https://someones.blog")));
        }
        try (TestServer strict = TestServer.start(Map.of("KODIAK_CORS_ALLOW_ORIGINS",
                "https://blog.example"))) {
            HttpResponse<String> allowed = client.send(preflight(strict.uri("/api/v1/classify"),
                    "https://blog.example"), HttpResponse.BodyHandlers.ofString());
            assertThat(allowed.statusCode(), is(200));
            assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin").orElse(""),
                    is("https://blog.example"));
            HttpResponse<String> other = client.send(preflight(strict.uri("/api/v1/classify"),
                    "https://evil.example"), HttpResponse.BodyHandlers.ofString());
            assertThat(other.statusCode(), is(403));
            assertThat(other.headers().firstValue("Access-Control-Allow-Origin").isPresent(),
                    is(false));
        }
    }

    private static HttpRequest preflight(URI uri, String origin) {
        return HttpRequest.newBuilder(uri).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", origin).header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type").build();
    }

    @Test
    void badConfigurationNamesEveryKey() {
        ServerSettings.InvalidSettingsException e = assertThrows(
                ServerSettings.InvalidSettingsException.class, () -> TestServer.settings(Map.of(
                        "SERVER_PORT", "eighty",
                        "KODIAK_LIMITS_REQUEST_TIMEOUT", "10s",
                        "KODIAK_BATCHING_MAX_BATCH_SIZE", "0",
                        "KODIAK_DEFAULT_MODEL", "cats",
                        "KODIAK_CORS_ALLOW_ORIGINS", "blog.example",
                        "KODIAK_LIMITS_BODY_MEMORY", "1000000")));
        for (String part : new String[] {
            "server.port (env SERVER_PORT) is 'eighty' but must be a port number",
            "kodiak.limits.request-timeout (env KODIAK_LIMITS_REQUEST_TIMEOUT) is '10s' but must "
                    + "be an ISO-8601 duration such as PT10S",
            "kodiak.batching.max-batch-size (env KODIAK_BATCHING_MAX_BATCH_SIZE) is '0'",
            "kodiak.default-model (env KODIAK_DEFAULT_MODEL) is 'cats' but must be one of "
                    + "[fashion-mnist, tiny-rgb]",
            "kodiak.cors.allow-origins (env KODIAK_CORS_ALLOW_ORIGINS) is 'blog.example'",
            "kodiak.limits.body-memory (env KODIAK_LIMITS_BODY_MEMORY) is '1000000' but must be "
                + "at least twice kodiak.limits.max-body-bytes (20971520)"}) {
            assertThat(e.getMessage(), containsString(part));
        }
        assertHintsNameVariablesTheServerReads(e.getMessage());
    }

    @Test
    void missingOrBrokenBundleFailsTheStartNamingTheModelKey() throws Exception {
        ServerSettings.InvalidSettingsException missing = assertThrows(
                ServerSettings.InvalidSettingsException.class, () -> TestServer.settings(Map.of(
                        "KODIAK_MODELS", "pets=nowhere/pets")));
        assertThat(missing.getMessage(), containsString("kodiak.models.pets (env KODIAK_MODELS "
                + "(name=path pairs)) is '" + Fixtures.root().resolve("nowhere/pets") + "' but "
                + "must be the path of an existing bundle directory or zip"));
        assertHintsNameVariablesTheServerReads(missing.getMessage());

        Path broken = Files.createDirectories(tmp.resolve("broken"));
        Files.copy(Fixtures.tinyBundle().resolve("kodiak.json"), broken.resolve("kodiak.json"));
        Files.copy(Fixtures.tinyBundle().resolve("model.onnx"), broken.resolve("model.onnx"));
        Files.write(broken.resolve("model.pt"), new byte[] {1, 2, 3});
        ServerSettings settings = TestServer.settings(Map.of("KODIAK_MODELS",
                "broken=" + broken));
        ServerSettings.InvalidSettingsException e = assertThrows(
                ServerSettings.InvalidSettingsException.class,
                () -> KodiakServer.start(settings, failure -> { }));
        assertThat(e.getMessage(), containsString("kodiak.models.broken: "
                + broken.resolve("model.pt") + " has sha256 "));
    }

    @Test
    void environmentOverridesTheYamlDefaults() {
        ServerSettings defaults = TestServer.settings(Map.of());
        assertThat(defaults.maxBodyBytes(), is(10_485_760L));
        assertThat(defaults.batching().maxWait(), is(Duration.ofMillis(5)));
        ServerSettings changed = TestServer.settings(Map.of("KODIAK_LIMITS_MAX_BODY_BYTES",
                "2048", "KODIAK_BATCHING_ENABLED", "false", "KODIAK_DEFAULT_MODEL", "tiny-rgb"));
        assertThat(changed.maxBodyBytes(), is(2048L));
        assertThat(changed.batching().enabled(), is(false));
        assertThat(changed.defaultModel(), is("tiny-rgb"));
        assertThat(changed.models().keySet().toString(), is("[fashion-mnist, tiny-rgb]"));
    }
}
