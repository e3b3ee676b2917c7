package dev.kodiak.cli;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on stderr with counts and rate, drawn only when a person is watching
 * (a console is attached and {@code --quiet} was not given): pipes and logs stay clean.
 */
public final class Progress {
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final String what;
    private final int total;
    private final boolean shown;
    private final long start = System.nanoTime();
    private long drawn;
    private int done;

    /**
     * A bar on {@code out} that is drawn only when the process runs in a terminal and
     * {@code quiet} is false.
     *
     * @param out where the bar goes (stderr)
     * @param what the command's name, shown before the bar
     * @param total how many items there are
     * @param quiet never draw
     * @return the bar
     */
    public static Progress forPeople(PrintStream out, String what, int total, boolean quiet) {
        return new Progress(out, what, total, !quiet && terminal(System.console()));
    }

    /**
     * Whether the process talks to a terminal. From JDK 22 {@code System.console()} is not null
     * when output is redirected too, and only {@code Console.isTerminal()} (JDK 22+, read by
     * reflection since the CLI runs on 21 as well) tells; on JDK 21 a console means a terminal.
     */
    static boolean terminal(Console console) {
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    Progress(PrintStream out, String what, int total, boolean shown) {
        this.out = out;
        this.what = what;
        this.total = total;
        this.shown = shown;
    }

    /**
     * Counts finished items and redraws at most ten times a second.
     *
     * @param count how many items were finished
     */
    public synchronized void advance(int count) {
        done += count;
        long now = System.nanoTime();
        if (shown && (now - drawn > REDRAW_NANOS || done >= total)) {
            drawn = now;
            out.print("\r" + line(now));
            out.flush();
        }
    }

    /** @return how many items are done */
    public synchronized int done() {
        return done;
    }

    /** @return how many items there are */
    public int total() {
        return total;
    }

    /** Ends the line. */
    public synchronized void finish() {
        if (shown) {
            out.print("\r" + line(System.nanoTime()) + "\n");
            out.flush();
        }
    }

    /**
     * @param now {@link System#nanoTime()}
     * @return the bar as drawn now: what, bar, count of total, rate
     */
    String line(long now) {
        int width = 30;
        int filled = total == 0 ? width : (int) ((long) width * done / total);
        double seconds = Math.max(1e-9, (now - start) / 1e9);
        return String.format(Locale.ROOT, "%s [%s%s] %d/%d %.1f/s", what, "#".repeat(filled),
                ".".repeat(width - filled), done, total, done / seconds);
    }
}
