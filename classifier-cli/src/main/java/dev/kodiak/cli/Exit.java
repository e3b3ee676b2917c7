package dev.kodiak.cli;

/** The exit codes scripts can rely on, the same for every command. */
public final class Exit {
    /** The command ran and found nothing wrong. */
    public static final int OK = 0;
    /** The command ran and found something: unreadable files (verify), duplicates (dedupe). */
    public static final int FOUND = 1;
    /** Bad usage or input: unknown option, missing or empty folder, unknown label folder. */
    public static final int USAGE = 2;
    /** The model bundle cannot be used. */
    public static final int BUNDLE = 3;
    /** Something else failed (I/O, a bug); the message says what. */
    public static final int FAILURE = 4;

    private Exit() {
    }
}
