package dev.kodiak.cli.clean;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.cli.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/** Ways to look at a folder after {@code kodiak clean} acted on it: its files and its journal. */
final class CleanFolders {
    private CleanFolders() {
    }

    /**
     * Every file under a folder, outside {@code .kodiak-clean}, with its sha256.
     *
     * @param root the folder
     * @return relative path ({@code /}) to sha256, sorted
     */
    static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                String rel = root.relativize(p).toString().replace('\\', '/');
                if (!rel.startsWith(Journal.DIR + "/")) {
                    files.put(rel, Sha256.of(p));
                }
            }
        }
        return files;
    }

    /** @return every folder under root, outside {@code .kodiak-clean}, relative */
    static TreeSet<String> folders(Path root) throws IOException {
        TreeSet<String> folders = new TreeSet<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(Files::isDirectory).filter(p -> !p.equals(root))
                    .map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .filter(p -> !p.startsWith(Journal.DIR)).forEach(folders::add);
        }
        return folders;
    }

    /**
     * Every line of a folder's journal, each parsed (a line that is not JSON fails the test).
     *
     * @param root the folder
     * @return the lines
     */
    static List<JsonObject> journal(Path root) throws IOException {
        List<JsonObject> lines = new ArrayList<>();
        for (String line : Files.readAllLines(root.resolve(Journal.DIR + "/journal.jsonl"))) {
            lines.add(JsonParser.parseString(line).getAsJsonObject());
        }
        return lines;
    }

    /** Unique ids; a move is an intent then one outcome; a keep or its undo is one done line. */
    static void assertWellFormed(List<JsonObject> journal) {
        Map<Long, List<String>> phases = new HashMap<>();
        for (JsonObject line : journal) {
            phases.computeIfAbsent(line.get("id").getAsLong(), k -> new ArrayList<>())
                    .add(line.get("phase").getAsString());
        }
        long max = phases.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        assertThat("ids run from 1 without gaps", (long) phases.size(), is(max));
        for (Map.Entry<Long, List<String>> e : phases.entrySet()) {
            List<String> p = e.getValue();
            assertThat("action " + e.getKey() + ": " + p, p.equals(List.of("done"))
                    || p.equals(List.of("intent", "done")) || p.equals(List.of("intent",
                    "failed")), is(true));
        }
    }
}
