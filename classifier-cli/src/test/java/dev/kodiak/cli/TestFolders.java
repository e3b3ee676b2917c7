package dev.kodiak.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
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
import java.util.HashMap;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Labelled folders of Fashion-MNIST test images (Debian's dataset-fashion-mnist) for the
 * command line's tests and benchmarks, and ways to look at a folder afterwards.
 */
final class TestFolders {
    private static final JsonObject FACTS = Fixtures.fashionMnist();
    private static final byte[] IMAGES = Fixtures.gunzip(FACTS.get("images").getAsString());
    private static final byte[] LABELS = Fixtures.gunzip(FACTS.get("labels").getAsString());

    private TestFolders() {
    }

    /** @return the default model's labels */
    static List<String> labels() {
        try (Bundle bundle = Bundle.open(Fixtures.defaultBundle())) {
            return bundle.manifest().labels();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return test image {@code i} (0 to 9999) as a grayscale PNG */
    static byte[] png(int i) {
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
    static int label(int i) {
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
    static Path fashion(Path root, int count) throws IOException {
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
     * (PyTorch's probability over 0.995) and that look alike to no other (hashes more than 10
     * bits apart, where duplicates are 8 or fewer); three more such images are planted in the
     * wrong folder, and one bag image is copied.
     *
     * @param root the folder to write (created)
     * @param mislabels the planted files (relative path) with the folder they belong in
     * @param duplicate the copy (relative path)
     * @param original the file it copies
     */
    record Planted(Path root, Map<String, String> mislabels, String duplicate, String original) {
    }

    /** Writes the {@link Planted} folder. */
    static Planted planted(Path root) throws Exception {
        List<String> names = labels();
        float[] logits = Fixtures.floats(FACTS.get("logits").getAsString());
        // classes whose pictures vary enough for a 28x28 difference hash to tell them apart
        int[] classes = {names.indexOf("Pullover"), names.indexOf("Sandal"), names.indexOf("Bag"),
            names.indexOf("Ankle boot")};
        Map<Integer, List<Integer>> chosen = new LinkedHashMap<>();
        List<Long> hashes = new ArrayList<>();
        ImageDecoder decoder = new ImageDecoder();
        for (int c : classes) {
            List<Integer> picks = new ArrayList<>();
            for (int i = 0; i < logits.length / 10 && picks.size() < 6; i++) {
                if (label(i) != c || softmax(logits, i)[c] < 0.995) {
                    continue;
                }
                long hash = PerceptualHash.of(decoder.decode(png(i), ColorMode.RGB));
                if (hashes.stream().allMatch(h -> PerceptualHash.distance(h, hash) > 10)) {
                    hashes.add(hash);
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

    /**
     * Every file under a folder, outside {@code .kodiak-clean}, with its sha256.
     *
     * @param root the folder
     * @return relative path ({@code /}) to sha256, sorted
     */
    static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                String rel = root.relativize(p).toString().replace('\\', '/');
                if (!rel.startsWith(Journal.DIR + "/")) {
                    files.put(rel, Sha256.of(p));
                }
            }
        }
        return files;
    }

    /** @return every folder under root, outside {@code .kodiak-clean}, relative */
    static TreeSet<String> folders(Path root) throws IOException {
        TreeSet<String> folders = new TreeSet<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(Files::isDirectory).filter(p -> !p.equals(root))
                    .map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .filter(p -> !p.startsWith(Journal.DIR)).forEach(folders::add);
        }
        return folders;
    }

    /**
     * Every line of a folder's journal, each parsed (a line that is not JSON fails the test).
     *
     * @param root the folder
     * @return the lines
     */
    static List<JsonObject> journal(Path root) throws IOException {
        List<JsonObject> lines = new ArrayList<>();
        for (String line : Files.readAllLines(root.resolve(Journal.DIR + "/journal.jsonl"))) {
            lines.add(JsonParser.parseString(line).getAsJsonObject());
        }
        return lines;
    }

    /** Unique ids; a move is an intent then one outcome; a keep or its undo is one done line. */
    static void assertWellFormed(List<JsonObject> journal) {
        Map<Long, List<String>> phases = new HashMap<>();
        for (JsonObject line : journal) {
            phases.computeIfAbsent(line.get("id").getAsLong(), k -> new ArrayList<>())
                    .add(line.get("phase").getAsString());
        }
        long max = phases.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        assertThat("ids run from 1 without gaps", (long) phases.size(), is(max));
        for (Map.Entry<Long, List<String>> e : phases.entrySet()) {
            List<String> p = e.getValue();
            assertThat("action " + e.getKey() + ": " + p, p.equals(List.of("done"))
                    || p.equals(List.of("intent", "done")) || p.equals(List.of("intent",
                    "failed")), is(true));
        }
    }

}
