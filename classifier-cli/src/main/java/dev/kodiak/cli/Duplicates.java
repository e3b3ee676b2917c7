package dev.kodiak.cli;

import dev.kodiak.core.preprocess.Pixels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exact and near duplicate images, grouped: files with the same bytes, and pictures whose
 * {@link PerceptualHash} differs in at most a threshold of bits (the same picture re-encoded,
 * resized or lightly edited). Grouping is transitive (union-find); in each group the largest
 * picture is kept, then the largest file, then the one highest in the folder tree. What
 * {@code kodiak dedupe} reports and {@code kodiak clean} shows as its duplicates view.
 *
 * <pre>
 * List&lt;Duplicates.Image&gt; images = ...;   // Duplicates.Image.of(file, bytes, rgb) per file
 * for (Duplicates.Group g : Duplicates.group(images, Duplicates.DEFAULT_THRESHOLD)) {
 *     System.out.println("keep " + g.keep().path() + ", move " + g.extras());
 * }
 * </pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class Duplicates {
    /** The default most differing bits of a near duplicate: copies of real photos, no more. */
    public static final int DEFAULT_THRESHOLD = 8;
    /** The largest threshold accepted: beyond it, unrelated pictures match. */
    public static final int MAX_THRESHOLD = 32;

    private Duplicates() {
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
    public record Image(Path path, String sha256, long hash, long pixels, long bytes) {
        /**
         * The image of a decoded file.
         *
         * @param path the file
         * @param bytes its bytes
         * @param rgb its decoded pixels
         * @return the image
         */
        public static Image of(Path path, byte[] bytes, Pixels rgb) {
            return new Image(path, Sha256.of(bytes), PerceptualHash.of(rgb),
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
    public record Group(Image keep, List<Image> extras, List<String> how) {
        /** Copies the lists. */
        public Group {
            extras = List.copyOf(extras);
            how = List.copyOf(how);
        }
    }

    /**
     * Checks a threshold given on the command line.
     *
     * @param threshold the most differing bits of a near duplicate
     * @return the threshold
     * @throws CommandException {@link Exit#USAGE} when it is not 0 to {@link #MAX_THRESHOLD}
     */
    public static int threshold(int threshold) {
        if (threshold < 0 || threshold > MAX_THRESHOLD) {
            throw new CommandException(Exit.USAGE, "--threshold must be 0 to " + MAX_THRESHOLD
                    + ", not " + threshold);
        }
        return threshold;
    }

    /**
     * Groups images by exact and near matches; the largest image of each group is kept.
     *
     * @param images the images, in any order
     * @param threshold the most differing hash bits of a near duplicate
     * @return the groups of two or more, by the kept image's path
     */
    public static List<Group> group(List<Image> images, int threshold) {
        int n = images.size();
        int[] parent = new int[n];
        for (int i = 0; i < n; i++) {
            parent[i] = i;
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                // same bytes decode the same, so their hashes are 0 bits apart: within any
                // threshold; the sha256 only names how a duplicate matches
                if (PerceptualHash.distance(images.get(i).hash(), images.get(j).hash())
                        <= threshold) {
                    parent[find(parent, i)] = find(parent, j);
                }
            }
        }
        Map<Integer, List<Image>> byRoot = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            byRoot.computeIfAbsent(find(parent, i), k -> new ArrayList<>()).add(images.get(i));
        }
        List<Group> groups = new ArrayList<>();
        for (List<Image> members : byRoot.values()) {
            if (members.size() < 2) {
                continue;
            }
            // keep the largest picture, then the largest file, then the shallowest path
            members.sort(Comparator.comparingLong(Image::pixels).reversed()
                    .thenComparing(Comparator.comparingLong(Image::bytes).reversed())
                    .thenComparingInt(e -> e.path().getNameCount())
                    .thenComparing(Image::path));
            Image keep = members.get(0);
            List<Image> others = members.subList(1, members.size());
            List<String> how = others.stream().map(e -> e.sha256().equals(keep.sha256())
                    ? "same bytes" : "near (" + PerceptualHash.distance(e.hash(), keep.hash())
                    + " bits)").toList();
            groups.add(new Group(keep, others, how));
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
}
