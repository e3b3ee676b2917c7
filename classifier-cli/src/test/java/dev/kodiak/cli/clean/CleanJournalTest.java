package dev.kodiak.cli.clean;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.cli.Sha256;
import dev.kodiak.cli.TestFolders;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal on its own: moves, refusals, a process stopped mid-move, two processes. */
class CleanJournalTest {
    @TempDir
    Path tmp;

    private Path folder() throws Exception {
        Path root = tmp.resolve("data");
        Files.createDirectories(root.resolve("a"));
        Files.createDirectories(root.resolve("b"));
        for (int i = 0; i < 3; i++) {
            Files.write(root.resolve("a/" + i + ".png"), TestFolders.png(i));
        }
        return root;
    }

    private static String intent(long id, Action action, String from, String to, String sha) {
        return new Journal.Entry(id, Phase.INTENT, Instant.now().toString(), action, from, to, sha,
                null, null, null, null, 1).json() + "\n";
    }

    @Test
    void movesNeverReplaceAndAreRefusedWhenTheFileChanged() throws Exception {
        Path root = folder();
        Files.write(root.resolve("b/0.png"), TestFolders.png(9));
        byte[] there = Files.readAllBytes(root.resolve("b/0.png"));
        String sha = Sha256.of(root.resolve("a/0.png"));
        try (Journal journal = Journal.open(root)) {
            Journal.Entry moved = journal.transact(tx -> tx.move(Action.RELABEL,
                    root.resolve("a/0.png"),
                    root.resolve("b/0.png"), sha, "b", null, "scored"));
            assertThat(moved.to(), is("b/0.1.png"));
            assertThat(Files.readAllBytes(root.resolve("b/0.png")), is(there));
            assertThat(Sha256.of(root.resolve("b/0.1.png")), is(sha));

            Files.write(root.resolve("a/1.png"), TestFolders.png(7));
            Refused changed = assertThrows(Refused.class, () -> journal.transact(
                    tx -> tx.move(Action.QUARANTINE, root.resolve("a/1.png"),
                            root.resolve(Journal.QUARANTINE + "/a/1.png"),
                            Sha256.of(TestFolders.png(1)), null, null, "scored")));
            assertThat(changed.getMessage(), is("a/1.png changed on disk since it was scored (its "
                    + "sha256 differs); nothing was changed. Re-evaluate to see it as it is now."));
            Refused gone = assertThrows(Refused.class, () -> journal.transact(
                    tx -> tx.record(Action.KEEP, root.resolve("a/nothing.png"), sha, null,
                            "scored")));
            assertThat(gone.getMessage(), containsString("a/nothing.png is no longer there"));

            // undo is LIFO per file, and only once
            Journal.Entry keep = journal.transact(tx -> tx.record(Action.KEEP,
                    root.resolve("b/0.1.png"),
                    sha, null, "scored"));
            Refused first = assertThrows(Refused.class,
                    () -> journal.transact(tx -> tx.undo(moved.id())));
            assertThat(first.getMessage(), is("Cannot undo action 1 (relabel of a/0.png): action "
                    + keep.id() + " (keep) came after it on the same file; undo that one first"));
            journal.transact(tx -> tx.undo(keep.id()));
            Journal.Entry back = journal.transact(tx -> tx.undo(moved.id()));
            assertThat(back.to(), is("a/0.png"));
            Refused twice = assertThrows(Refused.class,
                    () -> journal.transact(tx -> tx.undo(moved.id())));
            assertThat(twice.getMessage(), is("Action 1 is already undone"));
        }
        assertThat(Sha256.of(root.resolve("a/0.png")), is(sha));
        CleanFolders.assertWellFormed(CleanFolders.journal(root));
    }

    @Test
    void aProcessStoppedBeforeOrAfterItsMoveIsSettledAndUndoAllStillRestores() throws Exception {
        Path root = folder();
        Map<String, String> original = CleanFolders.tree(root);
        String sha0 = original.get("a/0.png");
        String sha1 = original.get("a/1.png");
        Files.createDirectories(root.resolve(Journal.DIR));
        Path file = root.resolve(Journal.DIR + "/journal.jsonl");
        // stopped before moving a/0.png; stopped after moving a/1.png; then cut mid-line
        Files.writeString(file, intent(1, Action.RELABEL, "a/0.png", "b/0.png", sha0)
                + intent(2, Action.QUARANTINE, "a/1.png", Journal.QUARANTINE + "/a/1.png", sha1)
                + "{\"id\":3,\"phase\":\"inte");
        Files.createDirectories(root.resolve(Journal.QUARANTINE + "/a"));
        Files.move(root.resolve("a/1.png"), root.resolve(Journal.QUARANTINE + "/a/1.png"));

        try (Journal journal = Journal.open(root)) {
            assertThat(journal.problems(), hasSize(1));
            assertThat(journal.problems().get(0), containsString("a line cut short"));
            List<Journal.Entry> entries = journal.entries();
            assertThat(entries, hasSize(4));
            assertThat(entries.get(2).phase(), is(Phase.FAILED));
            assertThat(entries.get(2).id(), is(1L));
            assertThat(entries.get(2).note(), is("recovered: the process stopped before the move"));
            assertThat(entries.get(3).phase(), is(Phase.DONE));
            assertThat(entries.get(3).id(), is(2L));
            assertThat(entries.get(3).note(), is("recovered: the process stopped after the move"));
            // the next action gets the next id, on a line of its own
            Journal.Entry next = journal.transact(tx -> tx.record(Action.KEEP,
                    root.resolve("a/2.png"),
                    original.get("a/2.png"), null, "scored"));
            assertThat("the cut line never counted", next.id(), is(3L));
        }
        List<String> lines = Files.readAllLines(file);
        assertThat(lines.get(2), is("{\"id\":3,\"phase\":\"inte"));
        for (int i = 0; i < lines.size(); i++) {
            if (i != 2) {
                JsonObject line = JsonParser.parseString(lines.get(i)).getAsJsonObject();
                assertThat(line.has("sha256"), is(true));
            }
        }

        try (Journal journal = Journal.open(root)) {
            Journal.UndoAll undo = journal.undoAll();
            assertThat(undo.refused(), is(List.of()));
            assertThat(undo.undone(), is(List.of("undo 3 keep: a/2.png",
                    "undo 2 quarantine: .kodiak-clean/quarantine/a/1.png -> a/1.png")));
        }
        assertThat(CleanFolders.tree(root), is(original));
    }

    /**
     * The journal travels with the data set, so its lines are input: a crafted "done" move whose
     * source lies outside DATA must not make undo write a file there.
     */
    @Test
    void journalLinesWithPathsOutsideTheFolderAreSkipped() throws Exception {
        Path root = folder();
        Path outside = tmp.resolve("outside.txt");
        String sha = Sha256.of(root.resolve("a/0.png"));
        Files.createDirectories(root.resolve(".kodiak-clean"));
        Journal.Entry crafted = new Journal.Entry(1, Phase.DONE, Instant.now().toString(),
                Action.RELABEL, "../outside.txt", "a/0.png", sha, "b", null, null, null, 1);
        Journal.Entry absolute = new Journal.Entry(2, Phase.DONE, Instant.now().toString(),
                Action.RELABEL, outside.toString(), "a/1.png", Sha256.of(root.resolve(
                "a/1.png")), "b", null, null, null, 1);
        Files.writeString(root.resolve(".kodiak-clean/journal.jsonl"), crafted.json() + "\n"
                + absolute.json() + "\n");
        try (Journal journal = Journal.open(root)) {
            assertThat(journal.problems().size(), is(2));
            assertThat(journal.problems().get(0), containsString("path '../outside.txt' is not a "
                    + "plain path inside"));
            Journal.UndoAll undo = journal.undoAll();
            assertThat(undo.undone(), is(List.of()));
        }
        assertThat(Files.exists(outside), is(false));
        assertThat(Files.exists(root.resolve("a/0.png")), is(true));
    }

    @Test
    void twoProcessesWritingAtOnceTakeTurns() throws Exception {
        Path root = folder();
        int rounds = 150;
        Journal.open(root).close();
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"),
                JournalHammer.class.getName(), root.toString(), "1.png", String.valueOf(rounds))
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(
                child.getInputStream(), StandardCharsets.UTF_8));
                Writer in = new OutputStreamWriter(child.getOutputStream(),
                        StandardCharsets.UTF_8);
                Journal journal = Journal.open(root)) {
            assertThat(out.readLine(), is("ready"));
            in.write("go\n");
            in.flush();
            JournalHammer.hammer(journal, "0.png", rounds);
            String line;
            List<String> said = new ArrayList<>();
            while ((line = out.readLine()) != null) {
                said.add(line);
            }
            assertThat(said.toString(), child.waitFor(), is(0));
            assertThat(said, is(List.of("done")));
        } finally {
            child.destroyForcibly();
        }
        List<JsonObject> lines = CleanFolders.journal(root);
        assertThat("every step of both processes, each on a line of its own", lines,
                hasSize(2 * rounds * 5));
        CleanFolders.assertWellFormed(lines);
        int turns = 0;
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).get("pid").getAsLong() != lines.get(i - 1).get("pid").getAsLong()) {
                turns++;
            }
        }
        assertThat("the two processes wrote in turns, not one after the other", turns,
                greaterThanOrEqualTo(3));
        assertThat(Files.exists(root.resolve("a/0.png")) && Files.exists(root.resolve("a/1.png")),
                is(true));
        assertThat("nothing torn", Files.readString(root.resolve(Journal.DIR
                + "/journal.jsonl")).endsWith("\n"), is(true));
    }
}
