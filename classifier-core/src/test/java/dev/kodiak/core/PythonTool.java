package dev.kodiak.core;

import dev.kodiak.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a script of {@code tools/} with Debian's python3 (the one with torch 1.13; the pyenv one
 * first on PATH has none) from the repository's root, as the tests that export bundles do.
 */
final class PythonTool {
    static final String PYTHON = "/usr/bin/python3";

    private PythonTool() {
    }

    /** What a command printed, and how it ended. */
    record Run(int exit, String out, String err) {
    }

    /**
     * Runs python3 with these arguments and waits at most five minutes.
     *
     * @param tmp where its output files go
     * @param args the script and its arguments
     * @return its exit code and output
     */
    static Run run(Path tmp, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(PYTHON));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(Fixtures.root().toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().put("PYTHONDONTWRITEBYTECODE", "1"); // no __pycache__ in tools/
        builder.environment().put("KODIAK_ROOT", Fixtures.root().toString());
        Process process = builder.start();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish in 5 minutes");
        }
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    }
}
