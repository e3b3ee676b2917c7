package dev.kodiak.bench;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The widget measurement once, in smoke mode (the default model, one fresh run), so that it
 * cannot rot: it must get an answer in Chromium and write its report. Figures are not checked.
 */
class WidgetCostsSmokeTest {
    @Test
    void theMeasurementRunsAndWritesItsReport() throws Exception {
        Path report = Inputs.root().resolve("benchmarks/target/results/widget.md");
        Files.deleteIfExists(report);
        WidgetCosts.main(new String[] {"--smoke"});
        String text = Files.readString(report);
        // the blog's precision auto: the default model's int8 file
        assertThat(text, containsString("| fashion-mnist | `model.int8.onnx` |"));
        assertThat(text.contains("| fashion-mnist | — |"), is(false));
        assertThat(text, containsString("## On a phone"));
        assertThat(text.contains("| now | — |"), is(false));
    }
}
