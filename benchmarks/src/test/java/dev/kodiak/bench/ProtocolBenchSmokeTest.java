package dev.kodiak.bench;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The protocol comparison once, in smoke mode (the default model, the test fixtures, one short
 * round), so that it cannot rot: every protocol must answer at both concurrencies without a
 * failure, and the report must hold a ratio for each. Figures are not checked.
 */
class ProtocolBenchSmokeTest {
    @Test
    void everyProtocolAnswersAndTheReportHasItsRatios() throws Exception {
        Path report = Inputs.root().resolve("benchmarks/target/results/oip.md");
        Files.deleteIfExists(report);
        ProtocolBench.main(new String[] {"--smoke"});
        String text = Files.readString(report);
        int rows = 0;
        Matcher row = Pattern.compile("(?m)^\\| ([^|]+) \\| (1|16) \\| (\\d+) \\| [^|]+ \\| [^|]+ "
                + "\\| [^|]+ \\| (\\d+) \\| ([^|]+) \\|").matcher(text);
        while (row.find()) {
            rows++;
            assertThat(row.group(1) + " at " + row.group(2) + " clients failed", row.group(4),
                    is("0"));
            assertThat(row.group(1) + " answered", Integer.parseInt(row.group(3)) > 0,
                    is(true));
        }
        assertThat("4 protocols x 2 concurrencies", rows, is(8));
        for (ProtocolBench.Protocol p : ProtocolBench.Protocol.values()) {
            assertThat(text, containsString("| " + p.label + " | 16 |"));
        }
    }
}
