package dev.kodiak.cli;

import static org.hamcrest.Matchers.is;

import com.google.gson.JsonObject;
import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.testing.Fixtures;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;

/**
 * Labelled folders of Fashion-MNIST test images (Debian's dataset-fashion-mnist) for the
 * command line's tests and benchmarks, and ways to look at a folder afterwards.
 */
public final class TestFolders {
    private static final JsonObject FACTS = Fixtures.fashionMnist();
    private static final byte[] IMAGES = Fixtures.gunzip(FACTS.get("images").getAsString());
    private static final byte[] LABELS = Fixtures.gunzip(FACTS.get("labels").getAsString());

    private TestFolders() {
    }

    /** @return the default model's labels */
    public static List<String> labels() {
        try (Bundle bundle = Bundle.open(Fixtures.defaultBundle())) {
            return bundle.manifest().labels();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return test image {@code i} (0 to 9999) as a grayscale PNG */
    public static byte[] png(int i) {
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, 28, 28,
                Arrays.copyOfRange(IMAGES, 16 + i * 784, 16 + (i + 1) * 784));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** @return the true class of test image {@code i} */
    public static int label(int i) {
        return LABELS[8 + i];
    }

    /**
     * The first {@code count} test images, one folder per label (slugged names), as
     * {@code evaluate} reads them.
     *
     * @param root where to write (created)
     * @param count how many images (up to 10,000)
     * @return root
     */
    public static Path fashion(Path root, int count) throws IOException {
        List<String> names = labels();
        for (int i = 0; i < count; i++) {
            Path dir = Files.createDirectories(root.resolve(LabelledFolder.slug(
                    names.get(label(i)))));
            Files.write(dir.resolve(String.format("%05d.png", i)), png(i));
        }
        return root;
    }

    /**
     * A small labelled folder with known faults: {@code pullover}, {@code sandal}, {@code bag}
     * and {@code ankle-boot} hold five images each of their class that the model is sure of
     * (PyTorch's probability over 0.995) and that look alike to no other (looks more than twice
     * the default duplicate threshold apart); three more such images are planted in the wrong
     * folder, and one bag image is copied.
     *
     * @param root the folder to write (created)
     * @param mislabels the planted files (relative path) with the folder they belong in
     * @param duplicate the copy (relative path)
     * @param original the file it copies
     */
    public record Planted(Path root, Map<String, String> mislabels, String duplicate, String original) {
    }

    /** Writes the {@link Planted} folder. */
    public static Planted planted(Path root) throws Exception {
        List<String> names = labels();
        float[] logits = Fixtures.floats(FACTS.get("logits").getAsString());
        // classes whose pictures vary enough that their looks are far apart
        int[] classes = {names.indexOf("Pullover"), names.indexOf("Sandal"), names.indexOf("Bag"),
            names.indexOf("Ankle boot")};
        Map<Integer, List<Integer>> chosen = new LinkedHashMap<>();
        List<Look> looks = new ArrayList<>();
        ImageDecoder decoder = new ImageDecoder();
        for (int c : classes) {
            List<Integer> picks = new ArrayList<>();
            for (int i = 0; i < logits.length / 10 && picks.size() < 6; i++) {
                if (label(i) != c || softmax(logits, i)[c] < 0.995) {
                    continue;
                }
                Look look = Look.of(decoder.decode(png(i), ColorMode.RGB));
                if (looks.stream().allMatch(l -> l.distance(look)
                        > 2 * Duplicates.DEFAULT_THRESHOLD)) {
                    looks.add(look);
                    picks.add(i);
                }
            }
            if (picks.size() < 6) {
                throw new IllegalStateException("fewer than 6 sure, distinct images of " + c);
            }
            chosen.put(c, picks);
        }
        for (Map.Entry<Integer, List<Integer>> e : chosen.entrySet()) {
            Path dir = Files.createDirectories(root.resolve(LabelledFolder.slug(
                    names.get(e.getKey()))));
            for (int i : e.getValue().subList(0, 5)) {
                Files.write(dir.resolve(String.format("%05d.png", i)), png(i));
            }
        }
        // the sixth of pullover, sandal and bag each goes into the next one's folder
        Map<String, String> mislabels = new TreeMap<>();
        for (int k = 0; k < 3; k++) {
            int own = classes[k];
            String wrong = LabelledFolder.slug(names.get(classes[(k + 1) % 3]));
            int i = chosen.get(own).get(5);
            String path = wrong + "/" + String.format("%05d.png", i);
            Files.write(root.resolve(path), png(i));
            mislabels.put(path, LabelledFolder.slug(names.get(own)));
        }
        String original = "bag/" + String.format("%05d.png", chosen.get(classes[2]).get(0));
        String duplicate = "bag/copy-" + String.format("%05d.png", chosen.get(classes[2]).get(0));
        Files.copy(root.resolve(original), root.resolve(duplicate));
        return new Planted(root, mislabels, duplicate, original);
    }

    private static double[] softmax(float[] logits, int image) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < 10; j++) {
            max = Math.max(max, logits[image * 10 + j]);
        }
        double sum = 0;
        double[] p = new double[10];
        for (int j = 0; j < 10; j++) {
            p[j] = Math.exp(logits[image * 10 + j] - max);
            sum += p[j];
        }
        for (int j = 0; j < 10; j++) {
            p[j] /= sum;
        }
        return p;
    }
}
