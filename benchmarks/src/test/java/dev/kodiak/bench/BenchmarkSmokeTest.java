package dev.kodiak.bench;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

import java.util.Collection;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;

/**
 * Every benchmark, every parameter, in smoke mode (in this JVM, no warm-up, one short iteration):
 * so that none can rot. Timings are not checked here; {@code ./kodiak bench-guard} does that.
 */
class BenchmarkSmokeTest {
    @Test
    void everyBenchmarkRuns() throws Exception {
        Collection<RunResult> results = new Runner(Results.smoke(Results.options()
                .include("dev\\.kodiak\\.bench\\..*")).build()).run();
        // 8 decode + 18 preprocess + 12 forward (2 engines) + 18 classifier + 3 DJL
        // + 12 server + 2 paired + 2 in-server forward (2 engines) + 4 side by side with PIL
        // + 4 int8 against fp32 (2 models, batch 1 and 8)
        // + 8 Kodiak's own forward pass against ONNX Runtime (2 models, batch 1 and 8)
        assertThat(results.size(), is(91));
        Map<String, Double> scores = Results.scores(results);
        for (RunResult r : results) {
            assertThat(Results.id(r), r.getPrimaryResult().getScore(), greaterThan(0.0));
        }
        for (Ratio ratio : Ratio.ALL) {
            assertThat(ratio.key() + " is computable", ratio.of(scores).isPresent(), is(true));
        }
    }
}
