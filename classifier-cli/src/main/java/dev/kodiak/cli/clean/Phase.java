package dev.kodiak.cli.clean;

import java.util.Locale;

/**
 * Where an action stands in the journal: each move is an {@link #INTENT} line, then one outcome
 * line, {@link #DONE} or {@link #FAILED}; a keep is a single done line. Written as the constant's
 * name in lower case ({@code "intent"}).
 */
enum Phase {
    /** About to move; written and made durable before the move. */
    INTENT,
    /** The action is done. */
    DONE,
    /** The move did not happen; the note says why. */
    FAILED;

    /** @return the name in the journal */
    String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The phase a journal line names.
     *
     * @param text {@code intent}, {@code done} or {@code failed}
     * @return the phase
     * @throws IllegalArgumentException for any other text
     */
    static Phase of(String text) {
        for (Phase p : values()) {
            if (p.json().equals(text)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown phase '" + text + "'");
    }
}
