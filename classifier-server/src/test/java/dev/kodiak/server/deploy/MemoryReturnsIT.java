package dev.kodiak.server.deploy;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import dev.kodiak.core.testing.Fixtures;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Memory returns after unload (issue 19; Triton #4966): the packaged server, with its heap
 * fixed and touched at start so that resident memory measures what models take, goes through 20
 * cycles of a new version loaded (swapped in, the previous one closed), answering, and
 * unloaded. Its resident memory after the 20th cycle is within 10% of what it was after the
 * first: models closed give their native memory back.
 */
class MemoryReturnsIT {
    private static final String TOKEN = "memory-token-0123456789abcdef";
    private static final int CYCLES = 20;

    @Test
    void residentMemoryReturnsAfterTwentyLoadSwapUnloadCycles() throws Exception {
        Path repo = Files.createTempDirectory("kodiak-memory-repo");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = Files.createTempFile("kodiak-memory", ".log");
        ProcessBuilder builder = new ProcessBuilder(DistributionIT.DIST.resolve(
                "bin/kodiak-server").toString()).directory(DistributionIT.DIST.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(Map.of("SERVER_PORT", Integer.toString(port),
                "SERVER_HOST", "127.0.0.1", "KODIAK_MODELS", "", "KODIAK_MODEL_REPOSITORY",
                repo.toString(), "KODIAK_ADMIN_ENABLED", "true", "KODIAK_ADMIN_TOKEN", TOKEN,
                "JAVA_OPTS", "-Xms256m -Xmx256m -XX:+AlwaysPreTouch"));
        copy(Fixtures.defaultBundle(), repo.resolve("fm/1"));
        Process server = builder.start();
        byte[] image = Fixtures.image("png-gray8.png").bytes();
        List<Long> rss = new ArrayList<>();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .build()) {
            DistributionIT.awaitReady(http, port, server, log);
            for (int cycle = 1; cycle <= CYCLES; cycle++) {
                int version = cycle + 1;
                copy(Fixtures.defaultBundle(), repo.resolve("fm/" + version));
                assertThat(admin(http, port, "/v2/repository/models/fm/load").statusCode(),
                        is(200));
                for (int i = 0; i < 5; i++) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(
                            "http://127.0.0.1:" + port + "/api/v1/models/fm/classify"))
                            .header("Content-Type", "image/png")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(r.body(), r.statusCode(), is(200));
                    assertThat(r.body(), containsString("\"model_version\":\"" + version
                            + "\""));
                }
                assertThat(admin(http, port, "/v2/repository/models/fm/unload").statusCode(),
                        is(200));
                awaitUnloaded(http, port, version);
                delete(repo.resolve("fm/" + (version - 1)));
                rss.add(DistributionIT.rssKb(server.pid()));
            }
            long first = rss.get(0);
            long last = rss.get(rss.size() - 1);
            String report = "resident memory after each of " + CYCLES + " load/swap/unload "
                    + "cycles (MiB): " + rss.stream().map(kb -> Long.toString(kb / 1024))
                    .toList();
            Files.writeString(Fixtures.root().resolve("classifier-server/target/memory-cycles.txt"),
                    report + "\n");
            assertThat(report, (double) last, lessThanOrEqualTo(first * 1.10));
        } finally {
            server.destroy();
            if (!server.waitFor(40, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
            delete(repo);
        }
    }

    private static HttpResponse<String> admin(HttpClient http, int port, String path)
            throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until the unloaded version is closed, not only out of service. */
    private static void awaitUnloaded(HttpClient http, int port, int version) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String index = "";
        while (System.nanoTime() < until) {
            index = admin(http, port, "/v2/repository/index").body();
            if (index.contains("\"version\":\"" + version + "\",\"state\":\"UNAVAILABLE\","
                    + "\"reason\":\"unloaded\"")) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        throw new AssertionError("version " + version + " not unloaded: " + index);
    }

    private static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    private static void delete(Path path) throws Exception {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> all = Files.walk(path)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
