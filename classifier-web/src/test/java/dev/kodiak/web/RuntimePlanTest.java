package dev.kodiak.web;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Where a widget runs its model, for every combination the guide's table lists: the plan must
 * say what the table says (issue 24: {@code auto} with no server ran a 44.7 MB model anyway).
 */
class RuntimePlanTest {
    private static RuntimePlan plan(String runtime, boolean bundle, boolean model) {
        Map<String, String> attributes = new HashMap<>();
        if (runtime != null) {
            attributes.put("runtime", runtime);
        }
        if (bundle) {
            attributes.put("bundle", "models/m/");
        }
        if (model) {
            attributes.put("model", "m");
        }
        return RuntimePlan.of(WidgetSettings.parse(attributes::get, url -> url, w -> { }));
    }

    @Test
    void autoWithBundleAndServerKeepsTheDownloadLimit() {
        RuntimePlan p = plan(null, true, true);
        assertThat(p.where(), is(RuntimePlan.Where.BROWSER));
        assertThat(p.limitBytes(), is(20_000_000.0));
    }

    @Test
    void autoWithOnlyABundleRunsAnySizeInTheBrowser() {
        RuntimePlan p = plan("auto", true, false);
        assertThat(p.where(), is(RuntimePlan.Where.BROWSER));
        assertThat("no server to fall back to: no limit", p.limitBytes(), is(0.0));
    }

    @Test
    void autoWithOnlyAServerAsksTheServer() {
        assertThat(plan("auto", false, true).where(), is(RuntimePlan.Where.SERVER));
    }

    @Test
    void browserIgnoresTheLimitAndServerIgnoresTheBundle() {
        RuntimePlan browser = plan("browser", true, true);
        assertThat(browser.where(), is(RuntimePlan.Where.BROWSER));
        assertThat(browser.limitBytes(), is(0.0));
        assertThat(plan("server", true, true).where(), is(RuntimePlan.Where.SERVER));
    }

    @Test
    void namesWhatIsMissing() {
        RuntimePlan nothing = plan(null, false, false);
        assertThat(nothing.where(), is(RuntimePlan.Where.NONE));
        assertThat(nothing.problem(), containsString("data-bundle"));
        assertThat(nothing.problem(), containsString("data-model"));
        RuntimePlan browser = plan("browser", false, true);
        assertThat(browser.where(), is(RuntimePlan.Where.NONE));
        assertThat(browser.problem(), is("data-runtime=\"browser\" needs data-bundle"));
        assertThat(plan("server", true, false).where(), is(RuntimePlan.Where.NONE));
    }
}
