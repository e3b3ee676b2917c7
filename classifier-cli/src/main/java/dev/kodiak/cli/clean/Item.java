package dev.kodiak.cli.clean;

import dev.kodiak.cli.Duplicates;
import dev.kodiak.cli.Evaluation;
import dev.kodiak.cli.ImageFiles;
import java.util.ArrayList;
import java.util.List;

/**
 * One file of a {@link Scan}: what scoring found (fixed), and where the file is now and which
 * actions are in effect on it (kept up to date by the {@link Tracker}). Not thread-safe: the
 * session's lock guards it.
 */
final class Item {
    /** Its number in the scan, from 0: the page's card key is {@code i<id>}. */
    final int id;
    /** Where it was when scored, relative to DATA. */
    final String scoredPath;
    /** Its content hash when scored. */
    final String sha256;
    /** What the model said, or null when it is not a readable image. */
    final Evaluation.Sample sample;
    /** Why it is not a readable image, or null. */
    final ImageFiles.Unreadable unreadable;
    /** Its look and size, for duplicates; null when it is not a readable image. */
    final Duplicates.Image image;
    /** Its duplicate group, or null; set once while the scan is built. */
    Group group;
    /** Where it is now, relative to DATA. */
    String path;
    /** The ids of the actions in effect on it, oldest first. */
    final List<Long> actions = new ArrayList<>();

    /**
     * An item's duplicate group.
     *
     * @param id the group's number, from 1
     * @param size how many files it has
     * @param keep whether this file is the one kept by default (the largest)
     * @param match how it matches the kept one ({@code same bytes}, {@code near}), or what it
     *     is when it is the one kept
     * @param distance its look's distance to the kept one's (gray levels; 0 for the kept one)
     * @param keepPath the kept file, as scored
     */
    record Group(int id, int size, boolean keep, String match, double distance,
            String keepPath) {
    }

    Item(int id, String path, String sha256, Evaluation.Sample sample,
            ImageFiles.Unreadable unreadable, Duplicates.Image image) {
        this.id = id;
        this.scoredPath = path;
        this.path = path;
        this.sha256 = sha256;
        this.sample = sample;
        this.unreadable = unreadable;
        this.image = image;
    }

    /** @return the model's loss on it (0 when unreadable), worst first in the views */
    double loss() {
        return sample == null ? 0 : sample.loss();
    }

    /** @return whether it is in the quarantine now */
    boolean quarantined() {
        return path.startsWith(Journal.DIR + "/");
    }

    /** @return the last action in effect on it, or 0 for none */
    long lastAction() {
        return actions.isEmpty() ? 0 : actions.get(actions.size() - 1);
    }
}
