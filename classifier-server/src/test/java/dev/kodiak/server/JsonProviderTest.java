package dev.kodiak.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.server.json.JsonP;
import jakarta.json.spi.JsonProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The server's code reaches JSON-P through the provider it holds ({@link JsonP#JSON}), never
 * through {@code Json.create…}, which looks the provider up on every call.
 */
class JsonProviderTest {
    @Test
    void noServerCodeLooksTheProviderUpPerCall() throws Exception {
        Path sources = Fixtures.root().resolve("classifier-server/src/main/java");
        List<String> found;
        try (Stream<Path> files = Files.walk(sources)) {
            found = files.filter(f -> f.toString().endsWith(".java")).flatMap(f -> {
                try {
                    List<String> lines = Files.readAllLines(f);
                    return java.util.stream.IntStream.range(0, lines.size())
                            .filter(i -> lines.get(i).matches(".*\\bJson\\.create\\w*\\(.*")
                                    && !lines.get(i).trim().startsWith("*"))
                            .mapToObj(i -> sources.relativize(f) + ":" + (i + 1));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
        assertThat("use JsonP.JSON.create…", found, is(empty()));
    }

    @Test
    void theHeldProviderIsParsson() {
        assertThat(JsonP.JSON.getClass().getName(), is(JsonProvider.provider().getClass()
                .getName()));
    }
}
