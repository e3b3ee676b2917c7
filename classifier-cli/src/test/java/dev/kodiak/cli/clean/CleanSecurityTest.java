package dev.kodiak.cli.clean;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.cli.CliTest;
import dev.kodiak.cli.CommandException;
import dev.kodiak.cli.Exit;
import dev.kodiak.cli.Sha256;
import dev.kodiak.cli.TestFolders;
import dev.kodiak.core.testing.Fixtures;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The security review of {@code kodiak clean} (issue 21), one test per finding: a journal that
 * travels with the folder is input, so no line of it, no symbolic link and no file where a
 * folder belongs may move a file outside DATA's real path, hang the page, or make the page show
 * what was not scored; and what the page and its errors give away.
 */
class CleanSecurityTest {
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    /** DATA with {@code a/0.png}, {@code a/1.png}, {@code a/2.png} and an empty {@code b}. */
    private Path folder() throws Exception {
        Path root = tmp.resolve("data");
        Files.createDirectories(root.resolve("a"));
        Files.createDirectories(root.resolve("b"));
        for (int i = 0; i < 3; i++) {
            Files.write(root.resolve("a/" + i + ".png"), TestFolders.png(i));
        }
        return root;
    }

    /** Writes a journal of done relabels, each {@code {from, to, sha256}}. */
    private static void journal(Path root, String[]... moves) throws Exception {
        Files.createDirectories(root.resolve(Journal.DIR));
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < moves.length; i++) {
            lines.append(new Journal.Entry(i + 1, Phase.DONE, Instant.now().toString(),
                    Action.RELABEL, moves[i][0], moves[i][1], moves[i][2], "b", null, null, null,
                    1).json()).append('\n');
        }
        Files.writeString(root.resolve(Journal.DIR + "/journal.jsonl"), lines);
    }

    private static CleanCommand.Running start(Path data) throws Exception {
        return CleanTest.start(new PrintStream(CleanTest.OutputStreamSink.INSTANCE),
                data.toString(), "--bundle", Fixtures.defaultBundle().toString(), "-q");
    }

    private HttpResponse<String> post(CleanCommand.Running running, String path, String json)
            throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + running.server().port() + path)).timeout(PATIENCE)
                .header(CleanServer.TOKEN_HEADER, running.server().token())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<byte[]> thumbnail(CleanCommand.Running running, String sha,
            String size) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + running.server().port() + "/thumb/" + sha + "?size=" + size + "&token="
                + running.server().token())).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static JsonObject error(HttpResponse<String> response) {
        return JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonObject("error");
    }

    /** The item number of the card whose file is at a path, as scored. */
    private static int item(CleanCommand.Running running, String path) throws Exception {
        for (Card c : running.session().cards(running.session().view(View.ALL))) {
            if (c.path().equals(path)) {
                return c.item();
            }
        }
        throw new AssertionError("no card for " + path);
    }

    // 1. a journal line moves files outside DATA

    @Test
    void emptyAndDotPathsInTheJournalAreSkippedAndMoveNothing() throws Exception {
        Path root = folder();
        Map<String, String> before = CleanFolders.tree(root);
        String sha = before.get("a/0.png");
        journal(root, new String[] {"", "a/0.png", sha}, new String[] {".", "a/0.png", sha},
                new String[] {"a/./x.png", "a/0.png", sha}, new String[] {"a//x.png", "a/0.png",
                    sha}, new String[] {"a/0.png", "a/", sha});
        try (Journal journal = Journal.open(root)) {
            assertThat(journal.problems().toString(), journal.problems().size(), is(5));
            assertThat(journal.problems().get(0), containsString("path '' is not a plain path "
                    + "inside " + root));
            assertThat(journal.entries(), is(empty()));
            assertThat(journal.undoAll().undone(), is(empty()));
        }
        assertThat("nothing beside DATA", Files.exists(tmp.resolve("data.1")), is(false));
        assertThat(CleanFolders.tree(root), is(before));
    }

    @Test
    void aSymlinkedFolderInsideDataCarriesNoFileOutAndNoneIn() throws Exception {
        Path root = folder();
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Files.write(elsewhere.resolve("secret.png"), TestFolders.png(7));
        Files.createSymbolicLink(root.resolve(".ln"), elsewhere);
        Map<String, String> before = CleanFolders.tree(root);
        // undo would move a/0.png out through the link, and the outside file in
        journal(root, new String[] {".ln/0.png", "a/0.png", before.get("a/0.png")},
                new String[] {"a/new.png", ".ln/secret.png",
                    Sha256.of(elsewhere.resolve("secret.png"))});

        CliTest.Run undo = CliTest.run("clean", root.toString(), "--undo-all");

        assertThat(undo.out(), undo.exit(), is(Exit.FOUND));
        assertThat(undo.out(), containsString("left: Refused to move a/0.png to .ln/0.png: .ln "
                + "leads outside data through a symbolic link"));
        assertThat(undo.out(), containsString("left: Refused to move .ln/secret.png to "
                + "a/new.png: .ln leads outside data through a symbolic link"));
        assertThat(Files.exists(elsewhere.resolve("0.png")), is(false));
        assertThat(Files.exists(elsewhere.resolve("secret.png")), is(true));
        assertThat(Files.exists(root.resolve("a/new.png")), is(false));
        assertThat(CleanFolders.tree(root), is(before));
    }

    // next to 1: the journal's own folder and file

    @Test
    void aSymlinkedJournalFolderIsRefused() throws Exception {
        Path root = folder();
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Files.createSymbolicLink(root.resolve(Journal.DIR), elsewhere);

        CliTest.Run undo = CliTest.run("clean", root.toString(), "--undo-all");

        assertThat(undo.exit(), is(Exit.USAGE));
        assertThat(undo.err(), containsString(".kodiak-clean in " + root + " is a symbolic "
                + "link; kodiak clean keeps its journal and quarantine only inside the folder it "
                + "cleans: remove the link"));
        try (var files = Files.list(elsewhere)) {
            assertThat("nothing written where the link points", files.toList(), is(empty()));
        }
    }

    @Test
    void aSymlinkedJournalFileIsRefusedAndWhatItPointsAtIsNotWritten() throws Exception {
        Path root = TestFolders.fashion(tmp.resolve("data"), 12);
        Path profile = tmp.resolve("profile");
        Files.writeString(profile, "export PATH=/usr/bin");
        Files.createDirectories(root.resolve(Journal.DIR));
        Files.createSymbolicLink(root.resolve(Journal.DIR + "/journal.jsonl"), profile);

        CommandException refused = assertThrows(CommandException.class, () -> {
            try (CleanCommand.Running running = start(root)) {
                post(running, "/api/act", "{\"item\":0,\"action\":\"keep\"}");
            }
        });

        assertThat(refused.exitCode(), is(Exit.USAGE));
        assertThat(refused.getMessage(), containsString(".kodiak-clean/journal.jsonl in " + root
                + " is a symbolic link; kodiak clean writes its journal only inside the folder "
                + "it cleans: remove the link"));
        assertThat(Files.readString(profile), is("export PATH=/usr/bin"));
    }

    @Test
    void aJournalFolderThatIsAFileIsRefused() throws Exception {
        Path root = TestFolders.fashion(tmp.resolve("data"), 12);
        Files.writeString(root.resolve(Journal.DIR), "not a folder");

        CommandException refused = assertThrows(CommandException.class, () -> start(root)
                .close());

        assertThat(refused.exitCode(), is(Exit.USAGE));
        assertThat(refused.getMessage(), is(".kodiak-clean in " + root + " is a file; kodiak "
                + "clean keeps its journal and quarantine in a folder of that name: move the "
                + "file away"));
        assertThat(Files.readString(root.resolve(Journal.DIR)), is("not a folder"));
    }

    // 2. a file where a folder must be: an endless loop that filled the journal

    @Test
    void aRelabelIntoALabelFolderThatIsAFileIsRefusedAtOnce() throws Exception {
        Path root = TestFolders.fashion(tmp.resolve("data"), 12);
        Files.writeString(root.resolve("bag"), "not a folder");
        int bag = TestFolders.labels().indexOf("Bag");
        try (CleanCommand.Running running = start(root)) {
            int item = item(running, "ankle-boot/00000.png");

            HttpResponse<String> r = post(running, "/api/act", "{\"item\":" + item
                    + ",\"action\":\"relabel\",\"label\":" + bag + "}");

            assertThat(r.body(), r.statusCode(), is(409));
            assertThat(error(r).get("message").getAsString(), is("bag is a file where a folder "
                    + "must be, so ankle-boot/00000.png cannot go to bag/00000.png; move or "
                    + "rename it, then try again. Nothing was changed."));
        }
        assertThat(Files.exists(root.resolve("ankle-boot/00000.png")), is(true));
        assertThat(CleanFolders.journal(root), is(empty()));
    }

    @Test
    void aQuarantineThatIsAFileIsRefusedAtOnce() throws Exception {
        Path root = folder();
        String sha = Sha256.of(root.resolve("a/0.png"));
        Path quarantined = root.resolve(Journal.QUARANTINE + "/a/0.png");
        try (Journal journal = Journal.open(root)) {
            // the quarantine is a file; then its folder for a/ is
            for (String file : List.of(Journal.QUARANTINE, Journal.QUARANTINE + "/a")) {
                Files.createDirectories(root.resolve(file).getParent());
                Files.writeString(root.resolve(file), "not a folder");
                Refused refused = assertTimeoutPreemptively(PATIENCE, () -> assertThrows(
                        Refused.class, () -> journal.transact(tx -> tx.move(Action.QUARANTINE,
                                root.resolve("a/0.png"), quarantined, sha, null, null,
                                "scored"))));
                assertThat(refused.getMessage(), is(file + " is a file where a folder must be, "
                        + "so a/0.png cannot go to .kodiak-clean/quarantine/a/0.png; move or "
                        + "rename it, then try again. Nothing was changed."));
                Files.delete(root.resolve(file));
            }
        }
        assertThat(Files.exists(root.resolve("a/0.png")), is(true));
        assertThat(CleanFolders.journal(root), is(empty()));
    }

    @Test
    void anUndoWhoseFolderBecameAFileIsRefusedAtOnce() throws Exception {
        Path root = folder();
        String sha = Sha256.of(root.resolve("a/0.png"));
        try (Journal journal = Journal.open(root)) {
            Journal.Entry moved = journal.transact(tx -> tx.move(Action.RELABEL,
                    root.resolve("a/0.png"), root.resolve("b/0.png"), sha, "b", null, "scored"));
            Files.move(root.resolve("a"), tmp.resolve("a-away"));
            Files.writeString(root.resolve("a"), "a file now");

            Refused refused = assertTimeoutPreemptively(PATIENCE, () -> assertThrows(
                    Refused.class, () -> journal.transact(tx -> tx.undo(moved.id()))));

            assertThat(refused.getMessage(), is("a is a file where a folder must be, so b/0.png "
                    + "cannot go to a/0.png; move or rename it, then try again. Nothing was "
                    + "changed."));
        }
        assertThat(Files.exists(root.resolve("b/0.png")), is(true));
        assertThat("the move's two lines and nothing more", CleanFolders.journal(root).size(),
                lessThanOrEqualTo(2));
    }

    // 3. a symlinked label folder

    @Test
    void cleanRefusesASymlinkedLabelFolderAndEvaluateFollowsItSayingSo() throws Exception {
        Path root = TestFolders.fashion(tmp.resolve("data"), 12);
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Files.move(root.resolve("sneaker"), elsewhere.resolve("sneaker"));
        Files.createSymbolicLink(root.resolve("sneaker"), elsewhere.resolve("sneaker"));

        CommandException refused = assertThrows(CommandException.class, () -> start(root)
                .close());
        assertThat(refused.exitCode(), is(Exit.USAGE));
        assertThat(refused.getMessage(), is("The label folder sneaker is a symbolic link; "
                + "kodiak clean moves files only inside " + root + ", so it does not follow "
                + "links: put the folder itself there, or clean the folder it points to"));
        assertThat(CleanFolders.journal(root), is(empty()));

        CliTest.Run evaluate = CliTest.run("evaluate", root.toString(), "--bundle",
                Fixtures.defaultBundle().toString(), "-q", "--out", tmp.resolve("report")
                        .toString());
        assertThat(evaluate.err(), evaluate.exit(), is(Exit.OK));
        assertThat(evaluate.out(), containsString("The label folder sneaker is a symbolic "
                + "link; its images are read where it points"));
        assertThat("the linked folder's images are counted too", evaluate.out(),
                containsString(" of 12 images)"));
    }

    // 4. --undo-all said "as it was" when it was not

    @Test
    void undoAllNamesEveryFileNotBackAtItsExactPathAndFails() throws Exception {
        Path root = folder();
        String sha = Sha256.of(root.resolve("a/0.png"));
        try (Journal journal = Journal.open(root)) {
            journal.transact(tx -> tx.move(Action.RELABEL, root.resolve("a/0.png"),
                    root.resolve("b/0.png"), sha, "b", null, "scored"));
        }
        Files.write(root.resolve("a/0.png"), TestFolders.png(9));

        CliTest.Run undo = CliTest.run("clean", root.toString(), "--undo-all");

        assertThat(undo.out(), undo.exit(), is(Exit.FOUND));
        assertThat(undo.out(), containsString("not back: a/0.png is at a/0.1.png (its old place "
                + "was taken)"));
        assertThat(undo.out(), containsString("Undid 1 action; the folder is not as it was: 1 "
                + "file is not back at its exact path (listed above)"));
        assertThat(undo.out(), not(containsString("as it was before kodiak clean")));
        assertThat(Sha256.of(root.resolve("a/0.1.png")), is(sha));
    }

    // 5. thumbnails of a file swapped after scoring

    @Test
    void aThumbnailIsServedOnlyForTheContentThatWasScored() throws Exception {
        Path root = TestFolders.fashion(tmp.resolve("data"), 12);
        Path outside = tmp.resolve("private.jpg");
        Files.copy(Fixtures.image("jpeg-baseline.jpg").path(), outside);
        Path swapped = root.resolve("ankle-boot/00000.png");
        Path changed = root.resolve("trouser/00002.png");
        String swappedSha = Sha256.of(swapped);
        String changedSha = Sha256.of(changed);
        try (CleanCommand.Running running = start(root)) {
            Files.delete(swapped);
            Files.createSymbolicLink(swapped, outside);
            Files.write(changed, TestFolders.png(11));
            for (String size : List.of("112", "512")) {
                assertThat(thumbnail(running, swappedSha, size).statusCode(), is(404));
                assertThat(thumbnail(running, changedSha, size).statusCode(), is(404));
            }
            assertThat("others still are", thumbnail(running, Sha256.of(root.resolve(
                    "sandal/00011.png")), "112").statusCode(), is(200));
        }
    }

    // 6. small leaks (the token in the address bar: CleanTest, in Chromium)

    /** A file whose name is as long as a name can be, in two folders: a free name is longer. */
    private static String longName(Path root) throws Exception {
        String name = "a".repeat(251) + ".png";
        Files.write(root.resolve("sandal/" + name), TestFolders.png(12));
        Files.write(Files.createDirectories(root.resolve("pullover")).resolve(name),
                TestFolders.png(13));
        return name;
    }

    @Test
    void aFileWhoseNameIsAsLongAsANameCanBeStillMovesToAFreeName() throws Exception {
        // it answered 500 "File name too long": the free name pullover/aaa….1.png is 257 bytes
        Path root = TestFolders.fashion(tmp.resolve("data"), 12);
        String name = longName(root);
        try (CleanCommand.Running running = start(root)) {
            HttpResponse<String> r = post(running, "/api/act", "{\"item\":" + item(running,
                    "sandal/" + name) + ",\"action\":\"relabel\",\"label\":"
                    + TestFolders.labels().indexOf("Pullover") + "}");
            assertThat(r.body(), r.statusCode(), is(200));
        }
        String moved = "a".repeat(249) + ".1.png";
        assertThat(Files.readAllBytes(root.resolve("pullover/" + moved)),
                is(TestFolders.png(12)));
        assertThat(Files.readAllBytes(root.resolve("pullover/" + name)), is(TestFolders.png(13)));
        List<JsonObject> journal = CleanFolders.journal(root);
        assertThat(journal.get(journal.size() - 1).get("to").getAsString(),
                is("pullover/" + moved));
    }

    @Test
    void aFailureIsDescribedWithoutAbsolutePaths() throws Exception {
        Path root = TestFolders.fashion(tmp.resolve("data"), 2);
        try (CleanCommand.Running running = start(root)) {
            Journal journal = running.session().journal();
            String described = journal.describe(new java.nio.file.FileSystemException(
                    root.toRealPath().resolve("sandal/x.png").toString(),
                    root.resolve("pullover/x.png").toString(), "File name too long"));
            assertThat(described, is("FileSystemException: sandal/x.png -> pullover/x.png: "
                    + "File name too long"));
            String outside = journal.describe(new java.nio.file.NoSuchFileException(
                    tmp.resolve("elsewhere/secret.png").toString()));
            assertThat(outside, not(containsString(tmp.toString())));
            assertThat(outside, containsString("secret.png"));
        }
    }

    @Test
    void aFailedReevaluationSaysWhatFailedWithoutAbsolutePaths() throws Exception {
        Path root = TestFolders.fashion(tmp.resolve("data"), 2000);
        try (CleanCommand.Running running = start(root)) {
            CleanSession session = running.session();
            // the last file goes once the re-evaluation has listed the folder and begun
            Path last;
            try (var files = Files.walk(root.resolve("trouser"))) {
                last = files.filter(Files::isRegularFile).sorted().reduce((a, b) -> b)
                        .orElseThrow();
            }
            assertThat(session.reevaluate(), is(true));
            Files.delete(last);
            State.Rescoring done = await(session, s -> !s.rescoring().running());

            assertThat(done.error(), not(containsString(tmp.toString())));
            assertThat(done.error(), is("Re-evaluation failed: NoSuchFileException: "
                    + "trouser/" + last.getFileName() + " (the terminal where kodiak clean runs "
                    + "has the details)"));
        }
    }

    /** Asks for the state until it fits, as the page polls it (the page, every 300 ms). */
    private static State.Rescoring await(CleanSession session,
            java.util.function.Predicate<State> done) throws Exception {
        long end = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < end) {
            State state = session.state();
            if (done.test(state)) {
                return state.rescoring();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the re-evaluation did not end in " + PATIENCE);
    }

    @Test
    void aBadLabelOrActionIsABadRequest() throws Exception {
        Path root = TestFolders.fashion(tmp.resolve("data"), 12);
        try (CleanCommand.Running running = start(root)) {
            int item = item(running, "ankle-boot/00000.png");
            for (String body : List.of("\"label\":99", "\"label\":-1", "\"label\":null", "")) {
                HttpResponse<String> r = post(running, "/api/act", "{\"item\":" + item
                        + ",\"action\":\"relabel\"" + (body.isEmpty() ? "" : "," + body) + "}");
                assertThat(body, r.statusCode(), is(400));
                assertThat(error(r).get("code").getAsString(), is("bad_request"));
                assertThat(error(r).get("message").getAsString(),
                        startsWith("Relabel needs a label index from 0 to 9, not "));
            }
            for (String action : List.of("jump", "undo")) {
                HttpResponse<String> r = post(running, "/api/act", "{\"item\":" + item
                        + ",\"action\":\"" + action + "\"}");
                assertThat(action, r.statusCode(), is(400));
                assertThat(error(r).get("message").getAsString(), is("Unknown action '" + action
                        + "'; use relabel, quarantine or keep"));
            }
        }
        assertThat(CleanFolders.journal(root), is(empty()));
    }
}
