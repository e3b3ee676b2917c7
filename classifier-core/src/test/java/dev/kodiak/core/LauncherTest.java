package dev.kodiak.core;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.kodiak.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The launcher's help cannot drift from what it runs: {@code ./kodiak help} prints the block
 * between {@code #<help>} and {@code #</help>}, and every command of the script's case statement
 * must have its {@code ./kodiak COMMAND} line there, and only those. The fuzz targets that
 * {@code tools/fuzz.sh} runs are the repository's {@code *FuzzTest} classes, all of them, and the
 * help names each. The README and the guides name only commands that exist.
 */
class LauncherTest {
    private static final Pattern HELP_LINE = Pattern.compile("^#\\s+\\./kodiak ([a-z|-]+)");
    private static final Pattern CASE_LABEL = Pattern.compile("^  ([a-z|*-]+)\\)$");
    /** A line of fuzz.sh's targets: module, test class, classes to instrument. */
    private static final Pattern FUZZ_TARGET = Pattern.compile("^\\s*\"(\\S+) (\\S+) \\S+\"$");

    private static final Pattern DOC_COMMAND = Pattern.compile("\\./kodiak ([a-z][a-z-]*)");

    private static List<String> script() throws IOException {
        return Files.readAllLines(Fixtures.root().resolve("kodiak"));
    }

    private static List<String> help() throws IOException {
        List<String> lines = script();
        int begin = lines.indexOf("#<help>");
        int end = lines.indexOf("#</help>");
        assertThat("kodiak has a #<help> ... #</help> block", begin >= 0 && end > begin,
                is(true));
        return lines.subList(begin + 1, end);
    }

    private static Set<String> helpCommands() throws IOException {
        Set<String> commands = new TreeSet<>();
        for (String line : help()) {
            Matcher m = HELP_LINE.matcher(line);
            if (m.find()) {
                commands.addAll(List.of(m.group(1).split("\\|")));
            }
        }
        return commands;
    }

    /** The labels of the top-level {@code case "$command" in}, indented by two spaces. */
    private static Set<String> caseCommands() throws IOException {
        List<String> lines = script();
        int begin = lines.indexOf("case \"$command\" in");
        assertThat("kodiak dispatches with case \"$command\" in", begin >= 0, is(true));
        Set<String> commands = new TreeSet<>();
        for (String line : lines.subList(begin + 1, lines.size())) {
            if (line.equals("esac")) {
                break;
            }
            Matcher m = CASE_LABEL.matcher(line);
            if (m.matches()) {
                for (String label : m.group(1).split("\\|")) {
                    if (!label.equals("*")) {
                        commands.add(label);
                    }
                }
            }
        }
        return commands;
    }

    @Test
    void everyCommandHasItsLineInTheHelp() throws IOException {
        Set<String> missing = new TreeSet<>(caseCommands());
        missing.removeAll(helpCommands());
        assertThat("commands of kodiak's case statement without a \"./kodiak COMMAND\" line "
                + "in its #<help> block", missing, is(empty()));
    }

    @Test
    void theHelpNamesOnlyCommandsThatExist() throws IOException {
        Set<String> unknown = new TreeSet<>(helpCommands());
        unknown.removeAll(caseCommands());
        assertThat("commands in kodiak's help that its case statement does not run", unknown,
                is(empty()));
    }

    @Test
    void theHelpIsFound() throws IOException {
        assertThat(helpCommands(), not(empty()));
        assertThat(caseCommands().contains("fuzz"), is(true));
    }

    @Test
    void everyFuzzTestIsAFuzzTarget() throws IOException {
        Path root = Fixtures.root();
        Set<String> targets = new TreeSet<>();
        List<String> lines = Files.readAllLines(root.resolve("tools/fuzz.sh"));
        int begin = lines.indexOf("targets=(");
        assertThat("tools/fuzz.sh lists its targets in targets=( ... )", begin >= 0, is(true));
        for (String line : lines.subList(begin + 1, lines.indexOf(")"))) {
            Matcher m = FUZZ_TARGET.matcher(line);
            if (m.matches()) {
                Path source = root.resolve(m.group(1)).resolve("src/test/java")
                        .resolve(m.group(2).replace('.', '/') + ".java");
                assertThat(root.relativize(source) + ", a target of tools/fuzz.sh, exists",
                        Files.isRegularFile(source), is(true));
                targets.add(m.group(2).substring(m.group(2).lastIndexOf('.') + 1));
            }
        }
        List<String> classes = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            for (Path tests : modules.map(m -> m.resolve("src/test/java"))
                    .filter(Files::isDirectory).toList()) {
                try (Stream<Path> files = Files.walk(tests)) {
                    files.map(p -> p.getFileName().toString())
                            .filter(name -> name.endsWith("FuzzTest.java"))
                            .forEach(name -> classes.add(name.replace(".java", "")));
                }
            }
        }
        assertThat(classes, not(empty()));
        assertThat("*FuzzTest classes against the targets of tools/fuzz.sh",
                new TreeSet<>(classes), is(targets));
        String text = String.join("\n", help());
        List<String> unnamed = targets.stream().filter(t -> !text.contains(t)).toList();
        assertThat("fuzz targets kodiak's help does not name", unnamed, is(empty()));
    }

    @Test
    void theDocsNameOnlyCommandsThatExist() throws IOException {
        Set<String> commands = caseCommands();
        Path root = Fixtures.root();
        List<String> unknown = new ArrayList<>();
        for (Path document : DocsLinksTest.documents()) {
            Matcher m = DOC_COMMAND.matcher(Files.readString(document));
            while (m.find()) {
                if (!commands.contains(m.group(1))) {
                    unknown.add(root.relativize(document) + ": ./kodiak " + m.group(1));
                }
            }
        }
        assertThat("./kodiak commands the docs name that the launcher does not run", unknown,
                is(empty()));
    }
}
