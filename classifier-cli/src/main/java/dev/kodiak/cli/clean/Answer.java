package dev.kodiak.cli.clean;

import java.util.Map;

/**
 * The answer to an action or an undo: the card as it is now, what happened, and the views'
 * new counts. {@link CleanJson} writes it for the page.
 *
 * @param card the file's card, or null when the file is on no scanned file's path (e.g. an
 *     undo that had to choose another name)
 * @param message what happened, for a person
 * @param views how many cards each view has now
 */
record Answer(Card card, String message, Map<View, Integer> views) {
    /** Copies the counts. */
    Answer {
        views = Map.copyOf(views);
    }
}
