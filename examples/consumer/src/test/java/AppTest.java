import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the quick start's App as {@code mvn exec:exec} does (a new JVM, native access allowed, this
 * project's class path) on the default bundle and a fixture image: it prints the top five labels,
 * ranked, and nothing else, on either stream (issue 24: a hello-world printed seven lines of
 * SLF4J warnings, INFO lines and native-access warnings).
 */
class AppTest {
    @Test
    void printsTheTopFiveAndNothingElse() throws Exception {
        Path bundle = Path.of(System.getProperty("bundle"));
        String classPath = System.getProperty("java.class.path");
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--enable-native-access=ALL-UNNAMED", "-classpath", classPath, "App",
                bundle.toString(), System.getProperty("image")).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(app, true));
        String out = read(app, false);
        assertTrue(app.waitFor(2, TimeUnit.MINUTES), "App finished");
        assertEquals(0, app.exitValue(), err.get());
        assertEquals("", err.get(), "a library is quiet unless asked");
        List<String> lines = out.lines().toList();
        assertEquals(5, lines.size(), "the top 5 labels: " + lines);
        String manifest = Files.readString(bundle.resolve("kodiak.json"));
        double previous = 1;
        for (String line : lines) {
            String label = line.substring(0, line.lastIndexOf(' ')).trim();
            double probability = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            assertTrue(manifest.contains("\"" + label + "\""), label + " is a label of the model");
            assertTrue(probability <= previous, "ranked: " + lines);
            previous = probability;
        }
        assertFalse(List.of(classPath.split(File.pathSeparator)).stream()
                .anyMatch(entry -> entry.contains("pytorch-native")),
                "libtorch's natives are not on a consumer's class path unless it asks");
    }

    private static String read(Process process, boolean error) {
        try {
            return new String((error ? process.getErrorStream() : process.getInputStream())
                    .readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
