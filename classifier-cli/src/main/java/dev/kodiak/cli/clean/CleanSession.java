package dev.kodiak.cli.clean;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.kodiak.cli.CommandException;
import dev.kodiak.cli.Duplicates;
import dev.kodiak.cli.Evaluation;
import dev.kodiak.cli.ImageFiles;
import dev.kodiak.cli.LabelledFolder;
import dev.kodiak.cli.Progress;
import dev.kodiak.cli.Scoring;
import dev.kodiak.cli.Sha256;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What {@code kodiak clean} serves: a labelled folder scored by the model, its duplicate groups
 * and unreadable files, and the actions taken on them, kept in step with the {@link Journal}
 * (which other pages and processes may write too). It answers the page in JSON.
 *
 * <p>Thread-safe: one lock guards the state; scoring runs outside it.
 */
final class CleanSession implements AutoCloseable {
    /** The views of the page, in tab order. */
    static final List<String> VIEWS = List.of("mislabeled", "duplicates", "unreadable", "all",
            "done");
    /** Keys for labels, in label order: digits, then letters the page does not use. */
    static final String LABEL_KEYS = "1234567890abcdefghilmnopqrstwyz";

    private final Path root;
    private final Classifier classifier;
    private final int batch;
    private final int threshold;
    private final Journal journal;
    private final PrintStream stderr;
    private final boolean quiet;
    private final List<String> labels;

    // guarded by this
    private Scan scan;
    private Evaluation before;
    private Evaluation after;
    private int applied;
    private Progress rescoring;
    private String rescoringError;

    /** One file of the scan, where it is now and what was done to it. Guarded by the session. */
    private static final class Item {
        final int id;
        final String scoredPath;
        final String sha256;
        final Evaluation.Sample sample;
        final ImageFiles.Unreadable unreadable;
        final Duplicates.Image entry;
        Group group;
        String path;
        final List<Long> actions = new ArrayList<>();

        Item(int id, String path, String sha256, Evaluation.Sample sample,
                ImageFiles.Unreadable unreadable, Duplicates.Image entry) {
            this.id = id;
            this.scoredPath = path;
            this.path = path;
            this.sha256 = sha256;
            this.sample = sample;
            this.unreadable = unreadable;
            this.entry = entry;
        }

        double loss() {
            return sample == null ? 0 : sample.loss();
        }
    }

    /**
     * An item's duplicate group.
     *
     * @param id the group's number, from 1
     * @param size how many files it has
     * @param keep whether this file is the one kept by default (the largest)
     * @param match how it matches the kept one ({@code same bytes}, {@code near (N bits)})
     * @param keepPath the kept file, as scored
     */
    private record Group(int id, int size, boolean keep, String match, String keepPath) {
    }

    /**
     * A scan: the folder as read, its items, where each item is now, and where each content
     * is (for thumbnails). The maps change as actions are applied; guarded by the session.
     */
    private static final class Scan {
        final LabelledFolder folder;
        final List<Item> items;
        final Map<String, Item> byPath;
        final Map<String, String> locations = new HashMap<>();
        final int groups;
        final int generation;

        Scan(LabelledFolder folder, List<Item> items, Map<String, Item> byPath, int groups,
                int generation) {
            this.folder = folder;
            this.items = List.copyOf(items);
            this.byPath = byPath;
            this.groups = groups;
            this.generation = generation;
        }
    }

    private CleanSession(Path root, Classifier classifier, int batch, int threshold,
            Journal journal, PrintStream stderr, boolean quiet) {
        this.root = root;
        this.classifier = classifier;
        this.batch = batch;
        this.threshold = threshold;
        this.journal = journal;
        this.stderr = stderr;
        this.quiet = quiet;
        this.labels = classifier.manifest().labels();
    }

    /**
     * Opens the journal of a folder and scores the folder (progress bar on {@code stderr}).
     *
     * @param root the labelled folder, absolute
     * @param classifier the model; the caller closes it after the session
     * @param batch images per forward pass
     * @param threshold most differing bits of a near duplicate
     * @param stderr where the progress bar goes
     * @param quiet no progress bar
     * @return the session, ready to serve
     * @throws Exception if the folder cannot be read or scored
     */
    static CleanSession open(Path root, Classifier classifier, int batch, int threshold,
            PrintStream stderr, boolean quiet) throws Exception {
        Journal journal = Journal.open(root);
        try {
            CleanSession session = new CleanSession(root, classifier, batch, threshold, journal,
                    stderr, quiet);
            LabelledFolder folder = LabelledFolder.read(root, session.labels);
            Progress progress = Progress.forPeople(stderr, "clean", folder.files().size(), quiet);
            Map.Entry<Evaluation, Scan> scored = session.score(folder, progress);
            synchronized (session) {
                session.before = scored.getKey();
                session.install(scored.getValue());
            }
            return session;
        } catch (Exception | Error e) {
            journal.close();
            throw e;
        }
    }

    /** Scores every file: the model, the sha256, the look (for duplicates), once per file. */
    private Map.Entry<Evaluation, Scan> score(LabelledFolder folder, Progress progress)
            throws Exception {
        ImageDecoder decoder = new ImageDecoder(classifier.config().maxPixels());
        boolean rgbModel = classifier.manifest().input().color() == ColorMode.RGB;
        Map<Path, String> shas = new ConcurrentHashMap<>();
        Map<Path, Duplicates.Image> looks = new ConcurrentHashMap<>();
        Evaluation evaluation = Scoring.score(classifier, folder.files(), batch, progress,
                (file, bytes) -> {
                    shas.put(file, Sha256.of(bytes));
                    Pixels rgb = decoder.decode(bytes, ColorMode.RGB);
                    looks.put(file, Duplicates.Image.of(file, bytes, rgb));
                    // one decode when the model reads RGB; else the model's own, as evaluate
                    return rgbModel ? classifier.stages().prepare(rgb) : classifier.stages().prepare(bytes);
                });
        Map<Path, Evaluation.Sample> samples = new HashMap<>();
        evaluation.samples().forEach(s -> samples.put(s.path(), s));
        Map<Path, ImageFiles.Unreadable> unreadable = new HashMap<>();
        evaluation.unreadable().forEach(u -> unreadable.put(u.path(), u));
        List<Item> items = new ArrayList<>();
        Map<String, Item> byPath = new LinkedHashMap<>();
        Map<Path, Item> byFile = new HashMap<>();
        for (Path file : folder.files().keySet()) {
            Item item = new Item(items.size(), journal.relative(file), shas.get(file),
                    samples.get(file), unreadable.get(file), looks.get(file));
            items.add(item);
            byPath.put(item.path, item);
            byFile.put(file, item);
        }
        List<Duplicates.Image> entries = new ArrayList<>(looks.values());
        entries.sort(Comparator.comparing(Duplicates.Image::path));
        List<Duplicates.Group> groups = Duplicates.group(entries, threshold);
        for (int g = 0; g < groups.size(); g++) {
            Duplicates.Group group = groups.get(g);
            int size = group.extras().size() + 1;
            String keep = journal.relative(group.keep().path());
            byFile.get(group.keep().path()).group = new Group(g + 1, size, true, "kept: the "
                    + "largest", keep);
            for (int i = 0; i < group.extras().size(); i++) {
                byFile.get(group.extras().get(i).path()).group = new Group(g + 1, size, false,
                        group.how().get(i), keep);
            }
        }
        int generation;
        synchronized (this) {
            generation = scan == null ? 1 : scan.generation + 1;
        }
        return Map.entry(evaluation, new Scan(folder, items, byPath, groups.size(), generation));
    }

    /** Makes a scan current and attaches the actions in effect to its files. */
    private void install(Scan next) throws IOException {
        List<Journal.Entry> all = journal.entries();
        for (Journal.Entry e : Journal.effective(all)) {
            if (e.moves()) {
                next.locations.put(e.sha256(), e.to());
            }
            Item item = next.byPath.get(e.to());
            if (item != null && item.sha256.equals(e.sha256())) {
                item.actions.add(e.id());
            }
        }
        for (Item item : next.items) {
            next.locations.put(item.sha256, item.path);
        }
        scan = next;
        applied = all.size();
    }

    /** Applies journal lines written since the last look (by this page or any other). */
    private List<Journal.Entry> catchUp() throws IOException {
        List<Journal.Entry> all = journal.entries();
        for (int i = applied; i < all.size(); i++) {
            Journal.Entry e = all.get(i);
            if (e.phase() != Phase.DONE) {
                continue;
            }
            Item item = scan.byPath.get(e.from());
            if (item == null || !item.sha256.equals(e.sha256())) {
                if (e.moves()) {
                    scan.locations.put(e.sha256(), e.to());
                }
                continue;
            }
            if (e.moves()) {
                scan.byPath.remove(item.path);
                item.path = e.to();
                scan.byPath.put(item.path, item);
                scan.locations.put(e.sha256(), e.to());
            }
            if (e.action() == Action.UNDO) {
                item.actions.remove(e.undoes());
            } else {
                item.actions.add(e.id());
            }
        }
        applied = all.size();
        return all;
    }

    /**
     * The page's header: folder, model, labels with their keys, counts per view, accuracy
     * before and after, scoring progress.
     *
     * @return the state
     * @throws IOException if the journal cannot be read
     */
    synchronized JsonObject state() throws IOException {
        List<Journal.Entry> all = catchUp();
        JsonObject o = new JsonObject();
        o.addProperty("folder", root.toString());
        JsonObject model = new JsonObject();
        model.addProperty("name", classifier.manifest().name());
        model.addProperty("version", classifier.manifest().version());
        o.add("model", model);
        JsonArray labelArray = new JsonArray();
        for (int i = 0; i < labels.size(); i++) {
            JsonObject l = new JsonObject();
            l.addProperty("index", i);
            l.addProperty("name", labels.get(i));
            if (i < LABEL_KEYS.length()) {
                l.addProperty("key", String.valueOf(LABEL_KEYS.charAt(i)));
            }
            l.addProperty("folder", journal.relative(scan.folder.folderOf(i)));
            labelArray.add(l);
        }
        o.add("labels", labelArray);
        o.add("views", counts(all));
        JsonObject accuracy = new JsonObject();
        accuracy.add("before", accuracy(before));
        if (after != null) {
            accuracy.add("after", accuracy(after));
        }
        o.add("accuracy", accuracy);
        JsonObject scoring = new JsonObject();
        scoring.addProperty("running", rescoring != null);
        if (rescoring != null) {
            scoring.addProperty("done", rescoring.done());
            scoring.addProperty("total", rescoring.total());
        }
        if (rescoringError != null) {
            scoring.addProperty("error", rescoringError);
        }
        o.add("scoring", scoring);
        o.addProperty("journal", journal.relative(journal.file()));
        o.addProperty("quarantine", Journal.QUARANTINE);
        o.addProperty("groups", scan.groups);
        o.addProperty("generation", scan.generation);
        return o;
    }

    private static JsonObject accuracy(Evaluation e) {
        JsonObject o = new JsonObject();
        o.addProperty("accuracy", e.accuracy());
        o.addProperty("correct", e.correct());
        o.addProperty("total", e.total());
        o.addProperty("unreadable", e.unreadable().size());
        return o;
    }

    /**
     * The cards of a view, in order: keys the page then asks {@link #cards} for, a page at a
     * time. Files acted on or kept are not in the review views; the done view lists the
     * actions in effect, newest first.
     *
     * @param view one of {@link #VIEWS}
     * @return the card keys ({@code i<item>} or {@code a<action>})
     * @throws Refused if there is no such view
     * @throws IOException if the journal cannot be read
     */
    synchronized List<String> view(String view) throws Refused, IOException {
        List<Journal.Entry> all = catchUp();
        if (!VIEWS.contains(view)) {
            throw new Refused(Refused.Kind.NOT_FOUND, "There is no view '" + view + "'; the views are " + VIEWS);
        }
        if (view.equals("done")) {
            List<Journal.Entry> effective = new ArrayList<>(Journal.effective(all));
            java.util.Collections.reverse(effective);
            return effective.stream().map(e -> "a" + e.id()).toList();
        }
        return items(view).stream().map(i -> "i" + i.id).toList();
    }

    /** Whether an item belongs in a review view: not acted on or kept, and fitting it. */
    private static boolean in(Item i, String view) {
        return i.actions.isEmpty() && switch (view) {
            case "mislabeled" -> i.sample != null && i.sample.predicted() != i.sample.actual();
            case "duplicates" -> i.group != null;
            case "unreadable" -> i.unreadable != null;
            case "all" -> i.sample != null;
            default -> false;
        };
    }

    /** @return the cards of each view (the done view's are the actions in effect) */
    private JsonObject counts(List<Journal.Entry> all) {
        JsonObject counts = new JsonObject();
        for (String view : VIEWS) {
            counts.addProperty(view, view.equals("done") ? Journal.effective(all).size()
                    : (int) scan.items.stream().filter(i -> in(i, view)).count());
        }
        return counts;
    }

    private List<Item> items(String view) {
        List<Item> items = new ArrayList<>(scan.items.stream().filter(i -> in(i, view)).toList());
        if (view.equals("duplicates")) {
            items.sort(Comparator.comparingInt((Item i) -> i.group.id())
                    .thenComparing(i -> !i.group.keep()).thenComparing(i -> i.scoredPath));
        } else {
            items.sort(Comparator.comparingDouble(Item::loss).reversed()
                    .thenComparing(i -> i.scoredPath));
        }
        return items;
    }

    /**
     * Cards by key, for the page to draw.
     *
     * @param keys {@code i<item>} or {@code a<action>} keys, as {@link #view} lists them
     * @return one card per known key, in order
     * @throws IOException if the journal cannot be read
     */
    synchronized JsonArray cards(List<String> keys) throws IOException {
        List<Journal.Entry> all = catchUp();
        Map<Long, Journal.Entry> done = new HashMap<>();
        for (Journal.Entry e : all) {
            if (e.phase() == Phase.DONE) {
                done.put(e.id(), e);
            }
        }
        JsonArray cards = new JsonArray();
        for (String key : keys) {
            long n;
            try {
                n = Long.parseLong(key.substring(1));
            } catch (NumberFormatException | IndexOutOfBoundsException e) {
                continue;
            }
            if (key.startsWith("i") && n >= 0 && n < scan.items.size()) {
                cards.add(card(scan.items.get((int) n), done));
            } else if (key.startsWith("a") && done.containsKey(n)) {
                cards.add(actionCard(done.get(n), done, all));
            }
        }
        return cards;
    }

    private JsonObject card(Item item, Map<Long, Journal.Entry> done) {
        JsonObject o = new JsonObject();
        o.addProperty("key", "i" + item.id);
        o.addProperty("item", item.id);
        o.addProperty("path", item.path);
        o.addProperty("scored_path", item.scoredPath);
        o.addProperty("sha256", item.sha256);
        boolean quarantined = item.path.startsWith(Journal.DIR + "/");
        o.addProperty("quarantined", quarantined);
        Integer folder = folderLabel(item.path);
        if (folder != null) {
            o.addProperty("folder", labels.get(folder));
            o.addProperty("folder_index", folder);
        }
        if (item.sample != null) {
            Evaluation.Sample s = item.sample;
            o.addProperty("predicted", labels.get(s.predicted()));
            o.addProperty("predicted_index", s.predicted());
            o.addProperty("probability", s.predictedProbability());
            o.addProperty("scored_label", labels.get(s.actual()));
            o.addProperty("scored_probability", s.actualProbability());
            o.addProperty("loss", s.loss());
        }
        if (item.entry != null) {
            o.addProperty("pixels", item.entry.pixels());
            o.addProperty("bytes", item.entry.bytes());
        }
        if (item.unreadable != null) {
            JsonObject u = new JsonObject();
            u.addProperty("reason", item.unreadable.reason());
            u.addProperty("message", item.unreadable.message());
            o.add("unreadable", u);
        }
        if (item.group != null) {
            JsonObject g = new JsonObject();
            g.addProperty("id", item.group.id());
            g.addProperty("size", item.group.size());
            g.addProperty("keep", item.group.keep());
            g.addProperty("match", item.group.match());
            g.addProperty("keep_path", item.group.keepPath());
            o.add("group", g);
        }
        if (!item.actions.isEmpty()) {
            Journal.Entry last = done.get(item.actions.get(item.actions.size() - 1));
            if (last != null) {
                o.add("action", actionJson(last));
            }
        }
        return o;
    }

    private JsonObject actionCard(Journal.Entry e, Map<Long, Journal.Entry> done,
            List<Journal.Entry> all) {
        Item item = null;
        for (Item i : scan.items) {
            if (i.actions.contains(e.id())) {
                item = i;
            }
        }
        JsonObject o = item != null ? card(item, done) : new JsonObject();
        o.addProperty("key", "a" + e.id());
        if (item == null) {
            o.addProperty("path", e.to());
            o.addProperty("sha256", e.sha256());
            o.addProperty("quarantined", e.to().startsWith(Journal.DIR + "/"));
            Integer folder = folderLabel(e.to());
            if (folder != null) {
                o.addProperty("folder", labels.get(folder));
                o.addProperty("folder_index", folder);
            }
        }
        o.add("action", actionJson(e));
        boolean inEffect = Journal.effective(all).stream().anyMatch(x -> x.id() == e.id());
        o.addProperty("in_effect", inEffect);
        return o;
    }

    private static JsonObject actionJson(Journal.Entry e) {
        JsonObject a = new JsonObject();
        a.addProperty("id", e.id());
        a.addProperty("action", e.action().json());
        a.addProperty("from", e.from());
        a.addProperty("to", e.to());
        a.addProperty("time", e.time());
        if (e.label() != null) {
            a.addProperty("label", e.label());
        }
        return a;
    }

    /** The label of the folder a relative path is in, or null (quarantine, unknown). */
    private Integer folderLabel(String path) {
        int slash = path.indexOf('/');
        if (slash < 0 || path.startsWith(Journal.DIR + "/")) {
            return null;
        }
        String name = path.substring(0, slash);
        for (Map.Entry<Integer, Path> f : scan.folder.folders().entrySet()) {
            if (f.getValue().getFileName().toString().equals(name)) {
                return f.getKey();
            }
        }
        return LabelledFolder.labelOf(name, labels);
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
     * @throws Refused if the action cannot be done; nothing was changed
     * @throws IOException if the disk fails
     */
    synchronized JsonObject act(int id, Action action, Integer label, long last)
            throws Refused, IOException {
        refuseWhileScoring();
        if (id < 0 || id >= scan.items.size()) {
            throw new Refused(Refused.Kind.NOT_FOUND, "There is no file " + id + " in this scan; reload the page");
        }
        Item item = scan.items.get(id);
        String message = journal.transact(tx -> {
                catchUp();
                long current = item.actions.isEmpty() ? 0
                        : item.actions.get(item.actions.size() - 1);
                if (last >= 0 && last != current) {
                    throw Refused.conflict(current == 0
                            ? "Action " + last + " on " + item.scoredPath + " was undone by "
                            + "another page meanwhile; nothing was changed. Reload to see it."
                            : "Another page acted on " + item.scoredPath + " meanwhile (action "
                            + current + "); nothing was changed. Reload to see it.");
                }
                Path file = root.resolve(item.path);
                if (item.path.startsWith(Journal.DIR + "/")) {
                    throw Refused.conflict(item.path + " is in quarantine; undo the "
                            + "quarantine (u) first");
                }
                switch (action) {
                    case RELABEL -> {
                        if (label == null || label < 0 || label >= labels.size()) {
                            throw Refused.conflict("Relabel needs a label index from 0 to "
                                    + (labels.size() - 1) + ", not " + label);
                        }
                        Integer folder = folderLabel(item.path);
                        if (folder != null && folder.equals(label)) {
                            throw Refused.conflict(item.path + " is already in the folder "
                                    + "of " + labels.get(label) + "; nothing was changed");
                        }
                        String inFolder = item.path.substring(item.path.indexOf('/') + 1);
                        Path to = scan.folder.folderOf(label).resolve(inFolder);
                        Journal.Entry e = tx.move(Action.RELABEL, file, to, item.sha256,
                                labels.get(label), null, "scored");
                        return "Moved " + e.from() + " to " + e.to() + " (" + labels.get(label)
                                + ")" + (root.resolve(e.to()).equals(to) ? "" : "; a file "
                                + "of that name was already there");
                    }
                    case QUARANTINE -> {
                        Path to = root.resolve(Journal.QUARANTINE).resolve(item.path);
                        Journal.Entry e = tx.move(Action.QUARANTINE, file, to, item.sha256, null,
                                null, "scored");
                        return "Quarantined " + e.from() + " (now " + e.to() + ")";
                    }
                    case KEEP -> {
                        Journal.Entry e = tx.record(Action.KEEP, file, item.sha256, null, "scored");
                        return "Kept " + e.from() + "; it will not be shown again";
                    }
                    default -> throw new IllegalArgumentException("not an action on a card: "
                            + action);
                }
            });
        return answer(item, message);
    }

    /**
     * Undoes an action in effect (this page's or any other's): moves the file back, or forgets
     * a keep.
     *
     * @param actionId the action, as its card or the journal names it
     * @return the card of the file as it is now, and a message
     * @throws Refused if it is not in effect or the file moved on or changed since
     * @throws IOException if the disk fails
     */
    synchronized JsonObject undo(long actionId) throws Refused, IOException {
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
        catchUp();
        String message = "Undid " + target.action().json() + " of " + target.from()
                + (!target.moves() ? "" : undo.to().equals(target.from())
                ? "; it is back where it was" : "; its old place was taken, so it is now at "
                + undo.to());
        Item item = scan.byPath.get(undo.to());
        if (item == null || !item.sha256.equals(undo.sha256())) {
            JsonObject o = new JsonObject();
            o.addProperty("message", message);
            o.add("views", counts());
            return o;
        }
        return answer(item, message);
    }

    private JsonObject answer(Item item, String message) throws IOException {
        catchUp();
        Map<Long, Journal.Entry> done = new HashMap<>();
        for (Journal.Entry e : journal.entries()) {
            if (e.phase() == Phase.DONE) {
                done.put(e.id(), e);
            }
        }
        JsonObject o = new JsonObject();
        o.add("card", card(item, done));
        o.addProperty("message", message);
        o.add("views", counts());
        return o;
    }

    private JsonObject counts() throws IOException {
        return counts(journal.entries());
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
        } catch (CommandException e) {
            throw Refused.conflict(e.getMessage());
        }
        // the page polls its count; a person at the terminal also sees the bar
        Progress progress = Progress.forPeople(stderr, "re-evaluate", folder.files().size(),
                quiet);
        rescoring = progress;
        rescoringError = null;
        Thread.ofPlatform().name("kodiak-clean-rescore").daemon().start(() -> {
            try {
                Map.Entry<Evaluation, Scan> scored = score(folder, progress);
                synchronized (this) {
                    after = scored.getKey();
                    install(scored.getValue());
                }
            } catch (Exception e) {
                synchronized (this) {
                    rescoringError = "Re-evaluation failed: " + (e instanceof CommandException
                            ? e.getMessage() : e.toString());
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
        String path = scan.locations.get(sha256);
        return path == null ? null : root.resolve(path);
    }

    /** @return the journal (for its file and the undo-all) */
    Journal journal() {
        return journal;
    }

    @Override
    public void close() throws IOException {
        journal.close();
    }
}
