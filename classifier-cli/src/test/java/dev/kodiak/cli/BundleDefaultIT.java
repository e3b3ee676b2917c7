package dev.kodiak.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code kodiak} finds its own model: run from a folder that has no
 * {@code models/}, without {@code --bundle}, it uses the model installed with it (the launcher
 * tells it where it is installed). {@link CliTest} covers the messages when a model is missing.
 */
class BundleDefaultIT {
    @TempDir
    Path tmp;

    private record Run(int exit, String output) {
    }

    private Run run(Path cwd, String... args) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(ProgressIT.CLI.toString());
        builder.command().addAll(List.of(args));
        builder.directory(cwd.toFile()).redirectErrorStream(true);
        builder.environment().remove("KODIAK_BUNDLE");
        Process p = builder.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat("finished", p.waitFor(3, TimeUnit.MINUTES), is(true));
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void withoutBundleTheInstallationsModelIsUsedFromAnyFolder() throws Exception {
        Path folder = TestFolders.fashion(tmp.resolve("data"), 20);
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));

        Run run = run(elsewhere, "evaluate", folder.toString(), "-q", "--out",
                tmp.resolve("report").toString());

        assertThat(run.output(), run.exit(), is(Exit.OK));
        assertThat(run.output(), containsString("Accuracy "));
        assertThat(Files.exists(ProgressIT.CLI.getParent().getParent()
                .resolve("models/fashion-mnist/kodiak.json")), is(true));
    }
}
