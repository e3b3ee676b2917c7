package dev.kodiak.cli.clean;

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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A labelled folder scored for {@code kodiak clean}: every file read once for its sha256, its
 * look (for duplicates, as {@code dedupe}) and the model's answer (as {@code evaluate}), then
 * grouped into duplicates. The items' places change as actions are applied ({@link Tracker});
 * the rest is fixed.
 *
 * @param folder the folder as read
 * @param evaluation the model's answers (the accuracy)
 * @param items every file, in the folder's order; an item's id is its index
 * @param groups how many duplicate groups there are
 * @param generation 1 for the first scan of a session, then one more per re-evaluation
 */
record Scan(LabelledFolder folder, Evaluation evaluation, List<Item> items, int groups,
        int generation) {

    /** Copies the list. */
    Scan {
        items = List.copyOf(items);
    }

    /**
     * Scores every file of a folder: the model, the sha256, the look, once per file.
     *
     * @param folder the folder
     * @param classifier the model
     * @param batch images per forward pass
     * @param threshold the largest look distance of a near duplicate (gray levels)
     * @param progress counts files
     * @param generation the scan's number in the session
     * @return the scan
     * @throws Exception if a file cannot be read or the model fails
     */
    static Scan score(LabelledFolder folder, Classifier classifier, int batch, double threshold,
            Progress progress, int generation) throws Exception {
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
                    return rgbModel ? classifier.stages().prepare(rgb)
                            : classifier.stages().prepare(bytes);
                });
        Map<Path, Evaluation.Sample> samples = new HashMap<>();
        evaluation.samples().forEach(s -> samples.put(s.path(), s));
        Map<Path, ImageFiles.Unreadable> unreadable = new HashMap<>();
        evaluation.unreadable().forEach(u -> unreadable.put(u.path(), u));
        List<Item> items = new ArrayList<>();
        Map<Path, Item> byFile = new HashMap<>();
        for (Path file : folder.files().keySet()) {
            Item item = new Item(items.size(), Journal.relative(folder.root(), file),
                    shas.get(file), samples.get(file), unreadable.get(file), looks.get(file));
            items.add(item);
            byFile.put(file, item);
        }
        List<Duplicates.Image> images = new ArrayList<>(looks.values());
        images.sort(Comparator.comparing(Duplicates.Image::path));
        List<Duplicates.Group> groups = Duplicates.group(images, threshold);
        for (int g = 0; g < groups.size(); g++) {
            Duplicates.Group group = groups.get(g);
            int size = group.members().size() + 1;
            String keep = Journal.relative(folder.root(), group.keep().path());
            byFile.get(group.keep().path()).group = new Item.Group(g + 1, size, true,
                    "kept: the largest", 0, keep);
            for (Duplicates.Member m : group.members()) {
                byFile.get(m.image().path()).group = new Item.Group(g + 1, size, false,
                        m.match(), m.distance(), keep);
            }
        }
        return new Scan(folder, evaluation, items, groups.size(), generation);
    }

    /**
     * The label of the folder a path is in.
     *
     * @param path a path relative to DATA
     * @return the label's index, or null (quarantine, or a folder no label matches)
     */
    Integer folderLabel(String path) {
        int slash = path.indexOf('/');
        if (slash < 0 || path.startsWith(Journal.DIR + "/")) {
            return null;
        }
        String name = path.substring(0, slash);
        for (Map.Entry<Integer, Path> f : folder.folders().entrySet()) {
            if (f.getValue().getFileName().toString().equals(name)) {
                return f.getKey();
            }
        }
        return LabelledFolder.labelOf(name, folder.labels());
    }

    /**
     * The item of a card key.
     *
     * @param id the item's number
     * @return the item, or null when there is none
     */
    Item item(long id) {
        return id >= 0 && id < items.size() ? items.get((int) id) : null;
    }
}
