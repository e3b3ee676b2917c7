package dev.kodiak.core;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.startsWith;

import dev.kodiak.core.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's library example compiles against classifier-core and prints the top-k. */
class ReadmeSnippetTest {
    @TempDir
    Path tmp;

    static String snippet() throws Exception {
        String readme = Files.readString(Fixtures.root().resolve("README.md"));
        Matcher m = Pattern.compile("<!-- snippet:library[^>]*-->\\s*```java\\n(.*?)```",
                Pattern.DOTALL).matcher(readme);
        assertThat("README.md has a library snippet", m.find(), is(true));
        return m.group(1);
    }

    @Test
    void librarySnippetCompilesAndClassifies() throws Exception {
        String source = snippet();
        long lines = source.lines().filter(l -> !l.isBlank() && !l.startsWith("import")).count();
        assertThat("short enough to read", lines, lessThanOrEqualTo(12L));
        Files.writeString(tmp.resolve("App.java"), source);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int status = javac.run(null, null, errors, "-d", tmp.toString(), "-cp",
                System.getProperty("java.class.path"), tmp.resolve("App.java").toString());
        assertThat(errors.toString(StandardCharsets.UTF_8), status, is(0));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {tmp.toUri().toURL()},
                getClass().getClassLoader())) {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            loader.loadClass("App").getMethod("main", String[].class).invoke(null,
                    (Object) new String[] {Fixtures.defaultBundle().toString(),
                        Fixtures.image("png-gray8.png").path().toString()});
        } finally {
            System.setOut(saved);
        }
        List<String> printed = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(printed.size(), is(5));
        try (Classifier classifier = Classifier.open(Fixtures.defaultBundle())) {
            String top = classifier.classify(Fixtures.image("png-gray8.png").bytes()).top().label();
            assertThat(printed.get(0), startsWith(top));
        }
    }
}
