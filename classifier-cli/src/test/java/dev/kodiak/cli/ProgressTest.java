package dev.kodiak.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void drawsCountsAndRateOnOneLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress progress = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8),
                "verify", 4, true);
        for (int i = 0; i < 4; i++) {
            progress.advance(1);
        }
        progress.finish();
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text.endsWith("\n"), is(true));
        String last = text.substring(text.lastIndexOf('\r') + 1).trim();
        assertThat(last, matchesPattern("verify \\[#{30}\\] 4/4 [0-9.]+/s"));
    }

    @Test
    void staysSilentWhenTheOutputIsAPipe() {
        // the test JVM's standard streams are pipes to Maven: this is what a pipe looks like,
        // including on JDK 22+, where System.console() is there all the same
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress progress = Progress.forPeople(new PrintStream(bytes, true,
                StandardCharsets.UTF_8), "verify", 4, false);
        progress.advance(4);
        progress.finish();
        assertThat(bytes.size(), is(0));
        assertThat(Progress.terminal(System.console()), is(false));
    }
}
