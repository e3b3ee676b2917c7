package dev.kodiak.cli;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.bundle.Precision;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kodiak evaluate <folder>}: accuracy, per-class metrics, confusion, top losses. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Classify every image of a labelled folder (one sub-folder per label, "
                + "the fastai/ImageNet layout) and report accuracy, per-class precision, "
                + "recall and F1, the confusion matrix and the top losses.",
            "Writes report.html (self-contained: heat map and thumbnails) and report.json to "
                + "--out. Folder names match labels exactly, or ignoring case and punctuation "
                + "(t-shirt-top for T-shirt/top)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:evaluated", "2:bad usage, missing or empty folder, or a label "
                + "folder the model does not know", "3:the bundle cannot be used",
            "4:another failure"})
final class EvaluateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FOLDER", description = "the labelled folder")
    Path folder;

    @Mixin
    ModelOptions model;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", defaultValue = "kodiak-evaluation",
            description = "where report.html and report.json go; default ${DEFAULT-VALUE}")
    Path out;

    @Option(names = "--top-losses", defaultValue = "24",
            description = "how many top losses to show; default ${DEFAULT-VALUE}")
    int topLosses;

    @Option(names = "--compare", paramLabel = "PRECISION",
            converter = ModelOptions.PrecisionConverter.class,
            description = "also classify with the bundle's model of this precision (fp32 or "
                    + "int8) and report both accuracies and the images they disagree on")
    Precision compare;

    @Option(names = {"-q", "--quiet"}, description = "no progress bar")
    boolean quiet;

    private final PrintStream stdout;
    private final PrintStream stderr;

    EvaluateCommand(PrintStream stdout, PrintStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    @Override
    public Integer call() throws Exception {
        if (model.batch < 1 || topLosses < 0) {
            throw new CommandException(Exit.USAGE, "--batch must be at least 1 and --top-losses"
                    + " at least 0");
        }
        Path root = ImageFiles.folder(folder);
        try (Classifier classifier = model.open()) {
            LabelledFolder folder = LabelledFolder.read(root, classifier.manifest().labels());
            for (String link : folder.links()) {
                stdout.println("The label folder " + link + " is a symbolic link; its images "
                        + "are read where it points");
            }
            Map<Path, Integer> files = folder.files();
            Evaluation evaluation = Scoring.score(classifier, files, model.batch,
                    Progress.forPeople(stderr, "evaluate", files.size(), quiet),
                    (file, bytes) -> classifier.stages().prepare(bytes));
            List<Evaluation.Sample> losses = evaluation.topLosses(topLosses);
            print(evaluation);
            stdout.println("Precision " + classifier.precision() + " (" + classifier.engine()
                    + ")");
            Comparison comparison = compare == null ? null
                    : compare(classifier, files, evaluation);
            Files.createDirectories(out);
            String json = EvaluationReport.json(evaluation, classifier.manifest(), root, losses);
            String html = EvaluationReport.html(evaluation, classifier.manifest(), root, losses,
                    112);
            com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(json)
                    .getAsJsonObject();
            o.getAsJsonObject("model").addProperty("precision", classifier.precision().id());
            json = new com.google.gson.GsonBuilder().setPrettyPrinting().disableHtmlEscaping()
                    .serializeNulls().create().toJson(o) + "\n";
            if (comparison != null) {
                o.add("compare", comparison.json());
                json = new com.google.gson.GsonBuilder().setPrettyPrinting()
                        .disableHtmlEscaping().serializeNulls().create().toJson(o) + "\n";
                html = html.replace("<h2>Confusion matrix</h2>", comparison.html(root, 112)
                        + "<h2>Confusion matrix</h2>");
            }
            write(out.resolve("report.json"), json);
            write(out.resolve("report.html"), html);
            stdout.println("Wrote " + out.resolve("report.html") + " and report.json");
            return Exit.OK;
        }
    }

    /** {@code --compare}: the same files through the bundle's model of the other precision. */
    private Comparison compare(Classifier first, Map<Path, Integer> files, Evaluation main)
            throws Exception {
        Precision mine = first.precision();
        if (compare == Precision.AUTO || compare == mine) {
            throw new CommandException(Exit.USAGE, "--compare needs the other precision than "
                    + "the one evaluated (" + mine + "): "
                    + (mine == Precision.INT8 ? "fp32" : "int8"));
        }
        try (Classifier other = model.open(compare)) {
            Evaluation compared = Scoring.score(other, files, model.batch,
                    Progress.forPeople(stderr, "compare", files.size(), quiet),
                    (file, bytes) -> other.stages().prepare(bytes));
            Comparison c = Comparison.of(mine, compare, main, compared);
            stdout.println(c.line());
            for (Comparison.Disagreement d : c.disagreements()) {
                stdout.println("  " + d.path() + ": " + mine + " "
                        + main.labels().get(d.mine()) + ", " + compare + " "
                        + main.labels().get(d.theirs()) + " (actual "
                        + main.labels().get(d.actual()) + ")");
            }
            return c;
        }
    }

    private void print(Evaluation e) {
        stdout.println("Accuracy " + EvaluationReport.accuracy(e));
        int width = Math.max(5, e.labels().stream().mapToInt(String::length).max().orElse(5));
        stdout.printf(Locale.ROOT, "%n%-" + width + "s %7s %9s %7s %6s%n", "label", "images",
                "precision", "recall", "F1");
        for (int c = 0; c < e.labels().size(); c++) {
            stdout.printf(Locale.ROOT, "%-" + width + "s %7d %9s %7s %6s%n", e.labels().get(c),
                    e.support(c), EvaluationReport.pct(e.precision(c)),
                    EvaluationReport.pct(e.recall(c)), EvaluationReport.fraction(e.f1(c)));
        }
        stdout.printf("%nConfusion matrix (rows: actual, columns: predicted, in label order)%n");
        for (int a = 0; a < e.labels().size(); a++) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s",
                    e.labels().get(a)));
            for (int count : e.confusion()[a]) {
                row.append(String.format(Locale.ROOT, " %5d", count));
            }
            stdout.println(row);
        }
        stdout.println();
    }

    /**
     * Writes next to the target, then moves: a report is never half-written. The file is made
     * as any new file of the user's (their umask), not private as a temporary file would be.
     */
    private static void write(Path target, String text) throws IOException {
        Path tmp = target.toAbsolutePath().resolveSibling("." + target.getFileName() + "."
                + UUID.randomUUID() + ".tmp");
        try {
            Files.writeString(tmp, text, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
