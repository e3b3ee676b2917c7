package dev.kodiak.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.kodiak.core.decode.ImageDecoder;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kodiak dedupe <folder>}: exact and near duplicate images, grouped. */
@Command(name = "dedupe", mixinStandardHelpOptions = true,
        description = {"Find exact duplicates (the same bytes) and near duplicates (the same "
                + "picture re-encoded, resized, converted, framed or slightly cropped: its "
                + "8x8 grayscale look within --threshold gray levels) and report them in "
                + "groups, each duplicate with its distance to the image kept.",
            "The largest image is kept (then the largest file, then the one highest in the "
                + "folder tree), and its group holds every other image within the threshold "
                + "of it; with --quarantine the others are moved there, keeping their "
                + "relative paths. Nothing is ever deleted. Files that are not readable images "
                + "are left to kodiak verify."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:no duplicates", "1:duplicates found (listed)",
            "2:bad usage, missing or empty folder", "4:another failure"})
final class DedupeCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FOLDER", description = "the folder to check (recursively)")
    Path folder;

    @Option(names = "--threshold", defaultValue = "" + Duplicates.DEFAULT_THRESHOLD,
            description = "largest distance of a near duplicate: the root mean square "
                    + "difference of the 8x8 grayscale looks, in gray levels (0 to 32; 0 finds "
                    + "the same pixels only); default ${DEFAULT-VALUE}")
    double threshold;

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

    @Override
    public Integer call() throws Exception {
        Duplicates.threshold(threshold);
        Path root = ImageFiles.folder(folder);
        Path skip = quarantine == null ? null : quarantine.toAbsolutePath().normalize();
        List<Path> files = ImageFiles.list(root, skip);
        if (files.isEmpty()) {
            throw new CommandException(Exit.USAGE, root + " has no files");
        }
        Map<Path, Duplicates.Image> read = new ConcurrentHashMap<>();
        int unreadable = ImageFiles.decodeEach(files, new ImageDecoder(),
                Progress.forPeople(stderr, "dedupe", files.size(), quiet), (file, bytes, pixels) ->
                        read.put(file, Duplicates.Image.of(file, bytes, pixels))).size();
        List<Duplicates.Image> images = new ArrayList<>(read.values());
        List<Duplicates.Group> groups = Duplicates.group(images, threshold);
        int extras = 0;
        for (Duplicates.Group g : groups) {
            stdout.println("keep " + root.relativize(g.keep().path()));
            for (Duplicates.Member m : g.members()) {
                String line = "  " + how(m) + " " + root.relativize(m.image().path());
                if (skip != null) {
                    line += " -> " + ImageFiles.quarantine(m.image().path(), root, skip);
                }
                stdout.println(line);
                extras++;
            }
        }
        if (json != null) {
            Files.writeString(json, json(groups, root));
        }
        stdout.println(groups.isEmpty() ? "No duplicates among " + images.size() + " images"
                : groups.size() + " groups, " + extras + " duplicates among " + images.size()
                + " images" + (skip != null ? "; duplicates moved to " + skip : ""));
        if (unreadable > 0) {
            stdout.println(unreadable + " files are not readable images (see kodiak verify)");
        }
        return groups.isEmpty() ? Exit.OK : Exit.FOUND;
    }

    /**
     * How a duplicate matches the image kept, as a report line says it.
     *
     * @param m a duplicate
     * @return e.g. {@code same bytes (distance 0.0)} or {@code near (distance 2.7)}
     */
    static String how(Duplicates.Member m) {
        return m.match() + " (distance " + distance(m) + ")";
    }

    /** The distance as reported: one decimal, a point whatever the locale. */
    private static String distance(Duplicates.Member m) {
        return String.format(Locale.ROOT, "%.1f", Duplicates.rounded(m.distance()));
    }

    private static String json(List<Duplicates.Group> groups, Path root) {
        JsonArray array = new JsonArray();
        for (Duplicates.Group g : groups) {
            JsonObject o = new JsonObject();
            o.addProperty("keep", root.relativize(g.keep().path()).toString());
            JsonArray extras = new JsonArray();
            for (Duplicates.Member m : g.members()) {
                JsonObject e = new JsonObject();
                e.addProperty("path", root.relativize(m.image().path()).toString());
                e.addProperty("match", m.match());
                e.addProperty("distance", Duplicates.rounded(m.distance()));
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
