package dev.kodiak.cli;

import dev.kodiak.cli.clean.CleanCommand;
import java.io.PrintStream;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * {@code kodiak}: the model-to-production chores as one command line.
 *
 * <pre>
 *   kodiak evaluate data/valid --bundle models/bears     accuracy, confusion, top losses
 *   kodiak verify data/ --quarantine data-broken/        unreadable files
 *   kodiak dedupe data/ --quarantine data-duplicates/    exact and near duplicates
 *   kodiak clean data/train --bundle models/bears        review and fix it in the browser
 * </pre>
 */
@Command(name = "kodiak", mixinStandardHelpOptions = true, version = "kodiak 0.1.0",
        description = "Check image folders and a model's mistakes, with no Python.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main {
    private Main() {
    }

    /**
     * Runs a command and exits with its code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        Logger.getLogger("").setLevel(Level.WARNING);
        Logger.getLogger("ai.djl").setLevel(Level.SEVERE);
        System.exit(run(System.out, System.err, args));
    }

    /**
     * Runs a command without exiting (for tests and embedding).
     *
     * @param out where reports go
     * @param err where errors and progress go
     * @param args the command line
     * @return the exit code ({@code 0} ok, {@code 1} found problems, {@code 2} usage,
     *     {@code 3} bundle, {@code 4} failure)
     */
    public static int run(PrintStream out, PrintStream err, String... args) {
        CommandLine cli = new CommandLine(new Main())
                .addSubcommand(new EvaluateCommand(out, err))
                .addSubcommand(new VerifyCommand(out, err))
                .addSubcommand(new DedupeCommand(out, err))
                .addSubcommand(new CleanCommand(out, err))
                .addSubcommand(new SiteBundleCommand(out, err));
        cli.setOut(new java.io.PrintWriter(out, true));
        cli.setErr(new java.io.PrintWriter(err, true));
        // picocli answers bad usage with 2 (Exit.USAGE); failures inside a command come here
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            commandLine.getErr().println("kodiak " + commandLine.getCommandName() + ": "
                    + (e instanceof CommandException ? e.getMessage() : e.toString()));
            return e instanceof CommandException c ? c.exitCode() : Exit.FAILURE;
        });
        return cli.execute(args);
    }
}
