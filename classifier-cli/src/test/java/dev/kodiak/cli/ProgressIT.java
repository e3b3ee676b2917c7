package dev.kodiak.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.kodiak.core.testing.Fixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code kodiak} command draws its progress bar in a terminal and nothing into a
 * pipe: the same command run under {@code script} (a pseudo-terminal) and with its output piped.
 */
class ProgressIT {
    static final Path CLI = Fixtures.root().resolve("classifier-cli/target/kodiak-cli/bin/kodiak");

    @TempDir
    Path tmp;

    private String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat("finished", p.waitFor(2, TimeUnit.MINUTES), is(true));
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void aBarInATerminalAndNoneInAPipe() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("photos"));
        for (String name : List.of("png-rgb8.png", "jpeg-baseline.jpg", "gif-palette.gif")) {
            Files.copy(Fixtures.image(name).path(), folder.resolve(name));
        }
        String command = CLI + " verify " + folder;
        String piped = run(List.of("bash", "-c", command + " 2>&1 | cat"));
        assertThat(piped, not(containsString("\r")));
        assertThat(piped, not(containsString("[###")));
        String terminal = run(List.of("script", "-qec", command, "/dev/null"));
        assertThat(terminal, containsString("\r"));
        assertThat(terminal, containsString("3/3"));
    }
}
