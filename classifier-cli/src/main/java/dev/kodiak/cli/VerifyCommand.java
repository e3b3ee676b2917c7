package dev.kodiak.cli;

import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.decode.ImageLimits;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kodiak verify <folder>}: the files that are not readable images, and why. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Decode every file under a folder the way the server would and list "
                + "those that are not readable images, with the reason (fastai's "
                + "verify_images). With --quarantine they are moved there, keeping their "
                + "relative paths; nothing is ever deleted."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every file is a readable image", "1:some files are not (listed)",
            "2:bad usage, missing or empty folder", "4:another failure"})
final class VerifyCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FOLDER", description = "the folder to check (recursively)")
    Path folder;

    @Option(names = "--quarantine", paramLabel = "DIR",
            description = "move unreadable files here instead of only listing them")
    Path quarantine;

    @Option(names = "--max-pixels", defaultValue = "" + ImageLimits.DEFAULT_MAX_PIXELS,
            description = "larger images count as unreadable; default ${DEFAULT-VALUE}")
    long maxPixels;

    @Option(names = {"-q", "--quiet"}, description = "no progress bar")
    boolean quiet;

    private final PrintStream stdout;
    private final PrintStream stderr;

    VerifyCommand(PrintStream stdout, PrintStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    @Override
    public Integer call() throws Exception {
        Path root = ImageFiles.folder(folder);
        Path skip = quarantine == null ? null : quarantine.toAbsolutePath().normalize();
        List<Path> files = ImageFiles.list(root, skip);
        if (files.isEmpty()) {
            throw new CommandException(Exit.USAGE, root + " has no files");
        }
        List<ImageFiles.Unreadable> findings = ImageFiles.decodeEach(files,
                new ImageDecoder(maxPixels), Progress.forPeople(stderr, "verify", files.size(), quiet),
                (file, bytes, pixels) -> { });
        for (ImageFiles.Unreadable f : findings) {
            String where = root.relativize(f.path()).toString();
            if (skip != null) {
                Path moved = ImageFiles.quarantine(f.path(), root, skip);
                where += " -> " + moved;
            }
            stdout.println(where + ": " + f.reason() + ": " + f.message());
        }
        stdout.println(findings.isEmpty() ? "All " + files.size() + " files are readable images"
                : findings.size() + " of " + files.size() + " files are not readable images"
                + (skip != null ? "; moved to " + skip : ""));
        return findings.isEmpty() ? Exit.OK : Exit.FOUND;
    }
}
