package dev.kodiak.web;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The widget's data attributes as the page reads them, on the JVM. */
class WidgetSettingsTest {
    private final List<String> warnings = new ArrayList<>();

    private WidgetSettings read(Map<String, String> attributes) {
        return WidgetSettings.parse(attributes::get, url -> "https://blog.example/posts/" + url,
                warnings::add);
    }

    @Test
    void defaultsWhenThePageGivesOnlyABundle() {
        WidgetSettings s = read(Map.of("bundle", "../assets/models/fashion-mnist"));
        assertThat(s.runtime(), is(WidgetSettings.RuntimeChoice.AUTO));
        assertThat("made absolute, with its slash", s.bundle(),
                is("https://blog.example/posts/../assets/models/fashion-mnist/"));
        assertThat(s.topK(), is(3));
        assertThat((double) s.threshold(), is(0.0));
        assertThat(s.title(), is("What is it?"));
        assertThat(s.autoLimitBytes(), is(20_000_000.0));
        assertThat(warnings, empty());
    }

    @Test
    void readsEveryAttributeTheGuideNames() {
        WidgetSettings s = read(Map.of("runtime", " Server ", "model", "bears", "endpoint",
                "https://api.example", "topK", "5", "threshold", "0.25", "title", "Bear?",
                "maxDownloadMb", "2.5e1"));
        assertThat(s.runtime(), is(WidgetSettings.RuntimeChoice.SERVER));
        assertThat(s.model(), is("bears"));
        assertThat(s.endpoint(), is("https://api.example"));
        assertThat(s.topK(), is(5));
        assertThat((double) s.threshold(), closeTo(0.25, 1e-7));
        assertThat(s.title(), is("Bear?"));
        assertThat(s.autoLimitBytes(), is(25_000_000.0));
        assertThat(s.bundle(), is(""));
        assertThat(warnings, empty());
    }

    @Test
    void warnsAboutValuesItCannotUseAndFallsBack() {
        WidgetSettings s = read(Map.of("runtime", "gpu", "threshold", "1.5", "topK", "three",
                "maxDownloadMb", "20MB"));
        assertThat(s.runtime(), is(WidgetSettings.RuntimeChoice.AUTO));
        assertThat((double) s.threshold(), is(0.0));
        assertThat(s.topK(), is(3));
        assertThat("a unit after the number is not a number", s.autoLimitBytes(),
                is(20_000_000.0));
        assertThat(warnings.size(), is(2));
        assertThat(warnings.get(0), containsString("data-runtime 'gpu'"));
        assertThat(warnings.get(1), containsString("data-threshold '1.5'"));
    }

    @Test
    void readsNumbersAsTheBrowsersNumberDoes() {
        assertThat(WidgetSettings.number("20"), is(20.0));
        assertThat(WidgetSettings.number(" 0.5 "), is(0.5));
        assertThat(WidgetSettings.number(".5"), is(0.5));
        assertThat(WidgetSettings.number("-3"), is(-3.0));
        assertThat(WidgetSettings.number("1e3"), is(1000.0));
        for (String bad : List.of("", " ", "20MB", "1e", "e3", ".", "-", "1.2.3", "20d", "NaN")) {
            assertThat("'" + bad + "'", Double.isNaN(WidgetSettings.number(bad)), is(true));
        }
    }

    @Test
    void keepsOnlyTheTrimmedText() {
        WidgetSettings s = read(Map.of("examples", "  [{\"url\": \"a.png\"}]  ",
                "bundle", " m/ "));
        assertThat(s.examples(), is("[{\"url\": \"a.png\"}]"));
        assertThat(List.of(s.bundle()), contains("https://blog.example/posts/m/"));
    }
}
