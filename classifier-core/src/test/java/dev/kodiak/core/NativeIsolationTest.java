package dev.kodiak.core;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;

import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.core.testing.OpenAndReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM that runs only ONNX models neither extracts nor loads libtorch, even with libtorch's
 * jars on the class path; one that runs TorchScript loads it. Each case is a fresh JVM with its
 * own DJL cache folder, where DJL would extract libtorch.
 */
class NativeIsolationTest {
    @TempDir
    Path tmp;

    private List<String> run(String engine, Path cache) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true",
                "-DDJL_CACHE_DIR=" + cache, "-Djava.io.tmpdir=" + tmp,
                "-cp", System.getProperty("java.class.path"), OpenAndReport.class.getName(),
                Fixtures.defaultBundle().toString(), engine,
                Fixtures.image("png-gray8.png").path().toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat("the child JVM finished", process.waitFor(2, TimeUnit.MINUTES), is(true));
        assertThat(out, process.exitValue(), is(0));
        return out.lines().toList();
    }

    private static boolean hasTorch(Path cache) throws IOException {
        if (!Files.isDirectory(cache)) {
            return false;
        }
        try (Stream<Path> files = Files.walk(cache)) {
            return files.anyMatch(p -> p.getFileName().toString().startsWith("libtorch"));
        }
    }

    @Test
    void onnxRuntimeAloneNeverTouchesLibtorch() throws Exception {
        Path cache = tmp.resolve("djl-onnx");
        List<String> lines = run("onnxruntime", cache);
        assertThat(lines, hasItem("engine=onnxruntime"));
        assertThat(lines, hasItem("onnxruntime=true"));
        assertThat("libtorch mapped into the process", lines, hasItem("libtorch=false"));
        assertThat("libtorch extracted into the DJL cache", hasTorch(cache), is(false));
    }

    @Test
    void theTorchScriptEngineLoadsLibtorch() throws Exception {
        Path cache = tmp.resolve("djl-torch");
        List<String> lines = run("pytorch", cache);
        assertThat(lines, hasItem("engine=pytorch"));
        assertThat(lines, hasItem("libtorch=true"));
        assertThat(hasTorch(cache), is(true));
    }
}
