package dev.kodiak.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.Pixels;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kodiak dedupe <folder>}: exact and near duplicate images, grouped. */
@Command(name = "dedupe", mixinStandardHelpOptions = true,
        description = {"Find exact duplicates (the same bytes) and near duplicates (the same "
                + "picture re-encoded, resized or lightly edited: a perceptual hash of the "
                + "decoded image within --threshold bits) and report them in groups.",
            "In each group the largest image is kept (then the largest file, then the one "
                + "highest in the folder tree); with --quarantine the others are moved "
                + "there, keeping their relative paths. Nothing is ever deleted. Files that are "
                + "not readable images are left to kodiak verify."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:no duplicates", "1:duplicates found (listed)",
            "2:bad usage, missing or empty folder", "4:another failure"})
final class DedupeCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FOLDER", description = "the folder to check (recursively)")
    Path folder;

    @Option(names = "--threshold", defaultValue = "8",
            description = "most differing bits of 64 for a near duplicate (0 to 32); "
                    + "default ${DEFAULT-VALUE}")
    int threshold;

    @Option(names = "--quarantine", paramLabel = "DIR",
            description = "move the extras of each group here")
    Path quarantine;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the groups as JSON")
    Path json;

    @Option(names = {"-q", "--quiet"}, description = "no progress bar")
    boolean quiet;

    private final PrintStream stdout;
    private final PrintStream stderr;

    DedupeCommand(PrintStream stdout, PrintStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * One readable image, as duplicates are found.
     *
     * @param path the file
     * @param sha256 its bytes' hash (hex)
     * @param hash its {@link PerceptualHash}
     * @param pixels width times height
     * @param bytes its size
     */
    record Entry(Path path, String sha256, long hash, long pixels, long bytes) {
        /**
         * The entry of a decoded file.
         *
         * @param path the file
         * @param bytes its bytes
         * @param rgb its decoded pixels
         * @return the entry
         */
        static Entry of(Path path, byte[] bytes, Pixels rgb) {
            return new Entry(path, DedupeCommand.sha256(bytes), PerceptualHash.of(rgb),
                    (long) rgb.width() * rgb.height(), bytes.length);
        }
    }

    /**
     * Duplicates: the image kept and the others, with how each matches the kept one.
     *
     * @param keep the largest image
     * @param extras the others
     * @param how per extra, {@code same bytes} or {@code near (N bits)}
     */
    record Group(Entry keep, List<Entry> extras, List<String> how) {
    }

    /**
     * The SHA-256 of some bytes.
     *
     * @param bytes the bytes
     * @return the hash as lower-case hex
     */
    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public Integer call() throws Exception {
        if (threshold < 0 || threshold > 32) {
            throw new CommandException(Exit.USAGE, "--threshold must be 0 to 32, not "
                    + threshold);
        }
        Path root = ImageFiles.folder(folder);
        Path skip = quarantine == null ? null : quarantine.toAbsolutePath().normalize();
        List<Path> files = ImageFiles.list(root, skip);
        if (files.isEmpty()) {
            throw new CommandException(Exit.USAGE, root + " has no files");
        }
        List<Entry> entries = new ArrayList<>();
        int unreadable = ImageFiles.decodeEach(files, new ImageDecoder(),
                Progress.forPeople(stderr, "dedupe", files.size(), quiet), (file, bytes, pixels) ->
                        entries.add(Entry.of(file, bytes, pixels))).size();
        List<Group> groups = group(entries, threshold);
        int extras = 0;
        for (Group g : groups) {
            stdout.println("keep " + root.relativize(g.keep().path()));
            for (int i = 0; i < g.extras().size(); i++) {
                Entry e = g.extras().get(i);
                String line = "  " + g.how().get(i) + " " + root.relativize(e.path());
                if (skip != null) {
                    line += " -> " + ImageFiles.quarantine(e.path(), root, skip);
                }
                stdout.println(line);
                extras++;
            }
        }
        if (json != null) {
            Files.writeString(json, json(groups, root));
        }
        stdout.println(groups.isEmpty() ? "No duplicates among " + entries.size() + " images"
                : groups.size() + " groups, " + extras + " duplicates among " + entries.size()
                + " images" + (skip != null ? "; duplicates moved to " + skip : ""));
        if (unreadable > 0) {
            stdout.println(unreadable + " files are not readable images (see kodiak verify)");
        }
        return groups.isEmpty() ? Exit.OK : Exit.FOUND;
    }

    /**
     * Union-find over exact and near matches; the largest image of each group is kept.
     *
     * @param entries the images
     * @param threshold the most differing hash bits of a near duplicate
     * @return the groups of two or more, by the kept image's path
     */
    static List<Group> group(List<Entry> entries, int threshold) {
        int n = entries.size();
        int[] parent = new int[n];
        for (int i = 0; i < n; i++) {
            parent[i] = i;
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                Entry a = entries.get(i);
                Entry b = entries.get(j);
                // same bytes decode the same, so their hashes are 0 bits apart: within any
                // threshold; the sha256 only names how a duplicate matches
                if (PerceptualHash.distance(a.hash(), b.hash()) <= threshold) {
                    parent[find(parent, i)] = find(parent, j);
                }
            }
        }
        Map<Integer, List<Entry>> byRoot = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            byRoot.computeIfAbsent(find(parent, i), k -> new ArrayList<>()).add(entries.get(i));
        }
        List<Group> groups = new ArrayList<>();
        for (List<Entry> members : byRoot.values()) {
            if (members.size() < 2) {
                continue;
            }
            // keep the largest picture, then the largest file, then the shallowest path
            members.sort(Comparator.comparingLong(Entry::pixels).reversed()
                    .thenComparing(Comparator.comparingLong(Entry::bytes).reversed())
                    .thenComparingInt(e -> e.path().getNameCount())
                    .thenComparing(Entry::path));
            Entry keep = members.get(0);
            List<Entry> others = members.subList(1, members.size());
            List<String> how = others.stream().map(e -> e.sha256().equals(keep.sha256())
                    ? "same bytes" : "near (" + PerceptualHash.distance(e.hash(), keep.hash())
                    + " bits)").toList();
            groups.add(new Group(keep, List.copyOf(others), how));
        }
        groups.sort(Comparator.comparing(g -> g.keep().path()));
        return groups;
    }

    private static int find(int[] parent, int i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    private static String json(List<Group> groups, Path root) {
        JsonArray array = new JsonArray();
        for (Group g : groups) {
            JsonObject o = new JsonObject();
            o.addProperty("keep", root.relativize(g.keep().path()).toString());
            JsonArray extras = new JsonArray();
            for (int i = 0; i < g.extras().size(); i++) {
                JsonObject e = new JsonObject();
                e.addProperty("path", root.relativize(g.extras().get(i).path()).toString());
                e.addProperty("match", g.how().get(i));
                extras.add(e);
            }
            o.add("duplicates", extras);
            array.add(o);
        }
        JsonObject root2 = new JsonObject();
        root2.add("groups", array);
        return new GsonBuilder().setPrettyPrinting().create().toJson(root2) + "\n";
    }
}
