package dev.kodiak.cli;

import dev.kodiak.core.preprocess.Pixels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Exact and near duplicate images, grouped around the image kept: files with the same bytes,
 * and pictures whose {@link Look}s are within a threshold of each other (the same picture
 * re-encoded, resized, converted, framed or slightly cropped). The images are taken largest
 * first (the most pixels, then the largest file, then the one highest in the folder tree, then
 * by path); each one not yet in a group is kept, and every image not yet in a group within the
 * threshold of it joins its group. So every duplicate is within the threshold of the image
 * kept, whatever the others are: a chain of look-alikes (A near B near C) does not put A and C
 * together. What {@code kodiak dedupe} reports and {@code kodiak clean} shows as its
 * duplicates view.
 *
 * <pre>
 * List&lt;Duplicates.Image&gt; images = ...;   // Duplicates.Image.of(file, bytes, rgb) per file
 * for (Duplicates.Group g : Duplicates.group(images, Duplicates.DEFAULT_THRESHOLD)) {
 *     System.out.println("keep " + g.keep().path() + ", move " + g.members());
 * }
 * </pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class Duplicates {
    /**
     * The default largest {@link Look#distance} of a near duplicate, in gray levels: on the
     * labeled benchmark ({@code benchmarks/results/dedupe.md}) it finds 0.95 or more of the
     * planted copies with fewer than 1 false pair per 1,000 distinct images, both on 28x28
     * Fashion-MNIST images and on photos.
     */
    public static final double DEFAULT_THRESHOLD = 4.0;
    /** The largest threshold accepted: far beyond the default, unrelated pictures match. */
    public static final double MAX_THRESHOLD = 32;

    private Duplicates() {
    }

    /**
     * One readable image, as duplicates are found.
     *
     * @param path the file
     * @param sha256 its bytes' hash (hex)
     * @param look its {@link Look}
     * @param pixels width times height
     * @param bytes its size
     */
    public record Image(Path path, String sha256, Look look, long pixels, long bytes) {
        /**
         * The image of a decoded file.
         *
         * @param path the file
         * @param bytes its bytes
         * @param decoded its decoded pixels, EXIF orientation applied
         * @return the image
         */
        public static Image of(Path path, byte[] bytes, Pixels decoded) {
            return new Image(path, Sha256.of(bytes), Look.of(decoded),
                    (long) decoded.width() * decoded.height(), bytes.length);
        }
    }

    /**
     * A duplicate in a group, with how it matches the image kept.
     *
     * @param image the duplicate
     * @param sameBytes whether its bytes are the kept image's
     * @param distance the {@link Look#distance} to the kept image, 0 for the same bytes
     */
    public record Member(Image image, boolean sameBytes, double distance) {
        /**
         * How it matches, in the words of {@code dedupe}'s report.
         *
         * @return {@code same bytes} or {@code near}
         */
        public String match() {
            return sameBytes ? "same bytes" : "near";
        }
    }

    /**
     * Duplicates: the image kept and the others, each within the threshold of it.
     *
     * @param keep the largest image
     * @param members the others, nearest first
     */
    public record Group(Image keep, List<Member> members) {
        /** Copies the list. */
        public Group {
            members = List.copyOf(members);
        }
    }

    /**
     * Checks a threshold given on the command line.
     *
     * @param threshold the largest {@link Look#distance} of a near duplicate
     * @return the threshold
     * @throws CommandException {@link Exit#USAGE} when it is not 0 to {@link #MAX_THRESHOLD}
     */
    public static double threshold(double threshold) {
        if (!(threshold >= 0 && threshold <= MAX_THRESHOLD)) {
            throw new CommandException(Exit.USAGE, "--threshold must be 0 to "
                    + (int) MAX_THRESHOLD + " (gray levels), not " + threshold);
        }
        return threshold;
    }

    /**
     * A distance as the reports give it: to one decimal.
     *
     * @param distance a {@link Look#distance}
     * @return it rounded to tenths (half up)
     */
    public static double rounded(double distance) {
        return Math.round(distance * 10) / 10.0;
    }

    /**
     * Groups images around the image kept, largest first: each member is within the threshold
     * of its group's kept image.
     *
     * @param images the images, in any order
     * @param threshold the largest {@link Look#distance} of a near duplicate
     * @return the groups of two or more, by the kept image's path
     */
    public static List<Group> group(List<Image> images, double threshold) {
        List<Image> largestFirst = new ArrayList<>(images);
        largestFirst.sort(Comparator.comparingLong(Image::pixels).reversed()
                .thenComparing(Comparator.comparingLong(Image::bytes).reversed())
                .thenComparingInt(e -> e.path().getNameCount())
                .thenComparing(Image::path));
        LookIndex index = new LookIndex(largestFirst.stream().map(Image::look).toList(),
                threshold);
        boolean[] taken = new boolean[largestFirst.size()];
        List<Group> groups = new ArrayList<>();
        for (int i = 0; i < largestFirst.size(); i++) {
            if (taken[i]) {
                continue;
            }
            taken[i] = true;
            Image keep = largestFirst.get(i);
            List<Member> members = new ArrayList<>();
            index.forEachWithin(keep.look(), j -> {
                if (!taken[j]) {
                    taken[j] = true;
                    Image e = largestFirst.get(j);
                    boolean same = e.sha256().equals(keep.sha256());
                    members.add(new Member(e, same, same ? 0 : keep.look().distance(e.look())));
                }
            });
            if (!members.isEmpty()) {
                members.sort(Comparator.comparingDouble(Member::distance)
                        .thenComparing(m -> m.image().path()));
                groups.add(new Group(keep, members));
            }
        }
        groups.sort(Comparator.comparing(g -> g.keep().path()));
        return groups;
    }
}
