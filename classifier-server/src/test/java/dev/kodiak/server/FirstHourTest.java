package dev.kodiak.server;

import static dev.kodiak.server.TestServer.errorCode;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kodiak.core.testing.Fixtures;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a new user of the server trips on in the first hour (issue 24, items 1 to 4). */
class FirstHourTest {
    static TestServer server;
    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static Config jarConfig() {
        return Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.classpath("application.yaml")).build();
    }

    private static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    /** Item 1: a relative bundle path is the working directory's, as with every CLI. */
    @Test
    void relativeBundlePathsResolveAgainstTheWorkingDirectoryFirst() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path work = Files.createDirectories(tmp.resolve("work"));
        copy(Fixtures.tinyBundle(), work.resolve("models/my-model"));
        ServerSettings settings = ServerSettings.read(jarConfig(),
                Map.of("KODIAK_MODELS", "my-model=models/my-model"), work, home);
        assertThat(settings.models().get("my-model"), is(work.resolve("models/my-model")));

        // the bundled default lives in Kodiak's home, not where the server is started
        copy(Fixtures.tinyBundle(), home.resolve("models/fashion-mnist"));
        ServerSettings defaults = ServerSettings.read(jarConfig(), Map.of(), work, home);
        assertThat(defaults.models().get("fashion-mnist"),
                is(home.resolve("models/fashion-mnist")));

        ServerSettings.InvalidSettingsException e = assertThrows(
                ServerSettings.InvalidSettingsException.class, () -> ServerSettings.read(
                        jarConfig(), Map.of("KODIAK_MODELS", "pets=models/pets"), work, home));
        assertThat(e.getMessage(), containsString("kodiak.models.pets (env KODIAK_MODELS "
                + "(name=path pairs)) is 'models/pets' (looked for as '"
                + work.resolve("models/pets") + "' from the working directory and as '"
                + home.resolve("models/pets") + "' from Kodiak's home) but must be the path of "
                + "an existing bundle directory or zip"));
    }

    /** Item 2: which model is the default, and why, is in the model list. */
    @Test
    void theDefaultModelAndWhyAreShown() throws Exception {
        String models = server.get("/api/v1/models").body();
        assertThat(models, containsString("\"default\":\"fashion-mnist\""));
        assertThat(models, containsString("\"default_reason\":\"the first model of "
                + "kodiak.models; set kodiak.default-model (env KODIAK_DEFAULT_MODEL) to choose "
                + "another\""));
        ServerSettings chosen = TestServer.settings(Map.of("KODIAK_DEFAULT_MODEL", "tiny-rgb"));
        assertThat(chosen.defaultModelReason(), is("set by kodiak.default-model (env "
                + "KODIAK_DEFAULT_MODEL)"));
    }

    /** Item 3: health and metrics polls are counted as what they are, not as the blog. */
    @Test
    void healthAndMetricsPollsAreLabelledAsSuch() throws Exception {
        server.get("/observe/health/ready");
        server.get("/observe/health/live");
        server.get("/observe/metrics");
        String metrics = server.get("/observe/metrics").body();
        assertThat(metrics, containsString("route=\"/observe/health\""));
        assertThat(metrics, containsString("route=\"/observe/metrics\""));
        for (String line : metrics.lines().filter(l -> l.startsWith("kodiak_requests_total"))
                .toList()) {
            assertThat(line, not(containsString("route=\"/observe\"")));
        }
    }

    /** Item 4: a misspelt parameter is a 400 naming it and the nearest known one. */
    @Test
    void aMisspeltParameterIsABadRequestNamingTheNearestOne() throws Exception {
        byte[] png = Fixtures.image("png-rgb8.png").bytes();
        HttpResponse<String> topk = server.post("/api/v1/classify?topk=2", "image/png", png);
        assertThat(topk.statusCode(), is(400));
        assertThat(errorCode(topk), is("INVALID_PARAMETER"));
        assertThat(topk.body(), containsString("Unknown parameter 'topk' in the query string; "
                + "did you mean 'top_k'?"));
        HttpResponse<String> other = server.post("/api/v1/classify?colour=red", "image/png",
                png);
        assertThat(other.statusCode(), is(400));
        assertThat(other.body(), containsString("Unknown parameter 'colour' in the query "
                + "string; this route takes labels, prepared, threshold, top_k"));
        HttpResponse<String> json = server.postJson("/api/v1/classify", "{\"image\": \""
                + java.util.Base64.getEncoder().encodeToString(png) + "\", \"treshold\": 0.5, "
                + "\"client\": \"my-app\"}");
        assertThat(json.statusCode(), is(400));
        assertThat(json.body(), containsString("'treshold' in the body; did you mean "
                + "'threshold'?"));
        HttpResponse<String> predict = server.post("/predict?top_k=2", "image/png", png);
        assertThat(predict.statusCode(), is(400));
        // fields of the client's own are not parameters: ignored
        assertThat(server.postJson("/api/v1/classify", "{\"image\": \""
                + java.util.Base64.getEncoder().encodeToString(png) + "\", \"client\": "
                + "\"my-app\"}").statusCode(), is(200));
        assertThat(server.post("/api/v1/classify?top_k=2", "image/png", png).statusCode(),
                is(200));
    }
}
