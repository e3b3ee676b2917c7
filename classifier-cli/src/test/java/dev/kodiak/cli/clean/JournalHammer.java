package dev.kodiak.cli.clean;

import dev.kodiak.cli.Sha256;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A second process writing a journal, for {@link CleanJournalTest}: opens the journal of a
 * folder, prints {@code ready}, waits for a line on stdin, then moves its own file back and
 * forth and keeps it, {@code rounds} times, each step journaled.
 */
public final class JournalHammer {
    private JournalHammer() {
    }

    /**
     * Runs the writer.
     *
     * @param args the folder, the file's name (in {@code a/}), the number of rounds
     * @throws Exception if a step fails
     */
    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        try (Journal journal = Journal.open(root)) {
            System.out.println("ready");
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                    .readLine();
            hammer(journal, args[1], Integer.parseInt(args[2]));
        }
        System.out.println("done");
    }

    /**
     * Moves {@code a/NAME} to {@code b/NAME} and back, and keeps it, {@code rounds} times.
     *
     * @param journal the journal
     * @param name the file in {@code a/}
     * @param rounds how many times
     * @throws Exception if a step fails
     */
    static void hammer(Journal journal, String name, int rounds) throws Exception {
        Path a = journal.root().resolve("a").resolve(name);
        Path b = journal.root().resolve("b").resolve(name);
        String sha = Sha256.of(a);
        for (int i = 0; i < rounds; i++) {
            journal.transact(tx -> tx.move(Action.RELABEL, a, b, sha, "b", null, "scored"));
            journal.transact(tx -> tx.move(Action.RELABEL, b, a, sha, "a", null, "scored"));
            journal.transact(tx -> tx.record(Action.KEEP, a, sha, null, "scored"));
        }
    }
}
