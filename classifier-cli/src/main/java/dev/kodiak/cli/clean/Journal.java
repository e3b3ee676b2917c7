package dev.kodiak.cli.clean;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.cli.CommandException;
import dev.kodiak.cli.Exit;
import dev.kodiak.cli.ImageFiles;
import dev.kodiak.cli.Sha256;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.InvalidPathException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The record of everything {@code kodiak clean} did to a folder, and the only way it moves files:
 * an append-only file of JSON lines, {@code DATA/.kodiak-clean/journal.jsonl}.
 *
 * <p>Each move is written as an {@code intent} line, made durable (fsync), then done, then
 * written again as a {@code done} line (or {@code failed}). A process that stops between the two
 * leaves an intent without an outcome; the next writer, holding the lock, looks where the file is
 * and writes the outcome for it. Nothing is ever replaced or deleted: a move goes to a free name,
 * and only empty folders a move itself created are removed when it is undone.
 *
 * <p>The journal travels with the folder, so its lines are input: a line whose paths are not
 * plain paths inside DATA is skipped, and before every move the real paths (symbolic links
 * followed) of the file's folder and of the folder it goes to must lie inside DATA's real path.
 * The journal's folder and file may not be symbolic links.
 *
 * <pre>
 * {"id":4,"phase":"intent","time":"2026-11-26T10:00:00Z","action":"relabel",
 *  "from":"trouser/00012.png","to":"bag/00012.png","sha256":"9f…","label":"Bag","pid":4242}
 * {"id":4,"phase":"done", … the same fields …}
 * </pre>
 *
 * <p>Thread-safe, and safe across processes: writers take turns on a lock of the journal file
 * ({@link FileChannel#lock()}), after a JVM-wide monitor per file, because file locks are held
 * per JVM.
 */
final class Journal implements AutoCloseable {
    /** The folder, inside DATA, that holds the journal and the quarantine. */
    static final String DIR = ".kodiak-clean";
    /** Where quarantined files go, inside {@link #DIR}, keeping their paths. */
    static final String QUARANTINE = DIR + "/quarantine";

    /** One monitor per journal file in this JVM; the file lock then serialises processes. */
    private static final Map<Path, Object> MONITORS = new ConcurrentHashMap<>();
    /** How often a move looks for another free name when one is taken as it moves. */
    private static final int TRIES = 100;

    private final Path root;
    private final Path realRoot;
    private final Path file;
    private final FileChannel channel;
    private final Object monitor;
    private final List<Entry> entries = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private long offset;
    private long nextId = 1;

    /**
     * One line of the journal.
     *
     * @param id the action's number; its intent and outcome lines share it
     * @param phase intent, done or failed
     * @param time when the line was written (UTC, ISO-8601)
     * @param action what was done
     * @param from the file's path relative to DATA, with {@code /}
     * @param to where it goes ({@code from} for a keep)
     * @param sha256 the file's content hash
     * @param label the new label of a relabel, else null
     * @param undoes the action an undo undoes, else null
     * @param created the topmost folder the move created (removed again, if empty, by its undo)
     * @param note why an action failed or how it was recovered, else null
     * @param pid the process that wrote the line
     */
    record Entry(long id, Phase phase, String time, Action action, String from, String to,
            String sha256, String label, Long undoes, String created, String note, long pid) {

        /** @return whether the action moves a file */
        boolean moves() {
            return !from.equals(to);
        }

        /** @return the line's JSON object, as written (null fields left out) */
        JsonObject json() {
            JsonObject o = new JsonObject();
            o.addProperty("id", id);
            o.addProperty("phase", phase.json());
            o.addProperty("time", time);
            o.addProperty("action", action.json());
            o.addProperty("from", from);
            o.addProperty("to", to);
            o.addProperty("sha256", sha256);
            if (label != null) {
                o.addProperty("label", label);
            }
            if (undoes != null) {
                o.addProperty("undoes", undoes);
            }
            if (created != null) {
                o.addProperty("created", created);
            }
            if (note != null) {
                o.addProperty("note", note);
            }
            o.addProperty("pid", pid);
            return o;
        }

        /**
         * Reads a line.
         *
         * @param o the line's JSON object
         * @return the entry
         * @throws RuntimeException (Gson's, or {@link IllegalArgumentException}) when a field
         *     is missing or is not what it must be
         */
        static Entry of(JsonObject o) {
            return new Entry(o.get("id").getAsLong(), Phase.of(o.get("phase").getAsString()),
                    o.get("time").getAsString(), Action.of(o.get("action").getAsString()),
                    o.get("from").getAsString(), o.get("to").getAsString(),
                    o.get("sha256").getAsString(), text(o, "label"),
                    o.has("undoes") ? o.get("undoes").getAsLong() : null, text(o, "created"),
                    text(o, "note"), o.has("pid") ? o.get("pid").getAsLong() : 0);
        }

        private static String text(JsonObject o, String key) {
            return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsString() : null;
        }

        /**
         * The outcome line of an intent: the same action, written now by this process.
         *
         * @param phase done or failed
         * @param note why, or null
         * @return the line
         */
        Entry with(Phase phase, String note) {
            return new Entry(id, phase, Instant.now().toString(), action, from, to, sha256, label,
                    undoes, created, note, ProcessHandle.current().pid());
        }
    }

    /** Work done while holding the journal's lock. */
    interface Work<T> {
        /**
         * Does the work.
         *
         * @param tx the open transaction
         * @return the result
         * @throws Refused if the work is refused
         * @throws IOException if the disk fails
         */
        T run(Tx tx) throws Refused, IOException;
    }

    private Journal(Path root, Path realRoot, Path file, FileChannel channel) {
        this.root = root;
        this.realRoot = realRoot;
        this.file = file;
        this.channel = channel;
        this.monitor = MONITORS.computeIfAbsent(file, k -> new Object());
    }

    /**
     * Opens (or starts) the journal of a folder and settles what a stopped process left
     * unfinished.
     *
     * @param root DATA, absolute
     * @return the journal; close it when done
     * @throws IOException if it cannot be created or read
     * @throws CommandException {@link Exit#USAGE} when the journal's folder or file is a
     *     symbolic link, or the folder is a file
     */
    static Journal open(Path root) throws IOException {
        Path dir = root.resolve(DIR);
        if (Files.isSymbolicLink(dir)) {
            throw new CommandException(Exit.USAGE, DIR + " in " + root + " is a symbolic link; "
                    + "kodiak clean keeps its journal and quarantine only inside the folder it "
                    + "cleans: remove the link");
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new CommandException(Exit.USAGE, DIR + " in " + root + " is a file; kodiak "
                    + "clean keeps its journal and quarantine in a folder of that name: move the"
                    + " file away");
        }
        Files.createDirectories(dir);
        Path realRoot = root.toRealPath();
        Path file = realRoot.resolve(DIR).resolve("journal.jsonl");
        if (Files.isSymbolicLink(file)) {
            throw new CommandException(Exit.USAGE, DIR + "/journal.jsonl in " + root + " is a "
                    + "symbolic link; kodiak clean writes its journal only inside the folder it "
                    + "cleans: remove the link");
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        Journal journal = new Journal(root, realRoot, file, channel);
        try {
            journal.transact(tx -> null);
        } catch (Refused e) {
            throw new IllegalStateException("settling refuses nothing", e);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return journal;
    }

    /** @return the journal file */
    Path file() {
        return file;
    }

    /** @return the folder the journal is about */
    Path root() {
        return root;
    }

    /**
     * Reads what other processes wrote since the last look (complete lines only; no lock).
     *
     * @return every line so far, in file order
     * @throws IOException if the file cannot be read
     */
    List<Entry> entries() throws IOException {
        synchronized (monitor) {
            synchronized (this) {
                readNew(false);
                return List.copyOf(entries);
            }
        }
    }

    /** @return lines that could not be read (a line cut by a crash), with their offsets */
    synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    /**
     * Runs work while holding the lock: first the journal is read to its end and unfinished
     * moves of stopped processes are settled, so the work sees the folder as it is.
     *
     * @param work the work
     * @param <T> its result
     * @return what the work returned
     * @throws Refused if the work refused
     * @throws IOException if the disk fails
     */
    <T> T transact(Work<T> work) throws Refused, IOException {
        synchronized (monitor) {
            synchronized (this) {
                FileLock lock = channel.lock();
                try {
                    readNew(true);
                    recover();
                    return work.run(new Tx());
                } finally {
                    lock.release();
                }
            }
        }
    }

    /** Reads complete new lines; under the lock, a cut last line is closed off and skipped. */
    private void readNew(boolean locked) throws IOException {
        long size = channel.size();
        if (size <= offset) {
            return;
        }
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(size - offset));
        long at = offset;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                break;
            }
            at += n;
        }
        byte[] bytes = buffer.array();
        int length = buffer.position();
        int start = 0;
        for (int i = 0; i < length; i++) {
            if (bytes[i] == '\n') {
                parse(new String(bytes, start, i - start, StandardCharsets.UTF_8), offset + start);
                start = i + 1;
            }
        }
        offset += start;
        if (locked && start < length) {
            // a writer stopped in the middle of a line: end it so the next line stands alone
            problems.add("offset " + offset + ": a line cut short (" + (length - start)
                    + " bytes), skipped");
            write("\n");
            offset = channel.size();
        }
    }

    private void parse(String line, long at) {
        if (line.isBlank()) {
            return;
        }
        try {
            Entry e = Entry.of(JsonParser.parseString(line).getAsJsonObject());
            String odd = notPlain(e);
            if (odd != null) {
                // the journal lives in DATA and travels with it: a crafted line must not make
                // undo move files anywhere else
                problems.add("offset " + at + ": path '" + odd + "' is not a plain path inside "
                        + root + ", skipped");
                return;
            }
            entries.add(e);
            nextId = Math.max(nextId, e.id() + 1);
        } catch (RuntimeException e) {
            problems.add("offset " + at + ": not a journal line, skipped: " + e.getMessage());
        }
    }

    /** The first of an entry's paths that is not a {@link #plain} path, or null. */
    private static String notPlain(Entry e) {
        for (String path : new String[] {e.from(), e.to(), e.created()}) {
            if (path != null && !plain(path)) {
                return path;
            }
        }
        return null;
    }

    /**
     * Whether a journal's path names a file or folder inside DATA and nothing else: relative,
     * {@code /} between names, no name empty, {@code .} or {@code ..}.
     *
     * @param path a path from a journal line
     * @return whether it is plain
     */
    static boolean plain(String path) {
        if (path.isEmpty() || path.contains("\\") || path.indexOf('\0') >= 0) {
            return false;
        }
        try {
            Path p = Path.of(path);
            if (p.isAbsolute() || p.getRoot() != null) {
                return false;
            }
        } catch (InvalidPathException e) {
            return false;
        }
        for (String name : path.split("/", -1)) {
            if (name.isEmpty() || name.equals(".") || name.equals("..")) {
                return false;
            }
        }
        return true;
    }

    /** Settles moves whose process stopped between intent and outcome (we hold the lock). */
    private void recover() throws IOException {
        for (Entry intent : pending()) {
            Path from = root.resolve(intent.from());
            Path to = root.resolve(intent.to());
            boolean atFrom = intent.sha256().equals(sha256OrNull(from));
            boolean atTo = intent.sha256().equals(sha256OrNull(to));
            if (atFrom) {
                append(intent.with(Phase.FAILED, "recovered: the process stopped before the move"
                        + (atTo ? "; a complete copy was left at " + intent.to() : "")));
            } else if (atTo) {
                append(intent.with(Phase.DONE, "recovered: the process stopped after the move"));
            } else {
                append(intent.with(Phase.FAILED, "recovered: the process stopped during the move "
                        + "and the file is at neither place; look for sha256 " + intent.sha256()));
            }
        }
    }

    private List<Entry> pending() {
        Map<Long, Entry> open = new LinkedHashMap<>();
        for (Entry e : entries) {
            if (e.phase() == Phase.INTENT) {
                open.put(e.id(), e);
            } else {
                open.remove(e.id());
            }
        }
        return List.copyOf(open.values());
    }

    private Entry append(Entry e) throws IOException {
        write(e.json() + "\n");
        offset = channel.size();
        entries.add(e);
        nextId = Math.max(nextId, e.id() + 1);
        return e;
    }

    /** Appends text at the end and makes it durable before returning. */
    private void write(String text) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        long at = channel.size();
        while (bytes.hasRemaining()) {
            at += channel.write(bytes, at);
        }
        channel.force(true);
    }

    /**
     * The actions in effect: done, not an undo, and not undone, oldest first.
     *
     * @param entries journal lines
     * @return the actions in effect
     */
    static List<Entry> effective(List<Entry> entries) {
        Map<Long, Entry> done = new LinkedHashMap<>();
        for (Entry e : entries) {
            if (e.phase() != Phase.DONE) {
                continue;
            }
            if (e.action() == Action.UNDO) {
                done.remove(e.undoes());
            } else {
                done.put(e.id(), e);
            }
        }
        return List.copyOf(done.values());
    }

    /** The content of a regular file whose folder is inside DATA's real path, else null. */
    private String sha256OrNull(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || outside(file.getParent())) {
            return null;
        }
        try {
            return Sha256.of(file);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * @param path a path inside the folder
     * @return the path relative to the folder, with {@code /}, as the journal writes it
     */
    String relative(Path path) {
        return relative(root, path);
    }

    /**
     * @param root a folder
     * @param path a path inside it
     * @return the path relative to the folder, with {@code /}, as the journal writes it
     */
    static String relative(Path root, Path path) {
        return root.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/");
    }

    /**
     * Whether a folder lies outside DATA's real path once symbolic links are followed.
     *
     * @param dir an existing folder
     * @return true when outside, or when it cannot be resolved
     */
    private boolean outside(Path dir) {
        try {
            return !dir.toRealPath().startsWith(realRoot);
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * What failed, for a journal note or the page: the exception's kind, the files it names
     * relative to DATA (outside it, only their names), and the system's reason; no absolute
     * path.
     *
     * @param e a failure
     * @return e.g. {@code FileSystemException: a/x.png -> b/x.png: File name too long}
     */
    String describe(Throwable e) {
        StringBuilder text = new StringBuilder(e.getClass().getSimpleName());
        if (e instanceof FileSystemException f) {
            if (f.getFile() != null) {
                text.append(": ").append(shown(f.getFile()));
            }
            if (f.getOtherFile() != null) {
                text.append(" -> ").append(shown(f.getOtherFile()));
            }
            if (f.getReason() != null) {
                text.append(": ").append(f.getReason());
            }
        }
        return text.toString();
    }

    /** A path of an exception as a message shows it: relative to DATA, else its name only. */
    private String shown(String file) {
        Path path = Path.of(file);
        for (Path base : List.of(root, realRoot)) {
            if (path.isAbsolute() && path.normalize().startsWith(base)) {
                return relative(base, path.normalize());
            }
        }
        return path.getFileName() == null ? "?" : path.getFileName().toString();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** The lock is held: read the current state and move files, each move journaled. */
    final class Tx {
        private Tx() {
        }

        /** @return every line, up to date */
        List<Entry> entries() {
            return List.copyOf(entries);
        }

        /** @return the actions in effect, oldest first */
        List<Entry> effective() {
            return Journal.effective(entries);
        }

        /**
         * Moves a file, journaled: intent, move to a free name, done. The file must be where
         * it is said to be, with the content it is said to have.
         *
         * @param action relabel, quarantine or undo
         * @param from the file
         * @param to where it should go; a free name next to it when taken
         * @param sha256 the content the caller saw
         * @param label the new label, for a relabel
         * @param undoes the action undone, for an undo
         * @param since what the content is compared with, for the message ("scored",
         *     "moved")
         * @return the done line
         * @throws Refused if the file is not there or changed
         * @throws IOException if the move fails (a failed line is written first)
         */
        Entry move(Action action, Path from, Path to, String sha256, String label, Long undoes,
                String since) throws Refused, IOException {
            Path folder = to.getParent();
            if (!to.normalize().equals(to) || !to.startsWith(root) || to.equals(root)) {
                throw new IllegalArgumentException("not a path inside " + root + ": " + to);
            }
            String refusal = "Refused to move " + relative(from) + " to " + relative(to) + ": ";
            if (Files.isDirectory(from.getParent()) && outside(from.getParent())) {
                throw Refused.conflict(refusal + leadsOutside(from.getParent()));
            }
            check(from, sha256, since);
            Path existing = folder;
            while (!Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
                existing = existing.getParent();
            }
            if (!Files.isDirectory(existing)) {
                throw notAFolder(existing, from, to);
            }
            if (outside(existing)) {
                throw Refused.conflict(refusal + leadsOutside(existing));
            }
            for (int tries = 0; tries < TRIES; tries++) {
                Path target = ImageFiles.unused(to);
                String created = null;
                for (Path dir = folder; dir.startsWith(root) && !dir.equals(root)
                        && !Files.isDirectory(dir); dir = dir.getParent()) {
                    created = relative(dir);
                }
                Entry intent = append(new Entry(nextId, Phase.INTENT, Instant.now().toString(),
                        action, relative(from), relative(target), sha256, label, undoes, created,
                        null, ProcessHandle.current().pid()));
                try {
                    Files.createDirectories(folder);
                } catch (FileAlreadyExistsException e) {
                    // a file took a folder's name meanwhile: never retried, never replaced
                    append(intent.with(Phase.FAILED, describe(e)));
                    throw notAFolder(Path.of(e.getFile()), from, to);
                } catch (IOException e) {
                    append(intent.with(Phase.FAILED, describe(e)));
                    throw e;
                }
                if (outside(folder)) {
                    // a folder on the way was swapped for a link meanwhile
                    append(intent.with(Phase.FAILED, "the folder led outside the data folder"));
                    throw Refused.conflict(refusal + leadsOutside(folder));
                }
                try {
                    Files.move(from, target);
                } catch (FileAlreadyExistsException e) {
                    append(intent.with(Phase.FAILED, "the name was taken meanwhile; trying "
                            + "another"));
                    continue;
                } catch (IOException e) {
                    append(intent.with(Phase.FAILED, describe(e)));
                    throw e;
                }
                syncFolder(target.getParent());
                syncFolder(from.getParent());
                return append(intent.with(Phase.DONE, null));
            }
            throw Refused.conflict(refusal + "each free name was taken as it was chosen, "
                    + TRIES + " times; try again");
        }

        /** A refusal because a file (or a link to nothing) is where a folder must be. */
        private Refused notAFolder(Path path, Path from, Path to) {
            return Refused.conflict(relative(path) + " is " + (Files.isRegularFile(path,
                    LinkOption.NOFOLLOW_LINKS) ? "a file" : "not a folder") + " where a folder "
                    + "must be, so " + relative(from) + " cannot go to " + relative(to)
                    + "; move or rename it, then try again. Nothing was changed.");
        }

        /** Why a folder may not be used: the end of a refusal. */
        private String leadsOutside(Path dir) {
            return relative(dir) + " leads outside " + root.getFileName() + " through a "
                    + "symbolic link; kodiak clean moves files only inside the folder it cleans. "
                    + "Nothing was changed.";
        }

        /**
         * Records an action that moves nothing (keep, or the undo of a keep).
         *
         * @param action keep, or undo (of a keep)
         * @param path the file
         * @param sha256 its content as the caller saw it
         * @param undoes the action undone, for an undo
         * @param since what the content is compared with, for the message
         * @return the done line
         * @throws Refused if the file is not there or changed
         * @throws IOException if the journal cannot be written
         */
        Entry record(Action action, Path path, String sha256, Long undoes, String since)
                throws Refused, IOException {
            check(path, sha256, since);
            return append(new Entry(nextId, Phase.DONE, Instant.now().toString(), action,
                    relative(path), relative(path), sha256, null, undoes, null, null,
                    ProcessHandle.current().pid()));
        }

        /**
         * Undoes an action in effect: moves the file back (to a free name if its old place is
         * taken), or forgets a keep. Empty folders the action created are removed.
         *
         * @param id the action
         * @return the undo's done line
         * @throws Refused if it is not in effect, or the file moved on or changed since
         * @throws IOException if the disk fails
         */
        Entry undo(long id) throws Refused, IOException {
            Entry target = null;
            List<Entry> effective = effective();
            for (Entry e : effective) {
                if (e.id() == id) {
                    target = e;
                }
            }
            if (target == null) {
                boolean known = entries.stream().anyMatch(e -> e.id() == id
                        && e.phase() == Phase.DONE && e.action() != Action.UNDO);
                throw Refused.conflict(known ? "Action " + id + " is already undone"
                        : "There is no action " + id + " to undo in " + relative(file));
            }
            for (Entry later : effective) {
                if (later.id() > id && later.from().equals(target.to())
                        && later.sha256().equals(target.sha256())) {
                    throw Refused.conflict("Cannot undo action " + id + " (" + target.action()
                            .json() + " of " + target.from() + "): action " + later.id() + " ("
                            + later.action().json() + ") came after it on the same file; undo "
                            + "that one first");
                }
            }
            if (!target.moves()) {
                return record(Action.UNDO, root.resolve(target.from()), target.sha256(), id,
                        "kept");
            }
            Entry done = move(Action.UNDO, root.resolve(target.to()), root.resolve(target.from()),
                    target.sha256(), null, id, "moved");
            if (target.created() != null) {
                removeEmpty(root.resolve(target.to()).getParent(), root.resolve(target.created()));
            }
            return done;
        }

        private void check(Path path, String sha256, String since) throws Refused, IOException {
            String actual = sha256OrNull(path);
            if (actual == null) {
                throw Refused.conflict(relative(path) + " is no longer there (moved or deleted "
                        + "outside kodiak clean); nothing was changed. Re-evaluate to see the "
                        + "folder as it is now.");
            }
            if (!actual.equals(sha256)) {
                throw Refused.conflict(relative(path) + " changed on disk since it was " + since
                        + " (its sha256 differs); nothing was changed. Re-evaluate to see it "
                        + "as it is now.");
            }
        }

        /** Removes empty folders from {@code dir} up to and including {@code top}. */
        private void removeEmpty(Path dir, Path top) throws IOException {
            for (Path d = dir; d != null && d.startsWith(top); d = d.getParent()) {
                try (var children = Files.list(d)) {
                    if (children.findAny().isPresent()) {
                        return;
                    }
                } catch (NoSuchFileException e) {
                    continue;
                }
                Files.delete(d);
                syncFolder(d.getParent());
            }
        }
    }

    /**
     * What {@link #undoAll} did.
     *
     * @param undone per action undone, newest first: {@code undo ID ACTION: FROM -> TO}
     * @param refused per action left as it is, why
     * @param moved per file undone to another name than its old one, where it is
     */
    record UndoAll(List<String> undone, List<String> refused, List<String> moved) {
        /** Copies the lists. */
        UndoAll {
            undone = List.copyOf(undone);
            refused = List.copyOf(refused);
            moved = List.copyOf(moved);
        }

        /** @return whether every file is back at its exact path */
        boolean restored() {
            return refused.isEmpty() && moved.isEmpty();
        }
    }

    /**
     * Undoes every action in effect, newest first, under one lock: the folder goes back to what
     * it was before the first action, except where a file changed or moved on meanwhile.
     *
     * @return what was undone and what was not, with why
     * @throws IOException if the disk fails
     */
    UndoAll undoAll() throws IOException {
        try {
            return transact(tx -> {
                List<Entry> effective = new ArrayList<>(tx.effective());
                java.util.Collections.reverse(effective);
                List<String> undone = new ArrayList<>();
                List<String> refused = new ArrayList<>();
                List<String> moved = new ArrayList<>();
                for (Entry e : effective) {
                    try {
                        Entry u = tx.undo(e.id());
                        undone.add("undo " + e.id() + " " + e.action().json() + ": "
                                + (e.moves() ? e.to() + " -> " + u.to() : e.from()));
                        if (e.moves() && !u.to().equals(e.from())) {
                            moved.add(e.from() + " is at " + u.to() + " (its old place was "
                                    + "taken)");
                        }
                    } catch (Refused r) {
                        refused.add(r.getMessage());
                    }
                }
                return new UndoAll(undone, refused, moved);
            });
        } catch (Refused e) {
            throw new IllegalStateException("undoAll refuses per action, never as a whole", e);
        }
    }

    /** Makes a folder's entries (a rename) durable; not every platform can, and that is fine. */
    private static void syncFolder(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open a folder as a channel; its renames are durable on their own
        }
    }
}
