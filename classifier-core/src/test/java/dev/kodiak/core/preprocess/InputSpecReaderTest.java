package dev.kodiak.core.preprocess;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

import dev.kodiak.core.fields.Fields;
import dev.kodiak.core.fields.Problems;
import dev.kodiak.core.testing.MapJson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one reading of the input spec format; the Gson and browser adapters feed it. */
class InputSpecReaderTest {
    private static Map<String, Object> imagenet() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("width", 224);
        m.put("height", 224);
        m.put("color", "RGB");
        m.put("resize", "crop");
        m.put("resize_shorter", 256);
        m.put("interpolation", "bilinear");
        m.put("mean", List.of(0.485, 0.456, 0.406));
        m.put("std", List.of(0.229, 0.224, 0.225));
        return m;
    }

    @Test
    void readsEveryFieldAndDefaultsTheOptionalOnes() {
        List<String> problems = new ArrayList<>();
        InputSpec spec = InputSpecReader.read(fields(imagenet(), problems));
        assertThat(problems, is(empty()));
        assertThat(spec, is(InputSpec.builder(224, 224).color(ColorMode.RGB)
                .resize(ResizeMethod.CROP).resizeShorter(256)
                .interpolation(Interpolation.BILINEAR)
                .mean(0.485f, 0.456f, 0.406f).std(0.229f, 0.224f, 0.225f).build()));
        assertThat("invert defaults to false", spec.invert(), is(false));
        assertThat("rescale defaults to true", spec.rescale(), is(true));
    }

    @Test
    void everyProblemIsNamedAtOnceUnderThePrefix() {
        Map<String, Object> m = imagenet();
        m.put("width", 2.5);
        m.remove("height");
        m.put("color", 3);
        m.put("interpolation", "cubic");
        m.put("invert", "yes");
        m.put("mean", List.of(0.5, "a", 0.5));
        m.put("std", 1);
        m.put("pad_fill", List.of(0, 0.5, 0));
        List<String> problems = new ArrayList<>();
        InputSpec spec = InputSpecReader.read(fields(m, problems));
        assertThat(spec, is(nullValue()));
        assertThat(problems, contains(
                "input.width must be a whole number, not 2.5",
                "input.height is missing (a whole number)",
                "input.color must be a string",
                "input.interpolation: Invalid interpolation: 'cubic'; use nearest, box, "
                        + "bilinear, hamming, bicubic or lanczos",
                "input.pad_fill values must be whole numbers",
                "input.invert must be true or false",
                "input.mean[1] must be a number",
                "input.std must be an array"));
    }

    @Test
    void aSpecTheBuilderRejectsIsReportedWithThePrefix() {
        Map<String, Object> m = imagenet();
        m.put("resize_shorter", 100);
        List<String> problems = new ArrayList<>();
        assertThat(InputSpecReader.read(fields(m, problems)), is(nullValue()));
        assertThat(problems, contains("input.resize_shorter 100 must be at least 224 so the "
                + "centre crop fits"));
    }

    private static Fields fields(Map<String, Object> json, List<String> problems) {
        return new Fields(new MapJson(json), new Problems(problems, "input."));
    }
}
