package dev.kodiak.cli;

import dev.kodiak.core.Classification;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.ClassifierConfig;
import dev.kodiak.core.PreparedImage;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.decode.DecodeException;
import dev.kodiak.core.topk.Prediction;
import dev.kodiak.core.topk.TopKOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

    @Option(names = {"-b", "--bundle"}, paramLabel = "BUNDLE",
            defaultValue = "${env:KODIAK_BUNDLE:-models/fashion-mnist}",
            description = "the model bundle (directory or .zip); default ${DEFAULT-VALUE}")
    Path bundle;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", defaultValue = "kodiak-evaluation",
            description = "where report.html and report.json go; default ${DEFAULT-VALUE}")
    Path out;

    @Option(names = "--batch", defaultValue = "64",
            description = "images per forward pass; default ${DEFAULT-VALUE}")
    int batch;

    @Option(names = "--top-losses", defaultValue = "24",
            description = "how many top losses to show; default ${DEFAULT-VALUE}")
    int topLosses;

    @Option(names = {"-q", "--quiet"}, description = "no progress bar")
    boolean quiet;

    @Mixin
    EngineOption engine;

    private final PrintStream stdout;
    private final PrintStream stderr;

    EvaluateCommand(PrintStream stdout, PrintStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    @Override
    public Integer call() throws Exception {
        if (batch < 1 || topLosses < 0) {
            throw new CommandException(Exit.USAGE, "--batch must be at least 1 and --top-losses"
                    + " at least 0");
        }
        Path root = ImageFiles.folder(folder);
        try (Classifier classifier = open()) {
            List<String> labels = classifier.manifest().labels();
            Map<Path, Integer> files = labelledFiles(root, labels);
            Evaluation evaluation = evaluate(classifier, files);
            List<Evaluation.Sample> losses = evaluation.topLosses(topLosses);
            print(evaluation);
            Files.createDirectories(out);
            write(out.resolve("report.json"), EvaluationReport.json(evaluation,
                    classifier.manifest(), root, losses));
            write(out.resolve("report.html"), EvaluationReport.html(evaluation,
                    classifier.manifest(), root, losses, 112));
            stdout.println("Wrote " + out.resolve("report.html") + " and report.json");
            return Exit.OK;
        }
    }

    private Classifier open() {
        try {
            return Classifier.open(ClassifierConfig.builder(bundle).maxBatchSize(batch)
                    .engine(engine.engine).build());
        } catch (BundleException e) {
            throw new CommandException(Exit.BUNDLE, e.getMessage());
        }
    }

    /** The image files under each label folder, with their label index. */
    private static Map<Path, Integer> labelledFiles(Path root, List<String> labels)
            throws IOException {
        Map<String, Integer> bySlug = new LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) {
            bySlug.put(slug(labels.get(i)), i);
        }
        Map<Path, Integer> files = new LinkedHashMap<>();
        Set<String> unknown = new TreeSet<>();
        int folders = 0;
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(root)) {
            stream.forEach(children::add);
        }
        children.sort(null);
        for (Path child : children) {
            String name = child.getFileName().toString();
            if (!Files.isDirectory(child) || name.startsWith(".")) {
                continue;
            }
            folders++;
            Integer label = labels.contains(name) ? Integer.valueOf(labels.indexOf(name))
                    : bySlug.get(slug(name));
            if (label == null) {
                unknown.add(name);
                continue;
            }
            for (Path file : ImageFiles.list(child, null)) {
                files.put(file, label);
            }
        }
        if (!unknown.isEmpty()) {
            throw new CommandException(Exit.USAGE, "Label folders the model does not know: "
                    + unknown + "; this model knows " + labels + " (folder names match labels "
                    + "exactly or ignoring case and punctuation, e.g. "
                    + slug(labels.get(0)) + " for " + labels.get(0) + ")");
        }
        if (folders == 0) {
            throw new CommandException(Exit.USAGE, root + " has no label folders; put the "
                    + "images of each label in a sub-folder named after it");
        }
        if (files.isEmpty()) {
            throw new CommandException(Exit.USAGE, root + " has label folders but no images "
                    + "in them");
        }
        return files;
    }

    static String slug(String label) {
        return label.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", "-")
                .replaceAll("^-|-$", "");
    }

    private Evaluation evaluate(Classifier classifier, Map<Path, Integer> files)
            throws Exception {
        List<String> labels = classifier.manifest().labels();
        List<Evaluation.Sample> samples = new ArrayList<>(files.size());
        List<ImageFiles.Unreadable> unreadable = new ArrayList<>();
        TopKOptions all = new TopKOptions(labels.size(), 0f, Set.of());
        List<Path> paths = new ArrayList<>(files.keySet());
        Progress progress = Progress.forPeople(stderr, "evaluate", paths.size(), quiet);
        ExecutorService decoders = Executors.newFixedThreadPool(
                Math.max(1, Runtime.getRuntime().availableProcessors()));
        try {
            for (int from = 0; from < paths.size(); from += batch) {
                List<Path> chunk = paths.subList(from, Math.min(paths.size(), from + batch));
                List<Future<PreparedImage>> futures = new ArrayList<>(chunk.size());
                for (Path path : chunk) {
                    futures.add(decoders.submit(() -> classifier.prepare(
                            Files.readAllBytes(path))));
                }
                List<PreparedImage> ready = new ArrayList<>();
                List<Path> readyPaths = new ArrayList<>();
                for (int i = 0; i < chunk.size(); i++) {
                    try {
                        ready.add(futures.get(i).get());
                        readyPaths.add(chunk.get(i));
                    } catch (java.util.concurrent.ExecutionException e) {
                        if (!(e.getCause() instanceof DecodeException de)) {
                            throw e;
                        }
                        unreadable.add(ImageFiles.Unreadable.of(chunk.get(i), de));
                    }
                }
                List<Classifier.Outcome> answers = ready.isEmpty() ? List.of()
                        : classifier.inferEach(ready, java.util.Collections.nCopies(
                                ready.size(), all));
                for (int i = 0; i < answers.size(); i++) {
                    if (answers.get(i).failure() != null) { // this image alone
                        unreadable.add(new ImageFiles.Unreadable(readyPaths.get(i),
                                "MODEL_FAILED", answers.get(i).failure().getMessage()));
                        continue;
                    }
                    Classification c = answers.get(i).classification();
                    int actual = files.get(readyPaths.get(i));
                    float actualProbability = 0;
                    for (Prediction p : c.predictions()) {
                        if (p.index() == actual) {
                            actualProbability = p.probability();
                        }
                    }
                    samples.add(new Evaluation.Sample(readyPaths.get(i), actual, c.top().index(),
                            c.top().probability(), actualProbability));
                }
                progress.advance(chunk.size());
            }
        } finally {
            decoders.shutdownNow();
            progress.finish();
        }
        if (samples.isEmpty()) {
            throw new CommandException(Exit.USAGE, "None of the " + paths.size() + " files is "
                    + "a readable image; run kodiak verify on the folder");
        }
        return Evaluation.of(labels, samples, unreadable);
    }

    private void print(Evaluation e) {
        stdout.printf(Locale.ROOT, "Accuracy %s (%d of %d images)%n",
                EvaluationReport.pct(e.accuracy()), e.correct(), e.total());
        if (!e.unreadable().isEmpty()) {
            stdout.printf("%d unreadable files skipped (see the report)%n", e.unreadable().size());
        }
        int width = Math.max(5, e.labels().stream().mapToInt(String::length).max().orElse(5));
        stdout.printf(Locale.ROOT, "%n%-" + width + "s %7s %9s %7s %6s%n", "label", "images",
                "precision", "recall", "F1");
        for (int c = 0; c < e.labels().size(); c++) {
            stdout.printf(Locale.ROOT, "%-" + width + "s %7d %9s %7s %6.3f%n", e.labels().get(c),
                    e.support(c), EvaluationReport.pct(e.precision(c)),
                    EvaluationReport.pct(e.recall(c)), e.f1(c));
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

    /** Writes next to the target, then moves: a report is never half-written. */
    private static void write(Path target, String text) throws IOException {
        Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), ".report", ".tmp");
        try {
            Files.writeString(tmp, text);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
