package dev.kodiak.cli;

import dev.kodiak.core.Classification;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.PreparedImage;
import dev.kodiak.core.Stages;
import dev.kodiak.core.decode.DecodeException;
import dev.kodiak.core.topk.Prediction;
import dev.kodiak.core.topk.TopKOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Scores a labelled folder with the model: files are read and decoded on every core, then
 * classified a batch per forward pass. The loop of {@code evaluate}, shared with {@code clean}.
 */
public final class Scoring {
    private Scoring() {
    }

    /** Turns a file's bytes into the model's input; the place to look at each file once. */
    public interface Reader {
        /**
         * Decodes and preprocesses one file.
         *
         * @param file the file
         * @param bytes its bytes
         * @return the prepared image
         * @throws DecodeException if it is not a readable image
         */
        PreparedImage prepare(Path file, byte[] bytes) throws DecodeException;
    }

    /**
     * Classifies every file.
     *
     * @param classifier the model
     * @param files each file with its label index (the folder it is in)
     * @param batch images per forward pass
     * @param progress counts files as they are done, and is finished at the end
     * @param reader how a file becomes the model's input ({@code classifier.stages().prepare(bytes)} by
     *     default)
     * @return every readable file's sample and every unreadable file
     * @throws Exception if a file cannot be read or the model fails
     * @throws CommandException {@link Exit#USAGE} when no file is a readable image
     */
    public static Evaluation score(Classifier classifier, Map<Path, Integer> files, int batch,
            Progress progress, Reader reader) throws Exception {
        List<String> labels = classifier.manifest().labels();
        List<Evaluation.Sample> samples = new ArrayList<>(files.size());
        List<ImageFiles.Unreadable> unreadable = new ArrayList<>();
        TopKOptions all = new TopKOptions(labels.size(), 0f, Set.of());
        List<Path> paths = new ArrayList<>(files.keySet());
        ExecutorService decoders = Executors.newFixedThreadPool(
                Math.max(1, Runtime.getRuntime().availableProcessors()));
        try {
            for (int from = 0; from < paths.size(); from += batch) {
                List<Path> chunk = paths.subList(from, Math.min(paths.size(), from + batch));
                List<Future<PreparedImage>> futures = new ArrayList<>(chunk.size());
                for (Path path : chunk) {
                    futures.add(decoders.submit(() -> reader.prepare(path,
                            Files.readAllBytes(path))));
                }
                List<PreparedImage> ready = new ArrayList<>();
                List<Path> readyPaths = new ArrayList<>();
                for (int i = 0; i < chunk.size(); i++) {
                    try {
                        ready.add(futures.get(i).get());
                        readyPaths.add(chunk.get(i));
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof DecodeException de)) {
                            throw e;
                        }
                        unreadable.add(ImageFiles.Unreadable.of(chunk.get(i), de));
                    }
                }
                List<Stages.Outcome> answers = ready.isEmpty() ? List.of()
                        : classifier.stages().inferEach(ready, java.util.Collections.nCopies(
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
}
