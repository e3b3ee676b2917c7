package dev.kodiak.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import dev.kodiak.core.testing.Fixtures;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The distribution's conf/application.yaml is written from ServerSettings.ALL: it names every
 * key, and the defaults it shows are the ones the server really uses.
 */
class SettingsTemplateTest {
    private static final Map<String, String> MODELS = Map.of("KODIAK_MODELS",
            "fashion-mnist=models/fashion-mnist");

    private static Config yaml(String text) {
        return Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.create(text, MediaTypes.APPLICATION_X_YAML)).build();
    }

    @Test
    void everyKeyIsDocumentedWithItsEnvironmentVariableRule() {
        String template = ServerSettings.template();
        for (Setting<?> setting : ServerSettings.ALL) {
            String[] parts = setting.key().split("\\.");
            assertThat(setting.key(), template, containsString("#" + "  ".repeat(parts.length - 1)
                    + parts[parts.length - 1] + ":"));
            assertThat(setting.key(), template, containsString(setting.doc()));
        }
        assertThat(template, containsString("KODIAK_LIMITS_MAX_BODY_BYTES"));
        assertThat(template, containsString("models:"));
    }

    @Test
    void uncommentedItIsValidYamlThatChangesNoDefault() {
        // every line that holds a key, without its '#': the file a user gets by uncommenting all
        String uncommented = ServerSettings.template().lines()
                .filter(line -> line.matches("#\\s*[a-z-]+:.*"))
                .map(line -> line.substring(1))
                .collect(Collectors.joining("\n"));
        ServerSettings documented = ServerSettings.read(yaml(uncommented), Map.of(),
                Fixtures.root());
        ServerSettings defaults = ServerSettings.read(yaml("kodiak:\n  models:\n"
                + "    fashion-mnist: models/fashion-mnist\n"), Map.of(), Fixtures.root());
        for (Setting<?> setting : ServerSettings.ALL) {
            assertThat(setting.key(), documented.get(setting), is(defaults.get(setting)));
        }
        assertThat(documented.models(), is(defaults.models()));
    }

    @Test
    void theJarsOwnConfigurationSetsOnlyTheDefaultModel() {
        Config classpath = Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.classpath("application.yaml")).build();
        ServerSettings jar = ServerSettings.read(classpath, Map.of(), Fixtures.root());
        ServerSettings none = ServerSettings.read(Config.empty(), MODELS, Fixtures.root());
        for (Setting<?> setting : ServerSettings.ALL) {
            assertThat(setting.key(), jar.get(setting), is(none.get(setting)));
        }
        assertThat(jar.models(), is(none.models()));
    }
}
