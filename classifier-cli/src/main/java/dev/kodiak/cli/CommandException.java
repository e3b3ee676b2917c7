package dev.kodiak.cli;

/** A command cannot go on; the message says why and what to do, the code is the exit code. */
public final class CommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    /**
     * A refusal of the command.
     *
     * @param exitCode one of {@link Exit}'s codes
     * @param message why, and what to do
     */
    public CommandException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    /** @return the exit code, one of {@link Exit}'s */
    public int exitCode() {
        return exitCode;
    }
}
