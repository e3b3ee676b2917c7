package dev.kodiak.server.deploy;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.server.grpc.GRPCInferenceServiceGrpc;
import dev.kodiak.server.grpc.ServerLiveRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged distribution (target/kodiak-server) starts from its own folder with its own
 * launcher, no Maven, answers a classification and a gRPC call without a JVM warning, drains
 * on SIGTERM, and its measured memory fits
 * the Kubernetes manifest's resources. Runs after {@code package} (failsafe).
 */
class DistributionIT {
    static final Path DIST = Fixtures.root().resolve("classifier-server/target/kodiak-server");

    @Test
    void startsFromItsFolderAnswersAndFitsTheManifest() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = Files.createTempFile("kodiak-dist", ".log");
        ProcessBuilder builder = new ProcessBuilder(DIST.resolve("bin/kodiak-server").toString())
                .directory(DIST.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(Map.of("SERVER_PORT", Integer.toString(port),
                "SERVER_HOST", "127.0.0.1", "JAVA_OPTS", "-XX:MaxRAMPercentage=60"));
        Process process = builder.start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            awaitReady(http, port, process, log);

            byte[] image = Fixtures.image("png-gray8.png").bytes();
            String expected;
            try (Classifier classifier = Classifier.open(Fixtures.defaultBundle())) {
                expected = classifier.classify(image).top().label();
            }
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + port + "/api/v1/classify"))
                        .header("Content-Type", "image/png")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode(), is(200));
                assertThat(answer.body(), containsString("\"label\":\"" + expected + "\""));
            }
            assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/")).build(), HttpResponse.BodyHandlers.ofString()).body(),
                    containsString("Kodiak"));
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port)
                    .usePlaintext().build();
            try {
                assertThat("gRPC on the same port", GRPCInferenceServiceGrpc
                        .newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                        .serverLive(ServerLiveRequest.getDefaultInstance()).getLive(), is(true));
            } finally {
                channel.shutdownNow();
            }

            long rssKb = rssKb(process.pid());
            Files.writeString(Fixtures.root().resolve("classifier-server/target/rss.txt"),
                    "kodiak-server warmed up with the default model: " + rssKb / 1024
                    + " MiB resident\n");
            long requestMi = mebibytes("requests");
            long limitMi = mebibytes("limits");
            assertThat("measured RSS fits the memory request", rssKb / 1024, lessThan(requestMi));
            assertThat("the limit leaves room for decoding large uploads", limitMi,
                    greaterThan(rssKb / 1024 * 3 / 2));

            process.destroy(); // SIGTERM: drain and exit
            assertThat("stops within the grace period", process.waitFor(40, TimeUnit.SECONDS),
                    is(true));
            assertThat(Files.readString(log), containsString("kodiak: stopped; in-flight "
                    + "requests finished, models released"));
            // the JVM's own warnings (native access, sun.misc.Unsafe from protobuf on Java 24+)
            // are the launcher's to settle, not the operator's to read
            assertThat(Files.readString(log), not(containsString("WARNING: ")));
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * The distribution ships the configuration file the docs promise: every key the server
     * reads, commented, with its default; and a server started elsewhere finds a bundle by a
     * path relative to where it was started.
     */
    @Test
    void shipsEveryKeyInItsConfigurationFileAndReadsPathsFromTheWorkingDirectory()
            throws Exception {
        String conf = Files.readString(DIST.resolve("conf/application.yaml"));
        for (String key : dev.kodiak.server.ServerSettings.KEYS) {
            String last = key.substring(key.lastIndexOf('.') + 1);
            assertThat(key, conf, containsString(last + ":"));
        }
        Path work = Files.createTempDirectory("kodiak-work");
        Path bundle = Files.createDirectories(work.resolve("models/mine"));
        try (var files = Files.list(Fixtures.tinyBundle())) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, bundle.resolve(f.getFileName()));
            }
        }
        Path log = Files.createTempFile("kodiak-relative", ".log");
        ProcessBuilder check = new ProcessBuilder(DIST.resolve("bin/kodiak-server").toString(),
                "--check").directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        check.environment().put("KODIAK_MODELS", "mine=models/mine");
        assertThat(Files.readString(log), check.start().waitFor(), is(0));
        assertThat(Files.readString(log), containsString("model mine"));
    }

    @Test
    void checkLoadsTheModelsOrSaysWhichIsBroken() throws Exception {
        Path log = Files.createTempFile("kodiak-check", ".log");
        ProcessBuilder good = new ProcessBuilder(DIST.resolve("bin/kodiak-server").toString(),
                "--check").directory(DIST.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        assertThat(Files.readString(log), good.start().waitFor(), is(0));
        assertThat(Files.readString(log), containsString("loads and runs"));

        Path broken = Files.createTempDirectory("kodiak-broken-bundle");
        Files.writeString(broken.resolve("manifest.json"), "{ not json");
        ProcessBuilder bad = new ProcessBuilder(DIST.resolve("bin/kodiak-server").toString(),
                "--check").directory(DIST.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        bad.environment().putAll(Map.of("KODIAK_MODELS", "bears=" + broken,
                "KODIAK_DEFAULT_MODEL", "bears"));
        assertThat(Files.readString(log), bad.start().waitFor(), is(2));
        assertThat(Files.readString(log), containsString("kodiak.models.bears"));
    }

    /** Waits until the server's readiness check answers 200 (at most two minutes). */
    static void awaitReady(HttpClient http, int port, Process process, Path log)
            throws Exception {
        URI ready = URI.create("http://127.0.0.1:" + port + "/observe/health/ready");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        int status = 0;
        while (status != 200 && System.nanoTime() < deadline && process.isAlive()) {
            try {
                status = http.send(HttpRequest.newBuilder(ready).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (java.io.IOException e) {
                TimeUnit.MILLISECONDS.sleep(100); // polling a port that is not open yet
            }
        }
        assertThat(Files.readString(log), status, is(200));
    }

    static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmRSS for " + pid);
    }

    @SuppressWarnings("unchecked")
    private static long mebibytes(String which) throws Exception {
        Map<String, Object> resources = (Map<String, Object>) DeploymentFilesTest.container()
                .get("resources");
        String memory = (String) ((Map<String, Object>) resources.get(which)).get("memory");
        long value = Long.parseLong(memory.replaceAll("[^0-9]", ""));
        return memory.endsWith("Gi") ? value * 1024 : value;
    }
}
