package dev.kodiak.cli.clean;

import dev.kodiak.cli.CommandException;
import dev.kodiak.cli.Duplicates;
import dev.kodiak.cli.EvaluationReport;
import dev.kodiak.cli.Exit;
import dev.kodiak.cli.ImageFiles;
import dev.kodiak.cli.ModelOptions;
import dev.kodiak.core.Classifier;
import java.awt.Desktop;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kodiak clean <folder>}: review and fix a labelled folder in the browser. */
@Command(name = "clean", mixinStandardHelpOptions = true,
        description = {"Score a labelled folder (one sub-folder per label, as evaluate reads it),"
                + " find its unreadable files and duplicates, and serve a page on 127.0.0.1 to "
                + "review them: the images the model thinks are mislabelled (worst first), "
                + "duplicate groups (largest kept), unreadable files, and what was done.",
            "Keyboard first: j/k move, a digit or letter relabels (moves the file into that "
                + "label's folder), x quarantines (moves it into DATA/.kodiak-clean/quarantine/, "
                + "keeping its path), space keeps it (not shown again), u undoes; ? lists every "
                + "key. The address carries a random token; requests without it are refused.",
            "Nothing is ever deleted: every action is a move recorded in "
                + "DATA/.kodiak-clean/journal.jsonl (time, action, from, to, sha256), and "
                + "--undo-all puts every file back. A file changed on disk since it was scored "
                + "is not moved."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:served until stopped (Ctrl+C), or --undo-all restored everything",
            "1:--undo-all did not put every file back at its exact path (each "
                + "listed, with why)",
            "2:bad usage, missing or empty folder, or a label folder the model does not know",
            "3:the bundle cannot be used", "4:another failure"})
public final class CleanCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DATA", description = "the labelled folder")
    Path folder;

    @Mixin
    ModelOptions model;

    @Option(names = "--port", defaultValue = "0",
            description = "the port on 127.0.0.1; default: any free one")
    int port;

    @Option(names = "--open", description = "open the page in the default browser")
    boolean open;

    @Option(names = "--undo-all", description = "undo every action in the journal, newest "
            + "first, restoring the original tree; serves nothing")
    boolean undoAll;

    @Option(names = "--threshold", defaultValue = "" + Duplicates.DEFAULT_THRESHOLD,
            description = "largest distance of a near duplicate, in gray levels (0 to 32), "
                    + "as dedupe; default ${DEFAULT-VALUE}")
    double threshold;

    @Option(names = {"-q", "--quiet"}, description = "no progress bar")
    boolean quiet;

    private final PrintStream stdout;
    private final PrintStream stderr;

    /**
     * The command, as {@link dev.kodiak.cli.Main} registers it.
     *
     * @param stdout where the address and summaries go
     * @param stderr where progress goes
     */
    public CleanCommand(PrintStream stdout, PrintStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** A running page: the model, the session and the server; closing stops all three. */
    static final class Running implements AutoCloseable {
        private final Classifier classifier;
        private final CleanSession session;
        private final CleanServer server;

        Running(Classifier classifier, CleanSession session, CleanServer server) {
            this.classifier = classifier;
            this.session = session;
            this.server = server;
        }

        /** @return the page's address, token included */
        URI url() {
            return server.url();
        }

        /** @return the server (for tests) */
        CleanServer server() {
            return server;
        }

        /** @return the session (for tests) */
        CleanSession session() {
            return session;
        }

        @Override
        public void close() throws IOException {
            server.close();
            try {
                session.close();
            } finally {
                classifier.close();
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws Exception {
        if (undoAll) {
            return undoAll(ImageFiles.folder(folder));
        }
        Running running = start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.close();
            } catch (IOException e) {
                stderr.println("kodiak clean: " + e);
            }
            stopped.countDown();
        }));
        if (open) {
            browse(running.url());
        }
        stopped.await();
        return Exit.OK;
    }

    /**
     * Scores the folder and starts the page; prints its address.
     *
     * @return the running page
     * @throws Exception if the folder, the bundle or the port cannot be used
     */
    Running start() throws Exception {
        Duplicates.threshold(threshold);
        if (port < 0 || port > 65535) {
            throw new CommandException(Exit.USAGE, "--port must be 0 to 65535, not " + port);
        }
        Path root = ImageFiles.folder(folder);
        long start = System.nanoTime();
        Classifier classifier = model.open();
        CleanSession session = null;
        try {
            session = CleanSession.open(root, classifier, model.batch(), threshold, stderr, quiet);
            CleanServer server;
            try {
                server = CleanServer.start(session, port);
            } catch (java.net.BindException e) {
                throw new CommandException(Exit.USAGE, "Port " + port + " on 127.0.0.1 is in "
                        + "use; choose another with --port, or leave it out for any free one");
            }
            State state = session.state();
            Map<View, Integer> views = state.views();
            stdout.printf(Locale.ROOT, "Scored %s in %.1f s: accuracy %s; %d likely mislabelled,"
                    + " %d in %d duplicate groups%n", root, (System.nanoTime() - start) / 1e9,
                    EvaluationReport.accuracy(state.before()), views.get(View.MISLABELED),
                    views.get(View.DUPLICATES), state.groups());
            stdout.println("Journal: " + session.journal().file());
            stdout.println("Open " + server.url() + "   (Ctrl+C stops)");
            stdout.flush();
            return new Running(classifier, session, server);
        } catch (Exception | Error e) {
            if (session != null) {
                session.close();
            }
            classifier.close();
            throw e;
        }
    }

    private void browse(URI url) {
        try {
            if (Desktop.isDesktopSupported()
                    && Desktop.getDesktop().isSupported(Desktop.Action.BROWSE)) {
                Desktop.getDesktop().browse(url);
                return;
            }
        } catch (IOException | RuntimeException e) {
            // headless, or no browser registered: the printed address is the way
        }
        stdout.println("Cannot open a browser here; open the address above yourself");
    }

    /** Undoes every action in effect, newest first; lists what it could not undo. */
    private int undoAll(Path root) throws IOException {
        if (!Files.exists(root.resolve(Journal.DIR).resolve("journal.jsonl"),
                LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(root.resolve(Journal.DIR))) {
            stdout.println("Nothing to undo: " + root + " has no " + Journal.DIR
                    + "/journal.jsonl");
            return Exit.OK;
        }
        Journal.UndoAll result;
        try (Journal journal = Journal.open(root)) {
            result = journal.undoAll();
        }
        result.undone().forEach(stdout::println);
        result.refused().forEach(r -> stdout.println("left: " + r));
        result.moved().forEach(m -> stdout.println("not back: " + m));
        int undone = result.undone().size();
        String actions = undone == 1 ? " action" : " actions";
        if (result.restored()) {
            stdout.println("Undid " + undone + actions + "; the folder is as it was before "
                    + "kodiak clean. The journal keeps the history.");
            return Exit.OK;
        }
        List<String> wrong = new ArrayList<>();
        int moved = result.moved().size();
        if (moved > 0) {
            wrong.add(moved == 1 ? "1 file is not back at its exact path"
                    : moved + " files are not back at their exact paths");
        }
        int refused = result.refused().size();
        if (refused > 0) {
            wrong.add(refused + (refused == 1 ? " action" : " actions") + " could not be undone");
        }
        stdout.println("Undid " + undone + actions + "; the folder is not as it was: "
                + String.join(" and ", wrong) + " (listed above)");
        return Exit.FOUND;
    }
}
