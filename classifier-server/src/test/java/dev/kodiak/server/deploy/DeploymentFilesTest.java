package dev.kodiak.server.deploy;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.server.KodiakServer;
import dev.kodiak.server.KodiakServerAccess;
import dev.kodiak.server.ServerSettings;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Kubernetes manifests and the Dockerfile agree with the server: ports, probe paths and
 * environment keys are read from the server's own configuration and checked against a running
 * server, not copied by hand.
 */
class DeploymentFilesTest {
    static final Path DEPLOY = Fixtures.root().resolve("deploy");

    static Config applicationYaml() {
        return Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.classpath("application.yaml")).build();
    }

    /** What the image runs with: application.yaml's defaults, no environment. */
    static ServerSettings defaults() {
        return ServerSettings.read(applicationYaml(), Map.of(), Fixtures.root());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> yaml(String file) throws Exception {
        return new Yaml().load(Files.readString(DEPLOY.resolve("k8s").resolve(file)));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> container() throws Exception {
        Map<String, Object> spec = (Map<String, Object>) ((Map<String, Object>) ((Map<String,
                Object>) yaml("deployment.yaml").get("spec")).get("template")).get("spec");
        return ((List<Map<String, Object>>) spec.get("containers")).get(0);
    }

    @SuppressWarnings("unchecked")
    static String probePath(Map<String, Object> container, String probe) {
        return (String) ((Map<String, Object>) ((Map<String, Object>) container.get(probe))
                .get("httpGet")).get("path");
    }

    @Test
    void everyManifestParsesAndNamesItsKind() throws Exception {
        Map<String, String> kinds = Map.of("deployment.yaml", "Deployment", "service.yaml",
                "Service", "hpa.yaml", "HorizontalPodAutoscaler", "pdb.yaml",
                "PodDisruptionBudget", "kustomization.yaml", "Kustomization");
        kinds.forEach((file, kind) -> {
            try {
                assertThat(file, yaml(file).get("kind"), is(kind));
            } catch (Exception e) {
                throw new AssertionError(file + " does not parse", e);
            }
        });
    }

    @Test
    @SuppressWarnings("unchecked")
    void portsProbesAndShutdownMatchTheServer() throws Exception {
        ServerSettings settings = defaults();
        Map<String, Object> container = container();
        int port = (Integer) ((List<Map<String, Object>>) container.get("ports")).get(0)
                .get("containerPort");
        assertThat("containerPort is the server's port", port, is(settings.port()));

        // the probe paths answer on a real server, and readiness is the readiness check
        try (var server = new Running()) {
            for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                String path = probePath(container, probe);
                assertThat(probe + " " + path, server.status(path), is(200));
            }
            assertThat(server.body(probePath(container, "readinessProbe")),
                    containsString("\"name\":\"models\""));
        }

        Map<String, Object> podSpec = (Map<String, Object>) ((Map<String, Object>) ((Map<String,
                Object>) yaml("deployment.yaml").get("spec")).get("template")).get("spec");
        int grace = (Integer) podSpec.get("terminationGracePeriodSeconds");
        List<String> preStop = (List<String>) ((Map<String, Object>) ((Map<String, Object>)
                ((Map<String, Object>) container.get("lifecycle")).get("preStop")).get("exec"))
                .get("command");
        long stop = Long.parseLong(preStop.get(1)) + settings.shutdownGrace().toSeconds()
                + KodiakServerAccess.modelDrain().toSeconds();
        assertThat("the pod outlives the preStop pause, the server's grace period and the "
                + "models' drain, with a margin", (long) grace, greaterThanOrEqualTo(stop + 5));
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyEnvironmentKeyIsOneTheServerReadsAndItsValueIsValid() throws Exception {
        Set<String> known = new java.util.HashSet<>(Set.of("JAVA_OPTS", "ENGINE_CACHE_DIR",
                "TORCH_CPP_LOG_LEVEL"));
        ServerSettings.KEYS.forEach(k -> known.add(ServerSettings.environmentVariable(k)));
        Map<String, String> env = new HashMap<>();
        for (Map<String, Object> e : (List<Map<String, Object>>) container().get("env")) {
            env.put((String) e.get("name"), String.valueOf(e.get("value")));
        }
        List<String> unknown = new ArrayList<>(env.keySet());
        unknown.removeAll(known);
        assertThat("environment variables the server does not read", unknown, is(empty()));
        // and the values pass the server's own checks (paths resolve as in the image's home)
        ServerSettings settings = ServerSettings.read(applicationYaml(), env, Fixtures.root());
        assertThat(settings.models().keySet(), not(empty()));
        assertThat(settings.intraOpThreads(), is(2));
    }

    @Test
    void serverKeysAreTheOnesItReads() {
        // every listed key changes the settings or is rejected by name when set wrongly
        for (String key : ServerSettings.KEYS) {
            String variable = ServerSettings.environmentVariable(key);
            try {
                ServerSettings.read(applicationYaml(), Map.of(variable, "!invalid!"),
                        Fixtures.root());
                assertThat(key + " accepted anything", key, is("server.host"));
            } catch (ServerSettings.InvalidSettingsException e) {
                assertThat(e.getMessage(), containsString(key));
            }
        }
        assertThat(ServerSettings.read(applicationYaml(), Map.of("SERVER_HOST", "127.0.0.1"),
                Fixtures.root()).host(), is("127.0.0.1"));
    }

    @Test
    void dockerfileIsMultiStagePinnedNonRootAndChecksReadiness() throws Exception {
        String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));
        Matcher from = Pattern.compile("(?m)^FROM (\\S+)").matcher(dockerfile);
        List<String> bases = new ArrayList<>();
        while (from.find()) {
            bases.add(from.group(1));
        }
        assertThat("build and run stages", bases.size(), is(2));
        for (String base : bases) {
            assertThat(base + " is pinned to a release", base.matches(
                    ".+:\\d+\\.\\d+\\.\\d+[^\\s]*"), is(true));
        }
        ServerSettings settings = defaults();
        assertThat(dockerfile, containsString("EXPOSE " + settings.port()));
        Matcher user = Pattern.compile("(?m)^USER (\\S+)").matcher(dockerfile);
        assertThat(user.find(), is(true));
        assertThat("runs as a non-root user", user.group(1).startsWith("0"), is(false));
        assertThat(container().get("image").toString(), containsString("kodiak-server"));
        Matcher health = Pattern.compile("curl -fsS http://127\\.0\\.0\\.1:(\\d+)(\\S+)")
                .matcher(dockerfile);
        assertThat(health.find(), is(true));
        assertThat(Integer.parseInt(health.group(1)), is(settings.port()));
        assertThat("HEALTHCHECK uses the readiness probe of the manifests", health.group(2),
                is(probePath(container(), "readinessProbe")));
    }

    /** The server with application.yaml's defaults on a free port. */
    static final class Running implements AutoCloseable {
        private final KodiakServer server;
        private final HttpClient http = HttpClient.newHttpClient();

        Running() throws Exception {
            server = KodiakServer.start(ServerSettings.read(applicationYaml(),
                    Map.of("SERVER_PORT", "0"), Fixtures.root()), e -> {
                        throw new AssertionError(e);
                    });
            assertThat(server.awaitReady(Duration.ofSeconds(120)), is(true));
        }

        int status(String path) throws Exception {
            return send(path).statusCode();
        }

        String body(String path) throws Exception {
            return send(path).body();
        }

        private HttpResponse<String> send(String path) throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + server.port() + path)).build(), HttpResponse.BodyHandlers.ofString());
        }

        @Override
        public void close() {
            server.stop();
        }
    }
}
