package dev.kodiak.bench;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The guard runs only the parameter values its budgeted figures name. */
class GuardTest {
    @Test
    void paramsAreTheValuesTheFiguresName() throws Exception {
        var budgets = Results.budgets();
        List<Ratio> guarded = Ratio.ALL.stream()
                .filter(r -> budgets.containsKey(r.key())).toList();
        Map<String, Set<String>> params = Guard.params(guarded);
        // ForwardBench declares batch 1 and 8 and three models: the budgets need batch 1 of two
        assertThat(params.get("batch"), is(Set.of("1")));
        assertThat(params.get("model"), is(Set.of("resnet18", "efficientnet-b2")));
        assertThat(params.get("engine"), is(Set.of("onnxruntime", "pytorch")));
        // the ImageIO fallback's PIL ratios have no budget
        assertThat(params.get("decoder"), is(Set.of("turbojpeg")));
    }
}
