package dev.kodiak.cli;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalDouble;

/**
 * What {@code kodiak evaluate} measured: the confusion matrix and, per image, what the model
 * said. Every other figure is derived from these. Immutable.
 *
 * @param labels the model's labels, in output order
 * @param confusion {@code confusion[actual][predicted]} counts
 * @param samples every classified image
 * @param unreadable files in label folders that could not be decoded, with why
 */
public record Evaluation(List<String> labels, int[][] confusion, List<Sample> samples,
        List<ImageFiles.Unreadable> unreadable) {

    /**
     * One classified image.
     *
     * @param path the file
     * @param actual the label folder's class index
     * @param predicted the model's top-1 class index
     * @param predictedProbability the top-1 probability
     * @param actualProbability the probability the model gave the right class
     */
    public record Sample(Path path, int actual, int predicted, float predictedProbability,
            float actualProbability) {
        /** @return the cross-entropy loss, -ln p(actual), as fastai's top losses rank them */
        public double loss() {
            return -Math.log(Math.max(actualProbability, 1e-12));
        }
    }

    /**
     * An evaluation whose confusion matrix is counted from the samples.
     *
     * @param labels the model's labels
     * @param samples every classified image
     * @param unreadable files that could not be decoded
     * @return the evaluation
     */
    public static Evaluation of(List<String> labels, List<Sample> samples,
            List<ImageFiles.Unreadable> unreadable) {
        int[][] confusion = new int[labels.size()][labels.size()];
        for (Sample s : samples) {
            confusion[s.actual()][s.predicted()]++;
        }
        return new Evaluation(labels, confusion, samples, unreadable);
    }

    /** Copies the lists. */
    public Evaluation {
        labels = List.copyOf(labels);
        samples = List.copyOf(samples);
        unreadable = List.copyOf(unreadable);
    }

    /** @return how many images were classified (unreadable files not counted) */
    public int total() {
        return samples.size();
    }

    /** @return how many of them the model put in their folder's class */
    public int correct() {
        int correct = 0;
        for (int i = 0; i < labels.size(); i++) {
            correct += confusion[i][i];
        }
        return correct;
    }

    /** @return correct of total, 0 when there are none */
    public double accuracy() {
        return total() == 0 ? 0 : (double) correct() / total();
    }

    /**
     * @param c a class index
     * @return images whose folder is class {@code c}
     */
    public int support(int c) {
        int sum = 0;
        for (int v : confusion[c]) {
            sum += v;
        }
        return sum;
    }

    /**
     * @param c a class index
     * @return images predicted as class {@code c}
     */
    public int predicted(int c) {
        int sum = 0;
        for (int[] row : confusion) {
            sum += row[c];
        }
        return sum;
    }

    /**
     * @param c a class index
     * @return of the images predicted as {@code c}, the fraction that are {@code c}; empty when
     *     no image was predicted as {@code c} (there is nothing to measure, not a 0)
     */
    public OptionalDouble precision(int c) {
        int predicted = predicted(c);
        return predicted == 0 ? OptionalDouble.empty()
                : OptionalDouble.of((double) confusion[c][c] / predicted);
    }

    /**
     * @param c a class index
     * @return of the images of class {@code c}, the fraction predicted as {@code c}; empty when
     *     the folder has no image of {@code c}
     */
    public OptionalDouble recall(int c) {
        int support = support(c);
        return support == 0 ? OptionalDouble.empty()
                : OptionalDouble.of((double) confusion[c][c] / support);
    }

    /**
     * @param c a class index
     * @return the harmonic mean of precision and recall (0 when both are 0); empty when either
     *     is
     */
    public OptionalDouble f1(int c) {
        OptionalDouble p = precision(c);
        OptionalDouble r = recall(c);
        if (p.isEmpty() || r.isEmpty()) {
            return OptionalDouble.empty();
        }
        double sum = p.getAsDouble() + r.getAsDouble();
        return OptionalDouble.of(sum == 0 ? 0 : 2 * p.getAsDouble() * r.getAsDouble() / sum);
    }

    /**
     * @param n how many
     * @return the {@code n} images with the highest loss, worst first
     */
    public List<Sample> topLosses(int n) {
        return samples.stream().sorted(Comparator.comparingDouble(Sample::loss).reversed()
                .thenComparing(Sample::path)).limit(n).toList();
    }
}
