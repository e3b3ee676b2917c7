package dev.kodiak.core;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import dev.kodiak.core.testing.Fixtures;
import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's library example is the consumer project's App.java, word for word: the project in
 * examples/consumer, built outside the reactor against the installed jar (classifier-core's
 * maven-invoker-plugin), compiles and runs it. The library guide, docs/library.md, shows the same
 * example and is held to the same file, and shows that project's whole pom.xml, word for word.
 */
class ReadmeSnippetTest {
    static String snippet() throws Exception {
        return snippet("README.md");
    }

    static String snippet(String document) throws Exception {
        String text = Files.readString(Fixtures.root().resolve(document));
        Matcher m = Pattern.compile("<!-- snippet:library[^>]*-->\\s*```java\\n(.*?)```",
                Pattern.DOTALL).matcher(text);
        assertThat(document + " has a library snippet", m.find(), is(true));
        return m.group(1);
    }

    static String app() throws Exception {
        return Files.readString(Fixtures.root().resolve(
                "examples/consumer/src/main/java/App.java"));
    }

    @Test
    void theReadmeExampleIsTheConsumerProjectsApp() throws Exception {
        String source = snippet();
        long lines = source.lines().filter(l -> !l.isBlank() && !l.startsWith("import")).count();
        assertThat("short enough to read", lines, lessThanOrEqualTo(12L));
        assertThat(app(), is(source));
    }

    @Test
    void theLibraryGuidesExampleIsTheConsumerProjectsApp() throws Exception {
        assertThat(app(), is(snippet("docs/library.md")));
    }

    @Test
    void theLibraryGuidesPomIsTheConsumerProjectsPom() throws Exception {
        String text = Files.readString(Fixtures.root().resolve("docs/library.md"));
        Matcher m = Pattern.compile("<!-- snippet:pom[^>]*-->\\s*```xml\\n(.*?)```",
                Pattern.DOTALL).matcher(text);
        assertThat("docs/library.md shows the whole pom", m.find(), is(true));
        assertThat(m.group(1), is(Files.readString(Fixtures.root().resolve(
                "examples/consumer/pom.xml"))));
    }
}
