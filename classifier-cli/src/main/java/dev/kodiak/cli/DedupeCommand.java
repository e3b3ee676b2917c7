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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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

    @Option(names = "--threshold", defaultValue = "" + Duplicates.DEFAULT_THRESHOLD,
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
            for (int i = 0; i < g.extras().size(); i++) {
                Duplicates.Image e = g.extras().get(i);
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
        stdout.println(groups.isEmpty() ? "No duplicates among " + images.size() + " images"
                : groups.size() + " groups, " + extras + " duplicates among " + images.size()
                + " images" + (skip != null ? "; duplicates moved to " + skip : ""));
        if (unreadable > 0) {
            stdout.println(unreadable + " files are not readable images (see kodiak verify)");
        }
        return groups.isEmpty() ? Exit.OK : Exit.FOUND;
    }

    private static String json(List<Duplicates.Group> groups, Path root) {
        JsonArray array = new JsonArray();
        for (Duplicates.Group g : groups) {
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
