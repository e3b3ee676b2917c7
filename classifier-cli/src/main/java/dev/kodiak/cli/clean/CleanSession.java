package dev.kodiak.cli.clean;

import dev.kodiak.cli.CommandException;
import dev.kodiak.cli.Evaluation;
import dev.kodiak.cli.LabelledFolder;
import dev.kodiak.cli.Progress;
import dev.kodiak.core.Classifier;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * What {@code kodiak clean}'s page sees and does: a labelled folder scored by the model
 * ({@link Scan}), kept in step with the {@link Journal} (which other pages and processes may
 * write too) by a {@link Tracker}, shown in {@link View}s of {@link Card}s; and the rules of
 * each action, which the journal then carries out. It answers in records ({@link State},
 * {@link Card}, {@link Answer}); {@link CleanJson} writes them for the page.
 *
 * <pre>
 * try (CleanSession session = CleanSession.open(root, classifier, 64, 8, System.err, false)) {
 *     List&lt;String&gt; keys = session.view(View.MISLABELED);
 *     Card worst = session.cards(keys).get(0);
 *     Answer moved = session.act(worst.item(), Action.RELABEL, 3, 0);
 * }
 * </pre>
 *
 * <p>Thread-safe: one lock guards the state; scoring runs outside it.
 */
final class CleanSession implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CleanSession.class.getName());
    /** Keys for labels, in label order: digits, then letters the page does not use. */
    static final String LABEL_KEYS = "1234567890abcdefghilmnopqrstwyz";

    private final Path root;
    private final Classifier classifier;
    private final int batch;
    private final double threshold;
    private final Journal journal;
    private final PrintStream stderr;
    private final boolean quiet;
    private final List<String> labels;
    private final Evaluation before;

    // guarded by this
    private Tracker tracker;
    private Evaluation after;
    private Progress rescoring;
    private String rescoringError;

    private CleanSession(Path root, Classifier classifier, int batch, double threshold,
            Journal journal, PrintStream stderr, boolean quiet, Scan scan) throws IOException {
        this.root = root;
        this.classifier = classifier;
        this.batch = batch;
        this.threshold = threshold;
        this.journal = journal;
        this.stderr = stderr;
        this.quiet = quiet;
        this.labels = classifier.manifest().labels();
        this.before = scan.evaluation();
        this.tracker = new Tracker(scan, journal.entries());
    }

    /**
     * Opens the journal of a folder and scores the folder (progress bar on {@code stderr}).
     *
     * @param root the labelled folder, absolute
     * @param classifier the model; the caller closes it after the session
     * @param batch images per forward pass
     * @param threshold the largest look distance of a near duplicate (gray levels)
     * @param stderr where the progress bar goes
     * @param quiet no progress bar
     * @return the session, ready to serve
     * @throws Exception if the folder cannot be read or scored
     */
    static CleanSession open(Path root, Classifier classifier, int batch, double threshold,
            PrintStream stderr, boolean quiet) throws Exception {
        Journal journal = Journal.open(root);
        try {
            LabelledFolder folder = LabelledFolder.read(root, classifier.manifest().labels());
            folder.refuseLinks("kodiak clean");
            Progress progress = Progress.forPeople(stderr, "clean", folder.files().size(), quiet);
            Scan scan = Scan.score(folder, classifier, batch, threshold, progress, 1);
            return new CleanSession(root, classifier, batch, threshold, journal, stderr, quiet,
                    scan);
        } catch (Exception | Error e) {
            journal.close();
            throw e;
        }
    }

    /** Applies journal lines written since the last look (by this page or any other). */
    private List<Journal.Entry> catchUp() throws IOException {
        List<Journal.Entry> all = journal.entries();
        tracker.catchUp(all);
        return all;
    }

    /**
     * The page's header: folder, model, labels with their keys, counts per view, accuracy
     * before and after, scoring progress.
     *
     * @return the state
     * @throws IOException if the journal cannot be read
     */
    synchronized State state() throws IOException {
        List<Journal.Entry> all = catchUp();
        Scan scan = tracker.scan();
        List<State.Label> list = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            list.add(new State.Label(i, labels.get(i), i < LABEL_KEYS.length()
                    ? String.valueOf(LABEL_KEYS.charAt(i)) : null,
                    journal.relative(scan.folder().folderOf(i))));
        }
        return new State(root.toString(), classifier.manifest().name(),
                classifier.manifest().version(), list, counts(all), before, after,
                new State.Rescoring(rescoring != null, rescoring == null ? 0 : rescoring.done(),
                        rescoring == null ? 0 : rescoring.total(), rescoringError),
                journal.relative(journal.file()), Journal.QUARANTINE, scan.groups(),
                scan.generation());
    }

    /**
     * The cards of a view, in order: keys the page then asks {@link #cards} for, a page at a
     * time. Files acted on or kept are not in the review views; the done view lists the
     * actions in effect, newest first.
     *
     * @param view the view
     * @return the card keys ({@code i<item>} or {@code a<action>})
     * @throws IOException if the journal cannot be read
     */
    synchronized List<String> view(View view) throws IOException {
        List<Journal.Entry> all = catchUp();
        if (view == View.DONE) {
            List<Journal.Entry> effective = new ArrayList<>(Journal.effective(all));
            Collections.reverse(effective);
            return effective.stream().map(e -> "a" + e.id()).toList();
        }
        return view.of(tracker.scan().items()).stream().map(i -> "i" + i.id).toList();
    }

    /** @return the cards of each view (the done view's are the actions in effect) */
    private Map<View, Integer> counts(List<Journal.Entry> all) {
        Map<View, Integer> counts = new EnumMap<>(View.class);
        for (View view : View.values()) {
            counts.put(view, view == View.DONE ? Journal.effective(all).size()
                    : (int) tracker.scan().items().stream().filter(view::shows).count());
        }
        return counts;
    }

    /**
     * Cards by key, for the page to draw.
     *
     * @param keys {@code i<item>} or {@code a<action>} keys, as {@link #view} lists them
     * @return one card per known key, in order
     * @throws IOException if the journal cannot be read
     */
    synchronized List<Card> cards(List<String> keys) throws IOException {
        List<Journal.Entry> all = catchUp();
        Map<Long, Journal.Entry> done = done(all);
        List<Card> cards = new ArrayList<>();
        for (String key : keys) {
            long n;
            try {
                n = Long.parseLong(key.substring(1));
            } catch (NumberFormatException | IndexOutOfBoundsException e) {
                continue;
            }
            Item item = tracker.scan().item(n);
            if (key.startsWith("i") && item != null) {
                cards.add(card(item, done));
            } else if (key.startsWith("a") && done.containsKey(n)) {
                cards.add(actionCard(done.get(n), done, all));
            }
        }
        return cards;
    }

    /** @return every action's done line, by id */
    private static Map<Long, Journal.Entry> done(List<Journal.Entry> all) {
        Map<Long, Journal.Entry> done = new HashMap<>();
        for (Journal.Entry e : all) {
            if (e.phase() == Phase.DONE) {
                done.put(e.id(), e);
            }
        }
        return done;
    }

    private Card card(Item item, Map<Long, Journal.Entry> done) {
        Card.Prediction prediction = null;
        if (item.sample != null) {
            Evaluation.Sample s = item.sample;
            prediction = new Card.Prediction(labels.get(s.predicted()), s.predicted(),
                    s.predictedProbability(), labels.get(s.actual()), s.actualProbability(),
                    s.loss());
        }
        Journal.Entry last = item.actions.isEmpty() ? null : done.get(item.lastAction());
        return new Card("i" + item.id, item.id, item.path, item.scoredPath, item.sha256,
                item.quarantined(), folder(item.path), prediction,
                item.image == null ? null : item.image.pixels(),
                item.image == null ? null : item.image.bytes(), item.unreadable, item.group,
                last, null);
    }

    private Card actionCard(Journal.Entry e, Map<Long, Journal.Entry> done,
            List<Journal.Entry> all) {
        boolean inEffect = Journal.effective(all).stream().anyMatch(x -> x.id() == e.id());
        Item item = tracker.itemOf(e.id());
        if (item != null) {
            return card(item, done).asAction("a" + e.id(), e, inEffect);
        }
        return new Card("a" + e.id(), null, e.to(), null, e.sha256(),
                e.to().startsWith(Journal.DIR + "/"), folder(e.to()), null, null, null, null,
                null, e, inEffect);
    }

    /** The label of the folder a path is in, as a card shows it, or null. */
    private Card.Folder folder(String path) {
        Integer label = tracker.scan().folderLabel(path);
        return label == null ? null : new Card.Folder(label, labels.get(label));
    }

    /**
     * Acts on a file: relabel (move it into another label's folder), quarantine (move it into
     * {@code .kodiak-clean/quarantine}, keeping its path) or keep (remember it as fine). Refused
     * when the file is not where it was, or changed since it was scored.
     *
     * @param id the item
     * @param action relabel, quarantine or keep
     * @param label the new label's index, for a relabel
     * @param last the last action on the file the page knows of ({@code 0} for none), so that
     *     a page that has not seen another page's action on the file does not act on top of it;
     *     {@code -1} not to check
     * @return the card as it is now, and a message saying what happened
     * @throws Refused if the action cannot be done (a label index out of range is a bad
     *     request, the rest conflicts with the folder or journal); nothing was changed
     * @throws IOException if the disk fails
     */
    synchronized Answer act(int id, Action action, Integer label, long last)
            throws Refused, IOException {
        refuseWhileScoring();
        if (action == Action.RELABEL && (label == null || label < 0 || label >= labels.size())) {
            throw new Refused(Refused.Kind.BAD_REQUEST, "Relabel needs a label index from 0 to "
                    + (labels.size() - 1) + ", not " + label);
        }
        Item item = tracker.scan().item(id);
        if (item == null) {
            throw new Refused(Refused.Kind.NOT_FOUND, "There is no file " + id
                    + " in this scan; reload the page");
        }
        String message = journal.transact(tx -> {
            catchUp();
            long current = item.lastAction();
            if (last >= 0 && last != current) {
                throw Refused.conflict(current == 0
                        ? "Action " + last + " on " + item.scoredPath + " was undone by "
                        + "another page meanwhile; nothing was changed. Reload to see it."
                        : "Another page acted on " + item.scoredPath + " meanwhile (action "
                        + current + "); nothing was changed. Reload to see it.");
            }
            if (item.quarantined()) {
                throw Refused.conflict(item.path + " is in quarantine; undo the quarantine (u) "
                        + "first");
            }
            Path file = root.resolve(item.path);
            return switch (action) {
                case RELABEL -> relabel(tx, item, file, label);
                case QUARANTINE -> {
                    Path to = root.resolve(Journal.QUARANTINE).resolve(item.path);
                    Journal.Entry e = tx.move(Action.QUARANTINE, file, to, item.sha256, null,
                            null, "scored");
                    yield "Quarantined " + e.from() + " (now " + e.to() + ")";
                }
                case KEEP -> {
                    Journal.Entry e = tx.record(Action.KEEP, file, item.sha256, null, "scored");
                    yield "Kept " + e.from() + "; it will not be shown again";
                }
                case UNDO -> throw new IllegalArgumentException("undo is not an action on a "
                        + "card; use undo(id)");
            };
        });
        return answer(item, message);
    }

    /** Moves a file into a label's folder, keeping its path inside its own. */
    private String relabel(Journal.Tx tx, Item item, Path file, int label)
            throws Refused, IOException {
        Integer folder = tracker.scan().folderLabel(item.path);
        if (folder != null && folder.equals(label)) {
            throw Refused.conflict(item.path + " is already in the folder of "
                    + labels.get(label) + "; nothing was changed");
        }
        String inFolder = item.path.substring(item.path.indexOf('/') + 1);
        Path to = tracker.scan().folder().folderOf(label).resolve(inFolder);
        Journal.Entry e = tx.move(Action.RELABEL, file, to, item.sha256, labels.get(label), null,
                "scored");
        return "Moved " + e.from() + " to " + e.to() + " (" + labels.get(label) + ")"
                + (root.resolve(e.to()).equals(to) ? "" : "; a file of that name was already "
                + "there");
    }

    /**
     * Undoes an action in effect (this page's or any other's): moves the file back, or forgets
     * a keep.
     *
     * @param actionId the action, as its card or the journal names it
     * @return the card of the file as it is now (if it is a scanned file), and a message
     * @throws Refused if it is not in effect or the file moved on or changed since
     * @throws IOException if the disk fails
     */
    synchronized Answer undo(long actionId) throws Refused, IOException {
        refuseWhileScoring();
        Map.Entry<Journal.Entry, Journal.Entry> undone = journal.transact(tx -> {
            catchUp();
            Journal.Entry target = tx.effective().stream().filter(e -> e.id() == actionId)
                    .findFirst().orElse(null);
            Journal.Entry e = tx.undo(actionId);
            return Map.entry(target, e);
        });
        Journal.Entry target = undone.getKey();
        Journal.Entry undo = undone.getValue();
        List<Journal.Entry> all = catchUp();
        String message = "Undid " + target.action().json() + " of " + target.from()
                + (!target.moves() ? "" : undo.to().equals(target.from())
                ? "; it is back where it was" : "; its old place was taken, so it is now at "
                + undo.to());
        Item item = tracker.at(undo.to(), undo.sha256());
        if (item == null) {
            return new Answer(null, message, counts(all));
        }
        return answer(item, message);
    }

    private Answer answer(Item item, String message) throws IOException {
        List<Journal.Entry> all = catchUp();
        return new Answer(card(item, done(all)), message, counts(all));
    }

    private void refuseWhileScoring() throws Refused {
        if (rescoring != null) {
            throw Refused.conflict("The folder is being re-evaluated (" + rescoring.done()
                    + " of " + rescoring.total() + " files); act again when it is done");
        }
    }

    /**
     * Scores the folder again, as it is now, on another thread; {@link #state()} shows the
     * progress, then the accuracy before (at start) and after.
     *
     * @return false if a re-evaluation is already running
     * @throws Refused if the folder can no longer be read as labelled folders
     * @throws IOException if it cannot be listed
     */
    synchronized boolean reevaluate() throws Refused, IOException {
        if (rescoring != null) {
            return false;
        }
        LabelledFolder folder;
        try {
            folder = LabelledFolder.read(root, labels);
            folder.refuseLinks("kodiak clean");
        } catch (CommandException e) {
            throw Refused.conflict(e.getMessage());
        }
        // the page polls its count; a person at the terminal also sees the bar
        Progress progress = Progress.forPeople(stderr, "re-evaluate", folder.files().size(),
                quiet);
        rescoring = progress;
        rescoringError = null;
        int generation = tracker.scan().generation() + 1;
        Thread.ofPlatform().name("kodiak-clean-rescore").daemon().start(() -> {
            try {
                Scan scan = Scan.score(folder, classifier, batch, threshold, progress,
                        generation);
                synchronized (this) {
                    after = scan.evaluation();
                    tracker = new Tracker(scan, journal.entries());
                }
            } catch (CommandException e) {
                synchronized (this) {
                    rescoringError = "Re-evaluation failed: " + e.getMessage();
                }
            } catch (Exception e) {
                // the details go to the terminal; the page gets no absolute path
                Throwable cause = e instanceof ExecutionException && e.getCause() != null
                        ? e.getCause() : e;
                LOG.log(System.Logger.Level.WARNING, "kodiak clean: re-evaluation failed", e);
                synchronized (this) {
                    rescoringError = "Re-evaluation failed: " + journal.describe(cause)
                            + " (the terminal where kodiak clean runs has the details)";
                }
            } finally {
                synchronized (this) {
                    rescoring = null;
                }
            }
        });
        return true;
    }

    /**
     * Where a file of this content is now, for its thumbnail.
     *
     * @param sha256 a scored file's hash
     * @return its path, or null if no scored or moved file has it
     */
    synchronized Path locate(String sha256) {
        String path = tracker.location(sha256);
        return path == null ? null : root.resolve(path);
    }

    /** @return the journal (for its file and the undo-all) */
    Journal journal() {
        return journal;
    }

    /** {@inheritDoc} */
    @Override
    public void close() throws IOException {
        journal.close();
    }
}
