package dev.kodiak.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.bundle.ManifestParser;
import dev.kodiak.core.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What {@code bin/kodiak-server --check} says of a model that loads. */
class CheckTest {
    private static Manifest tinyWithMisses(String... misses) throws Exception {
        Path file = Fixtures.tinyBundle().resolve("kodiak.json");
        JsonObject m = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        JsonArray fields = new JsonArray();
        for (String field : misses) {
            fields.add(field);
        }
        m.getAsJsonObject("probe").add("misses", fields);
        return ManifestParser.parse(m.toString(), file);
    }

    @Test
    void aModelWhoseProbeNoticesEveryEditLoadsAndRuns() throws Exception {
        assertThat(Main.checked("tiny", tinyWithMisses()), is("kodiak: model tiny 0.1.0 loads "
                + "and runs"));
    }

    @Test
    void aModelWhoseProbeMissesFieldsSaysWhichRatherThanLoadsAndRunsAlone() throws Exception {
        assertThat(Main.checked("tiny", tinyWithMisses("mean", "std")), is("kodiak: model tiny "
                + "0.1.0 loads and runs, but the probe of bundle 'tiny-rgb' cannot detect an "
                + "edit of mean, std in kodiak.json: the model's scores hardly change with them "
                + "(measured by tools/export_bundle.py), so opening the bundle does not check "
                + "them; make sure they are what the model was trained with"));
    }
}
