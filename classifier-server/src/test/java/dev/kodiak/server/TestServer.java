package dev.kodiak.server;

import dev.kodiak.core.testing.Fixtures;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/** A real Kodiak server on a free port, and a real HTTP client for it. */
final class TestServer implements AutoCloseable {
    static final String MODELS = "fashion-mnist=models/fashion-mnist,"
            + "tiny-rgb=testdata/bundles/tiny-rgb";

    private final KodiakServer server;
    private final HttpClient client = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10)).build();

    private TestServer(KodiakServer server) {
        this.server = server;
    }

    /** The settings application.yaml gives, with both test models, on port 0. */
    static ServerSettings settings(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(Map.of("KODIAK_MODELS", MODELS, "SERVER_PORT", "0"));
        all.putAll(env);
        Config config = Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.classpath("application.yaml")).build();
        return ServerSettings.read(config, all, Fixtures.root());
    }

    static TestServer start(Map<String, String> env) throws InterruptedException {
        return start(settings(env), UnaryOperator.identity());
    }

    static TestServer start(ServerSettings settings, UnaryOperator<ServerSettings> change)
            throws InterruptedException {
        KodiakServer server = KodiakServer.start(change.apply(settings), failure -> {
            throw new AssertionError("model failed to load", failure);
        });
        if (!server.awaitReady(Duration.ofSeconds(120))) {
            server.stop();
            throw new AssertionError("models did not load in 120 s");
        }
        return new TestServer(server);
    }

    int port() {
        return server.port();
    }

    KodiakServer server() {
        return server;
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String contentType, byte[] body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> postJson(String path, String json) throws Exception {
        return post(path, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    HttpResponse<String> postMultipart(String path, String field, String fileName, byte[] file)
            throws Exception {
        String boundary = "kodiak-test-boundary-7d2f";
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
                + "ignored\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field
                + "\"; filename=\"" + fileName + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[head.length + file.length + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(file, 0, body, head.length, file.length);
        System.arraycopy(tail, 0, body, head.length + file.length, tail.length);
        return post(path, "multipart/form-data; boundary=" + boundary, body);
    }

    static JsonObject json(HttpResponse<String> response) {
        try {
            return Json.createReader(new StringReader(response.body())).readObject();
        } catch (RuntimeException e) {
            throw new AssertionError("not JSON (" + response.statusCode() + "): "
                    + response.body(), e);
        }
    }

    static String errorCode(HttpResponse<String> response) {
        return json(response).getJsonObject("error").getString("code");
    }

    @Override
    public void close() {
        server.stop();
    }
}
