package dev.kodiak.cli.clean;

import dev.kodiak.cli.Evaluation;
import java.util.List;
import java.util.Map;

/**
 * The page's header, as {@link CleanSession#state()} answers it: folder, model, labels with
 * their keys, counts per view, accuracy before and after re-evaluating, the re-evaluation's
 * progress. {@link CleanJson} writes it for the page.
 *
 * @param folder the labelled folder, absolute
 * @param model the model's name
 * @param version the model's version
 * @param labels every label, in the model's order
 * @param views how many cards each view has
 * @param before the accuracy when the session started
 * @param after the accuracy after the last re-evaluation, or null
 * @param rescoring the re-evaluation's progress
 * @param journal the journal file, relative to the folder
 * @param quarantine the quarantine folder, relative to the folder
 * @param groups how many duplicate groups the current scan has
 * @param generation the current scan's number (one more per re-evaluation)
 */
record State(String folder, String model, String version, List<Label> labels,
        Map<View, Integer> views, Evaluation before, Evaluation after, Rescoring rescoring,
        String journal, String quarantine, int groups, int generation) {

    /** Copies the collections. */
    State {
        labels = List.copyOf(labels);
        views = Map.copyOf(views);
    }

    /**
     * A label as the page offers it.
     *
     * @param index its index in the model's output
     * @param name the label
     * @param key the key that relabels as it, or null (past the 31st label)
     * @param folder where a relabel moves files, relative to the folder
     */
    record Label(int index, String name, String key, String folder) {
    }

    /**
     * How a re-evaluation stands.
     *
     * @param running whether one is running
     * @param done files scored so far, when running
     * @param total files to score, when running
     * @param error why the last one failed, or null
     */
    record Rescoring(boolean running, int done, int total, String error) {
    }
}
