package dev.kodiak.cli.clean;

import java.util.Locale;

/**
 * What {@code kodiak clean} can do to a file, as the journal and the page name it: the enum
 * constant's name in lower case ({@code "relabel"}).
 */
enum Action {
    /** Move the file into another label's folder. */
    RELABEL,
    /** Move the file into {@code .kodiak-clean/quarantine}, keeping its path. */
    QUARANTINE,
    /** Remember the file as fine; nothing moves. */
    KEEP,
    /** Put back what an earlier action did. */
    UNDO;

    /** @return the name in the journal and the page's JSON */
    String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The action a journal line names.
     *
     * @param text {@code relabel}, {@code quarantine}, {@code keep} or {@code undo}
     * @return the action
     * @throws IllegalArgumentException for any other text
     */
    static Action of(String text) {
        for (Action a : values()) {
            if (a.json().equals(text)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown action '" + text + "'");
    }

    /** @return whether the page may ask for it on a card (undo has its own route) */
    boolean onCard() {
        return this != UNDO;
    }
}
