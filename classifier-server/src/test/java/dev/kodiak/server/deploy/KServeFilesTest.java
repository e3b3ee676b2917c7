package dev.kodiak.server.deploy;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;

import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.server.KodiakServer;
import dev.kodiak.server.ServerSettings;
import dev.kodiak.server.grpc.GRPCInferenceServiceGrpc;
import dev.kodiak.server.grpc.ModelReadyRequest;
import dev.kodiak.server.grpc.ServerLiveRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The KServe files ({@code deploy/kserve/}) agree with the server: each InferenceService is run
 * as KServe would run it (the runtime's container with the InferenceService's model fields
 * merged in, {@code {{.Name}}} filled from its metadata, {@code /mnt/models} holding what its
 * storage URI holds) on a real server, whose probes, protocol and model must then answer; every
 * environment variable is a key the server reads; ports and protocol versions match.
 */
class KServeFilesTest {
    static final Path KSERVE = Fixtures.root().resolve("deploy/kserve");
    static final String MODELS_MOUNT = "/mnt/models";
    /** What KServe's template sees: the InferenceService's ObjectMeta. */
    static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{(.*?)}}");
    static final Pattern OBJECT_META = Pattern.compile(
            "\\s*\\.(Name|Namespace|Labels\\.\\w+|Annotations\\.\\w+)\\s*");

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> documents(String file) throws Exception {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(Files.readString(KSERVE.resolve(file)))) {
            docs.add((Map<String, Object>) doc);
        }
        return docs;
    }

    static Map<String, Object> only(String file, String kind) throws Exception {
        List<Map<String, Object>> found = documents(file).stream()
                .filter(d -> kind.equals(d.get("kind"))).toList();
        assertThat(file + " holds one " + kind, found.size(), is(1));
        return found.get(0);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> node, String... path) {
        Map<String, Object> at = node;
        for (String key : path) {
            at = (Map<String, Object>) at.get(key);
        }
        return at;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> node, String key) {
        Object value = node.get(key);
        return value == null ? List.of() : (List<Map<String, Object>>) value;
    }

    static Map<String, Object> runtime() throws Exception {
        return only("serving-runtime.yaml", "ServingRuntime");
    }

    static Map<String, Object> runtimeContainer() throws Exception {
        List<Map<String, Object>> containers = list(map(runtime(), "spec"), "containers");
        assertThat(containers.size(), is(1));
        assertThat("KServe's name for the serving container", containers.get(0).get("name"),
                is("kserve-container"));
        return containers.get(0);
    }

    /** Every InferenceService, by file. */
    static Map<String, Map<String, Object>> inferenceServices() throws Exception {
        Map<String, Map<String, Object>> all = new LinkedHashMap<>();
        for (String file : List.of("inference-service.yaml", "inference-service-grpc.yaml",
                "model-repository.yaml")) {
            all.put(file, only(file, "InferenceService"));
        }
        return all;
    }

    static Map<String, String> env(List<Map<String, Object>> entries) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Map<String, Object> e : entries) {
            env.put((String) e.get("name"), String.valueOf(e.get("value")));
        }
        return env;
    }

    /**
     * The environment KServe gives the container for an InferenceService: the runtime's env
     * with the model's entries merged over it by name (a strategic merge), then the template
     * filled from the InferenceService's metadata.
     */
    static Map<String, String> environment(Map<String, Object> isvc) throws Exception {
        Map<String, String> env = env(list(runtimeContainer(), "env"));
        env.putAll(env(list(map(isvc, "spec", "predictor", "model"), "env")));
        String name = (String) map(isvc, "metadata").get("name");
        Map<String, String> filled = new LinkedHashMap<>();
        env.forEach((k, v) -> filled.put(k, v.replace("{{.Name}}", name)));
        return filled;
    }

    @Test
    void everyFileParsesAndNamesItsKind() throws Exception {
        assertThat(runtime().get("apiVersion"), is("serving.kserve.io/v1alpha1"));
        for (Map<String, Object> isvc : inferenceServices().values()) {
            assertThat(isvc.get("apiVersion"), is("serving.kserve.io/v1beta1"));
        }
        assertThat(only("model-repository.yaml", "PersistentVolumeClaim").get("apiVersion"),
                is("v1"));
    }

    @Test
    void theRuntimeSpeaksBothProtocolsOnTheServersPort() throws Exception {
        Map<String, Object> container = runtimeContainer();
        @SuppressWarnings("unchecked")
        List<String> protocols = (List<String>) map(runtime(), "spec").get("protocolVersions");
        assertThat(protocols, hasItems("v2", "grpc-v2"));
        List<Map<String, Object>> ports = list(container, "ports");
        assertThat("Knative exposes one port", ports.size(), is(1));
        assertThat(ports.get(0).get("name"), is("http1"));
        int port = (Integer) ports.get(0).get("containerPort");
        ServerSettings settings = ServerSettings.read(DeploymentFilesTest.applicationYaml(),
                mounted(environment(inferenceServices().get("inference-service.yaml")),
                        Fixtures.root().resolve("testdata/bundles/tiny-rgb")), Fixtures.root());
        assertThat("containerPort is the port the server listens on", port,
                is(settings.port()));
        for (String probe : List.of("readinessProbe", "livenessProbe")) {
            assertThat(probe + " on the container's port", map(container, probe, "httpGet")
                    .get("port"), is(port));
        }
        assertThat(map(container, "readinessProbe", "httpGet").get("path"),
                is("/v2/health/ready"));
        assertThat(map(container, "livenessProbe", "httpGet").get("path"),
                is("/v2/health/live"));
        assertThat(map(runtime(), "spec", "annotations").get("prometheus.kserve.io/port"),
                is(Integer.toString(port)));
    }

    @Test
    void templatePlaceholdersAreKServes() throws Exception {
        String text = Files.readString(KSERVE.resolve("serving-runtime.yaml"));
        Matcher m = PLACEHOLDER.matcher(text);
        List<String> found = new ArrayList<>();
        while (m.find()) {
            found.add(m.group());
            assertThat(m.group() + " is a field of the InferenceService's ObjectMeta",
                    OBJECT_META.matcher(m.group(1)).matches(), is(true));
        }
        assertThat(found, hasItem("{{.Name}}"));
        for (String file : inferenceServices().keySet()) {
            assertThat(file + " is not a template (comments aside)", PLACEHOLDER.matcher(
                    new Yaml().dump(documents(file))).find(), is(false));
        }
    }

    @Test
    void everyEnvironmentVariableIsAKeyTheServerReads() throws Exception {
        Set<String> known = new HashSet<>(Set.of("JAVA_OPTS"));
        ServerSettings.KEYS.forEach(k -> known.add(ServerSettings.environmentVariable(k)));
        List<String> unknown = new ArrayList<>(env(list(runtimeContainer(), "env")).keySet());
        for (Map<String, Object> isvc : inferenceServices().values()) {
            unknown.addAll(env(list(map(isvc, "spec", "predictor", "model"), "env")).keySet());
        }
        unknown.removeAll(known);
        assertThat("environment variables the server does not read", unknown, is(empty()));
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyInferenceServiceRunsOnTheRuntime() throws Exception {
        String runtimeName = (String) map(runtime(), "metadata").get("name");
        List<String> formats = list(map(runtime(), "spec"), "supportedModelFormats").stream()
                .map(f -> (String) f.get("name")).toList();
        List<String> protocols = (List<String>) map(runtime(), "spec").get("protocolVersions");
        int port = (Integer) list(runtimeContainer(), "ports").get(0).get("containerPort");
        for (Map.Entry<String, Map<String, Object>> e : inferenceServices().entrySet()) {
            Map<String, Object> model = map(e.getValue(), "spec", "predictor", "model");
            assertThat(e.getKey(), model.get("runtime"), is(runtimeName));
            assertThat(e.getKey(), formats, hasItem((String) map(model, "modelFormat")
                    .get("name")));
            assertThat(e.getKey(), protocols, hasItem((String) model.get("protocolVersion")));
            assertThat(e.getKey() + " has a storageUri", model.get("storageUri"),
                    notNullValue());
            for (Map<String, Object> p : list(model, "ports")) {
                assertThat(e.getKey() + " renames the runtime's port, not another",
                        p.get("containerPort"), is(port));
                if ("grpc-v2".equals(model.get("protocolVersion"))) {
                    assertThat("gRPC needs HTTP/2 from Knative", p.get("name"), is("h2c"));
                }
            }
            if ("grpc-v2".equals(model.get("protocolVersion"))) {
                assertThat(e.getKey() + " names its port h2c", list(model, "ports").size(),
                        is(1));
            }
        }
    }

    @Test
    void aBundleFromAStorageUriServesUnderTheInferenceServicesName(@TempDir Path mnt)
            throws Exception {
        copy(Fixtures.root().resolve("testdata/bundles/tiny-rgb"), mnt);
        for (String file : List.of("inference-service.yaml", "inference-service-grpc.yaml")) {
            Map<String, Object> isvc = inferenceServices().get(file);
            String name = (String) map(isvc, "metadata").get("name");
            try (Running server = new Running(environment(isvc), mnt)) {
                server.probesAnswer();
                assertThat(file, server.status("/v2"), is(200));
                assertThat(file, server.status("/v2/models/" + name + "/ready"), is(200));
                if (file.contains("grpc")) {
                    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1",
                            server.port()).usePlaintext().build();
                    try {
                        var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel)
                                .withDeadlineAfter(60, TimeUnit.SECONDS);
                        assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance())
                                .getLive(), is(true));
                        assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName(name)
                                .build()).getReady(), is(true));
                    } finally {
                        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
                    }
                }
            }
        }
    }

    @Test
    void theModelRepositoryExampleServesItsVersionsAndPolls(@TempDir Path mnt)
            throws Exception {
        copy(Fixtures.root().resolve("testdata/bundles/tiny-rgb"), Files.createDirectories(
                mnt.resolve("bears/1")));
        Map<String, String> env = environment(inferenceServices().get("model-repository.yaml"));
        ServerSettings settings = ServerSettings.read(DeploymentFilesTest.applicationYaml(),
                mounted(env, mnt), Fixtures.root());
        assertThat("no single bundle beside the repository", settings.models().keySet(),
                is(empty()));
        assertThat(settings.modelRepository().orElseThrow(), is(mnt));
        assertThat("polled", settings.modelRepositoryPoll().isZero(), is(false));
        try (Running server = new Running(env, mnt)) {
            server.probesAnswer();
            assertThat(server.status("/v2/models/bears/versions/1/ready"), is(200));
            assertThat(server.body("/v2/models/bears"), containsString("\"versions\":[\"1\"]"));
        }
    }

    private static void copy(Path from, Path to) throws Exception {
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    /** The environment with KServe's mount point where the test put its files. */
    static Map<String, String> mounted(Map<String, String> env, Path mnt) {
        Map<String, String> out = new HashMap<>();
        env.forEach((k, v) -> out.put(k, v.replace(MODELS_MOUNT, mnt.toString())));
        return out;
    }

    /** The server as the container would run, on a free port, with its probes. */
    static final class Running implements AutoCloseable {
        private final KodiakServer server;
        private final HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1).build();

        Running(Map<String, String> env, Path mnt) throws Exception {
            Map<String, String> all = mounted(env, mnt);
            all.put("SERVER_PORT", "0");
            server = KodiakServer.start(ServerSettings.read(DeploymentFilesTest.applicationYaml(),
                    all, Fixtures.root()), e -> {
                        throw new AssertionError(e);
                    });
            assertThat(server.awaitReady(Duration.ofSeconds(120)), is(true));
        }

        int port() {
            return server.port();
        }

        void probesAnswer() throws Exception {
            Map<String, Object> container = runtimeContainer();
            for (String probe : List.of("readinessProbe", "livenessProbe")) {
                String path = (String) map(container, probe, "httpGet").get("path");
                assertThat(probe + " " + path + " over HTTP/1.1, as the kubelet asks",
                        status(path), is(200));
            }
            String metrics = (String) map(runtime(), "spec", "annotations")
                    .get("prometheus.kserve.io/path");
            assertThat(metrics, status(metrics), is(200));
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
