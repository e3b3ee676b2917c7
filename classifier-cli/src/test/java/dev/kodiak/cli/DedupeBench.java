package dev.kodiak.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.testing.Machine;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * How well duplicate finding finds duplicates, and how fast: each candidate method on the
 * labeled benchmark that {@code tools/make_dedupe_benchmark.py} writes (28x28 Fashion-MNIST
 * images and photo tiles, with planted copies of known kinds), as precision and recall of the
 * duplicate pairs found; then {@code kodiak dedupe} on 100,000 small PNGs. Writes
 * {@code benchmarks/results/dedupe.md}. Run it with {@code ./kodiak bench-dedupe}. A
 * measurement program, not a test: it asserts nothing.
 *
 * <p>A pair is found when both images end up in one group. The planted pairs are each copy
 * with its original (recall, per kind of copy and over all); a found pair is true when both
 * images come from one original (a copy and its original, or two copies of one), false
 * otherwise; precision is true pairs over found pairs, and false pairs are also counted per
 * 1,000 distinct originals.
 */
public final class DedupeBench {
    private static final List<String> KINDS = List.of("same-bytes", "jpeg-95", "jpeg-75",
            "jpeg-50", "resize-50", "resize-150", "format", "crop", "border", "exif");
    private static final String TRAIN =
            "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
    private static final int SCALE = 100_000;
    private static final int RUNS = 3;

    private DedupeBench() {
    }

    /** One file of a set, as the methods see it. */
    private record Entry(String file, int original, String kind, Duplicates.Image image,
            long dHash, long pHash) {
    }

    /** One labeled set. */
    private record LabeledSet(String name, int originals, List<Integer> leftOut,
            List<Entry> entries) {
        /** How many folders (labels, or photos the tiles come from) the originals are in. */
        long folders() {
            return entries.stream().map(e -> e.file().substring(0, e.file().indexOf('/')))
                    .distinct().count();
        }
    }

    /** Groups as lists of entry indexes. */
    private interface Method {
        List<int[]> group(LabeledSet set);
    }

    /** A method at one setting, and what it found on each set. */
    private record Row(String method, String setting, Map<String, Score> scores) {
    }

    /**
     * What a method found on one set.
     *
     * @param recall per kind, over the planted (original, copy) pairs
     * @param precision per kind: of the found pairs with a copy of that kind, the true share
     * @param planted all planted pairs found / all planted pairs
     * @param found pairs found
     * @param falsePairs found pairs that are not from one original
     * @param originals distinct originals in the set
     */
    private record Score(Map<String, Double> recall, Map<String, Double> precision,
            double planted, long found, long falsePairs, int originals) {
        double precisionAll() {
            return found == 0 ? 1 : 1 - (double) falsePairs / found;
        }

        double falsePerThousand() {
            return falsePairs * 1000.0 / originals;
        }

        boolean meetsGoal() {
            return planted >= 0.95 && falsePerThousand() < 1;
        }
    }

    /**
     * Runs the measurements.
     *
     * @param args the benchmark folder (default {@code target/dedupe-benchmark}), then
     *     {@code --no-scale} to leave out the 100,000-image run
     * @throws Exception if a step fails
     */
    public static void main(String[] args) throws Exception {
        Path root = Fixtures.root();
        Path folder = args.length > 0 && !args[0].startsWith("--") ? Path.of(args[0])
                : root.resolve("target/dedupe-benchmark");
        boolean scale = !Arrays.asList(args).contains("--no-scale");
        String loadBefore = load();
        List<LabeledSet> sets = new ArrayList<>();
        for (String name : List.of("small", "photos")) {
            Path truth = folder.resolve(name + ".json");
            if (!Files.exists(truth)) {
                throw new IllegalStateException(truth + " is missing: run /usr/bin/python3 "
                        + "tools/make_dedupe_benchmark.py (./kodiak bench-dedupe does)");
            }
            sets.add(read(folder.resolve(name), truth));
        }
        List<Row> rows = new ArrayList<>();
        rows.add(row("difference hash, 64 bits, transitive groups (before)", "8 bits", sets,
                s -> transitive(s, 8)));
        for (int bits : new int[] {4, 6, 8, 10}) {
            rows.add(row("difference hash, 64 bits", bits + " bits", sets,
                    s -> aroundKept(s, (a, b) -> PerceptualHash.distance(a.dHash(), b.dHash()),
                            bits)));
        }
        for (int bits : new int[] {4, 6, 8, 10, 12}) {
            rows.add(row("DCT hash, 64 bits", bits + " bits", sets,
                    s -> aroundKept(s, (a, b) -> PerceptualHash.distance(a.pHash(), b.pHash()),
                            bits)));
        }
        for (double t : new double[] {3, 4, 5}) {
            rows.add(row("difference hash within 12 bits, then the 8x8 thumbnail",
                    fmt(t, 1) + " gray levels", sets, s -> aroundKept(s, (a, b) ->
                            PerceptualHash.distance(a.dHash(), b.dHash()) > 12 ? 255
                                    : rms(a.image().look().whole(), b.image().look().whole()),
                            t)));
        }
        rows.add(row("the 8x8 thumbnail alone (the look's whole view)", "4.0 gray levels", sets,
                s -> aroundKept(s, (a, b) -> rms(a.image().look().whole(),
                        b.image().look().whole()), 4)));
        for (double t : new double[] {2, 3, 3.5, 4, 4.5, 5}) {
            rows.add(row("look: 8x8 whole, inside a frame, centre (chosen)",
                    fmt(t, 1) + " gray levels", sets, s -> looks(s, t)));
        }
        String scaleReport = scale ? scale(root) : "(not run: --no-scale)\n";
        String md = report(sets, rows, issueCase(), scaleReport, loadBefore);
        Path out = Files.createDirectories(root.resolve("benchmarks/results"));
        Files.writeString(out.resolve("dedupe.md"), md);
        System.out.print(md);
    }

    // ---- the labeled sets ----

    private static LabeledSet read(Path folder, Path truth) throws IOException {
        JsonObject t = JsonParser.parseString(Files.readString(truth)).getAsJsonObject();
        List<JsonElement> files = new ArrayList<>();
        t.getAsJsonArray("files").forEach(files::add);
        ImageDecoder decoder = new ImageDecoder();
        Entry[] entries = new Entry[files.size()];
        IntStream.range(0, files.size()).parallel().forEach(i -> {
            JsonObject f = files.get(i).getAsJsonObject();
            Path file = folder.resolve(f.get("file").getAsString());
            try {
                byte[] bytes = Files.readAllBytes(file);
                Pixels rgb = decoder.decode(bytes, ColorMode.RGB);
                entries[i] = new Entry(f.get("file").getAsString(), f.get("original").getAsInt(),
                        f.get("kind").getAsString(), Duplicates.Image.of(file, bytes, rgb),
                        PerceptualHash.difference(rgb), PerceptualHash.dct(rgb));
            } catch (Exception e) {
                throw new IllegalStateException("cannot read " + file, e);
            }
        });
        List<Integer> leftOut = new ArrayList<>();
        t.getAsJsonArray("left_out").forEach(x -> leftOut.add(x.getAsInt()));
        return new LabeledSet(t.get("set").getAsString(), t.get("originals").getAsInt(),
                leftOut, List.of(entries));
    }

    // ---- the candidate methods ----

    private static double rms(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            sum += d * d;
        }
        return Math.sqrt(sum / a.length);
    }

    private interface Distance {
        double between(Entry a, Entry b);
    }

    /** The entries' indexes, largest first, as {@link Duplicates#group} takes them. */
    private static Integer[] largestFirst(LabeledSet set) {
        List<Entry> e = set.entries();
        Integer[] order = IntStream.range(0, e.size()).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingLong((Integer i) -> e.get(i).image().pixels())
                .reversed()
                .thenComparing(Comparator.comparingLong((Integer i) -> e.get(i).image().bytes())
                        .reversed())
                .thenComparingInt(i -> e.get(i).image().path().getNameCount())
                .thenComparing(i -> e.get(i).image().path()));
        return order;
    }

    /** Groups around the kept image, as dedupe now does, by any distance (every pair). */
    private static List<int[]> aroundKept(LabeledSet set, Distance distance, double threshold) {
        List<Entry> e = set.entries();
        boolean[] taken = new boolean[e.size()];
        List<int[]> groups = new ArrayList<>();
        for (int i : largestFirst(set)) {
            if (taken[i]) {
                continue;
            }
            taken[i] = true;
            List<Integer> members = new ArrayList<>(List.of(i));
            for (int j = 0; j < e.size(); j++) {
                if (!taken[j] && distance.between(e.get(i), e.get(j)) <= threshold) {
                    taken[j] = true;
                    members.add(j);
                }
            }
            if (members.size() > 1) {
                groups.add(members.stream().mapToInt(Integer::intValue).toArray());
            }
        }
        return groups;
    }

    /** Union-find over the difference hash: what dedupe did before. */
    private static List<int[]> transitive(LabeledSet set, int bits) {
        List<Entry> e = set.entries();
        int[] parent = IntStream.range(0, e.size()).toArray();
        for (int i = 0; i < e.size(); i++) {
            for (int j = i + 1; j < e.size(); j++) {
                if (PerceptualHash.distance(e.get(i).dHash(), e.get(j).dHash()) <= bits) {
                    parent[find(parent, i)] = find(parent, j);
                }
            }
        }
        Map<Integer, List<Integer>> byRoot = new LinkedHashMap<>();
        for (int i = 0; i < e.size(); i++) {
            byRoot.computeIfAbsent(find(parent, i), k -> new ArrayList<>()).add(i);
        }
        return byRoot.values().stream().filter(m -> m.size() > 1)
                .map(m -> m.stream().mapToInt(Integer::intValue).toArray()).toList();
    }

    private static int find(int[] parent, int i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    /** The shipped code: {@link Duplicates#group} on the looks. */
    private static List<int[]> looks(LabeledSet set, double threshold) {
        Map<Path, Integer> index = new HashMap<>();
        List<Duplicates.Image> images = new ArrayList<>();
        for (int i = 0; i < set.entries().size(); i++) {
            index.put(set.entries().get(i).image().path(), i);
            images.add(set.entries().get(i).image());
        }
        List<int[]> groups = new ArrayList<>();
        for (Duplicates.Group g : Duplicates.group(images, threshold)) {
            int[] members = new int[g.members().size() + 1];
            members[0] = index.get(g.keep().path());
            for (int k = 0; k < g.members().size(); k++) {
                members[k + 1] = index.get(g.members().get(k).image().path());
            }
            groups.add(members);
        }
        return groups;
    }

    // ---- scoring ----

    private static Row row(String method, String setting, List<LabeledSet> sets, Method m) {
        Map<String, Score> scores = new LinkedHashMap<>();
        for (LabeledSet set : sets) {
            scores.put(set.name(), score(set, m.group(set)));
        }
        System.err.printf(Locale.ROOT, "%s at %s: %s%n", method, setting, scores.entrySet()
                .stream().map(e -> String.format(Locale.ROOT, "%s recall %.3f false/1000 %.2f",
                        e.getKey(), e.getValue().planted(), e.getValue().falsePerThousand()))
                .toList());
        return new Row(method, setting, scores);
    }

    private static Score score(LabeledSet set, List<int[]> groups) {
        List<Entry> e = set.entries();
        int[] groupOf = new int[e.size()];
        Arrays.fill(groupOf, -1);
        for (int g = 0; g < groups.size(); g++) {
            for (int i : groups.get(g)) {
                groupOf[i] = g;
            }
        }
        Map<Integer, Integer> originalEntry = new HashMap<>();
        for (int i = 0; i < e.size(); i++) {
            if (e.get(i).kind().equals("original")) {
                originalEntry.put(e.get(i).original(), i);
            }
        }
        Map<String, long[]> recall = new LinkedHashMap<>();     // found, planted
        Map<String, long[]> precision = new LinkedHashMap<>();  // true, found
        for (String kind : KINDS) {
            recall.put(kind, new long[2]);
            precision.put(kind, new long[2]);
        }
        for (int i = 0; i < e.size(); i++) {
            Entry c = e.get(i);
            if (!c.kind().equals("original")) {
                long[] r = recall.get(c.kind());
                int o = originalEntry.get(c.original());
                r[1]++;
                if (groupOf[i] >= 0 && groupOf[i] == groupOf[o]) {
                    r[0]++;
                }
            }
        }
        long found = 0;
        long falsePairs = 0;
        for (int[] g : groups) {
            for (int a = 0; a < g.length; a++) {
                for (int b = a + 1; b < g.length; b++) {
                    Entry x = e.get(g[a]);
                    Entry y = e.get(g[b]);
                    boolean same = x.original() == y.original();
                    found++;
                    if (!same) {
                        falsePairs++;
                    }
                    for (Entry z : List.of(x, y)) {
                        if (!z.kind().equals("original")) {
                            long[] p = precision.get(z.kind());
                            p[1]++;
                            p[0] += same ? 1 : 0;
                        }
                    }
                }
            }
        }
        Map<String, Double> r = new LinkedHashMap<>();
        Map<String, Double> p = new LinkedHashMap<>();
        long plantedFound = 0;
        long planted = 0;
        for (String kind : KINDS) {
            long[] rk = recall.get(kind);
            long[] pk = precision.get(kind);
            r.put(kind, rk[1] == 0 ? Double.NaN : (double) rk[0] / rk[1]);
            p.put(kind, pk[1] == 0 ? Double.NaN : (double) pk[0] / pk[1]);
            plantedFound += rk[0];
            planted += rk[1];
        }
        return new Score(r, p, (double) plantedFound / planted, found, falsePairs,
                set.originals());
    }

    // ---- the case of the issue ----

    /**
     * The first 1,000 Fashion-MNIST test images as 28x28 PNGs, all distinct, as issue 20 ran
     * them: what the difference hash with transitive groups found, and what the look finds.
     */
    private static String issueCase() throws Exception {
        ImageDecoder decoder = new ImageDecoder();
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            byte[] png = TestFolders.png(i);
            Pixels rgb = decoder.decode(png, ColorMode.RGB);
            entries.add(new Entry(i + ".png", i, "original",
                    Duplicates.Image.of(Path.of(String.format("%05d.png", i)), png, rgb),
                    PerceptualHash.difference(rgb), PerceptualHash.dct(rgb)));
        }
        LabeledSet set = new LabeledSet("issue", 1000, List.of(), entries);
        List<int[]> before = transitive(set, 8);
        List<int[]> now = looks(set, Duplicates.DEFAULT_THRESHOLD);
        return String.format(Locale.ROOT, "On the first 1,000 Fashion-MNIST test images as "
                + "28x28 PNGs (all distinct), the difference hash within 8 bits with transitive "
                + "groups (dedupe before) reports **%,d duplicates in %,d groups**; the look at "
                + "the default threshold (%.1f) reports **%,d duplicates in %,d groups**.%n",
                before.stream().mapToInt(g -> g.length - 1).sum(), before.size(),
                Duplicates.DEFAULT_THRESHOLD, now.stream().mapToInt(g -> g.length - 1).sum(),
                now.size());
    }

    // ---- 100,000 images ----

    /**
     * Writes 100,000 28x28 PNGs (Fashion-MNIST's 70,000 train and test images, and 30,000
     * copies of them: the same bytes, JPEG re-encodes, 42x42 PNGs), then times {@code kodiak
     * dedupe} on them in a new JVM, and the grouping alone in this one.
     */
    private static String scale(Path root) throws Exception {
        Path work = Files.createTempDirectory("kodiak-dedupe-bench");
        try {
            byte[] train = gunzip(Path.of(TRAIN));
            byte[] test = Fixtures.gunzip(Fixtures.fashionMnist().get("images").getAsString());
            int distinct = 70_000;
            IntStream.range(0, SCALE).parallel().forEach(i -> {
                try {
                    int source = i < distinct ? i : (i - distinct) * 7 % distinct;
                    byte[] pixels = source < 60_000
                            ? Arrays.copyOfRange(train, 16 + source * 784, 16 + (source + 1) * 784)
                            : Arrays.copyOfRange(test, 16 + (source - 60_000) * 784,
                                    16 + (source - 59_999) * 784);
                    BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
                    image.getRaster().setDataElements(0, 0, 28, 28, pixels);
                    Path dir = Files.createDirectories(work.resolve(String.format("%03d",
                            i / 1000)));
                    int kind = i < distinct ? -1 : (i - distinct) % 3;
                    if (kind == 1) {
                        Files.write(dir.resolve(String.format("%06d.jpg", i)), jpeg(image));
                    } else {
                        BufferedImage out = kind == 2 ? scaled(image, 42) : image;
                        ByteArrayOutputStream png = new ByteArrayOutputStream();
                        ImageIO.write(out, "png", png);
                        Files.write(dir.resolve(String.format("%06d.png", i)), png.toByteArray());
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            List<double[]> runs = new ArrayList<>();
            String summary = null;
            for (int run = 0; run < RUNS; run++) {
                long start = System.nanoTime();
                Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin",
                        "java").toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
                        System.getProperty("java.class.path"), Main.class.getName(), "dedupe",
                        work.toString(), "-q").redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
                String out;
                try (InputStream in = p.getInputStream()) {
                    out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                p.waitFor();
                runs.add(new double[] {(System.nanoTime() - start) / 1e9});
                String[] lines = out.strip().split("\n");
                summary = lines[lines.length - 1];
            }
            double[] command = runs.stream().mapToDouble(r -> r[0]).sorted().toArray();
            // in this JVM: read and look at every file once, then group five times
            List<Path> files;
            try (Stream<Path> walk = Files.walk(work)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            ImageDecoder decoder = new ImageDecoder();
            long readStart = System.nanoTime();
            List<Duplicates.Image> images = files.parallelStream().map(f -> {
                try {
                    byte[] bytes = Files.readAllBytes(f);
                    return Duplicates.Image.of(f, bytes, decoder.decode(bytes, ColorMode.RGB));
                } catch (Exception e) {
                    throw new IllegalStateException(f.toString(), e);
                }
            }).toList();
            double read = (System.nanoTime() - readStart) / 1e9;
            double[] grouping = new double[5];
            int groups = 0;
            for (int k = 0; k < grouping.length; k++) {
                long start = System.nanoTime();
                groups = Duplicates.group(images, Duplicates.DEFAULT_THRESHOLD).size();
                grouping[k] = (System.nanoTime() - start) / 1e9;
            }
            Arrays.sort(grouping);
            return String.format(Locale.ROOT, """
                    The folder: %,d PNG and JPEG files of 28x28 pictures in 100 sub-folders: \
                    Fashion-MNIST's 60,000 train and 10,000 test images as PNGs, and 30,000 \
                    copies of them (10,000 each: the same bytes, JPEG re-encodes by ImageIO at \
                    its default quality, 42x42 PNGs resized by Java2D's bilinear filter).

                    | measure | value |
                    |---|---:|
                    | **`kodiak dedupe FOLDER -q`**, start of a new JVM to exit (fastest / \
                    median / slowest of %d) | %.1f / %.1f / %.1f s |
                    | of which reading, decoding and looking at %,d files on %d cores (in this \
                    JVM, once, files in the page cache) | %.1f s |
                    | of which grouping (`Duplicates.group`, one thread; fastest / median / \
                    slowest of 5) | %.2f / %.2f / %.2f s |

                    What the command printed last: `%s` (%d groups from the in-JVM grouping). \
                    Fashion-MNIST's train and test sets hold a few near-identical pictures of \
                    their own, so the count is a little over the 30,000 planted.
                    """, files.size(), RUNS, command[0], command[RUNS / 2], command[RUNS - 1],
                    files.size(), Runtime.getRuntime().availableProcessors(), read,
                    grouping[0], grouping[2], grouping[4], summary, groups);
        } finally {
            try (Stream<Path> walk = Files.walk(work)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static byte[] gunzip(Path file) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            return in.readAllBytes();
        }
    }

    private static byte[] jpeg(BufferedImage image) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static BufferedImage scaled(BufferedImage image, int side) {
        BufferedImage out = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
                RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, side, side, null);
        g.dispose();
        return out;
    }

    // ---- the report ----

    private static String report(List<LabeledSet> sets, List<Row> rows, String issueCase,
            String scale, String loadBefore) {
        StringBuilder md = new StringBuilder();
        md.append("# Duplicate finding: kodiak dedupe and clean's Duplicates view\n\n");
        md.append("Generated by `./kodiak bench-dedupe` on ").append(LocalDate.now())
                .append(". Machine: ").append(Machine.describe()).append(". Load average "
                        + "(1 min) before / after: ").append(loadBefore).append(" / ")
                .append(load()).append(" (the machine is shared with other builds; a load "
                        + "over 2 slows everything here).\n\n");
        md.append("## The case of issue 20\n\n").append(issueCase).append("\n");
        md.append("## The labeled benchmark\n\n");
        md.append("Made by `tools/make_dedupe_benchmark.py` (seeded; nothing downloaded):\n\n");
        for (LabeledSet s : sets) {
            long copies = s.entries().stream().filter(e -> !e.kind().equals("original")).count();
            md.append(String.format(Locale.ROOT, "- **%s**: %,d distinct originals and %,d "
                    + "planted copies (%,d files)%s.%n", s.name(), s.originals(), copies,
                    s.entries().size(), s.name().equals("small")
                            ? ", the Fashion-MNIST test images at 28x28 but for test image "
                            + s.leftOut().stream().map(String::valueOf).collect(
                                    java.util.stream.Collectors.joining(", "))
                            + " (the same picture as test image 2115, 1.5 gray levels apart)"
                            : ", tiles of 40 to 160 pixels a side cut from " + s.folders()
                            + " of scikit-image's data photos, one grid per photo, so no two "
                            + "share a pixel (tiles flatter than 10 gray levels left out)"));
        }
        md.append("""

                Half the originals are PNG, half JPEG (quality 90). Each copied original has \
                two copies of two different kinds, so every kind has the same count: \
                `same-bytes` (the file copied), `jpeg-95`/`-75`/`-50` (re-encoded at that \
                quality), `resize-50`/`-150` (PIL's LANCZOS, BICUBIC, BILINEAR or, to shrink \
                only, BOX, at random), `format` (PNG to JPEG at 90, JPEG to PNG), `crop` (1% to 5% off each \
                side, at least a pixel), `border` (a black or white frame of 1% to 5%, at least \
                a pixel), `exif` (pixels turned, orientation 3, 6 or 8 set, so it shows the \
                same).

                A pair is **found** when both images are in one group. **Recall** is over the \
                planted pairs (each copy with its original); a found pair is **false** when \
                its two images come from different originals. Precision is true found pairs \
                over found pairs; per kind, over the found pairs that hold a copy of that kind. \
                The goal (issue 20): recall at least 0.95 and fewer than 1 false pair per \
                1,000 distinct images, on both sets, at the default threshold.

                ## Every method and setting

                """);
        md.append("| method | setting | small: recall | precision | false pairs per 1,000 "
                + "| photos: recall | precision | false pairs per 1,000 | goal |\n");
        md.append("|---|---|---:|---:|---:|---:|---:|---:|:---:|\n");
        for (Row r : rows) {
            md.append("| ").append(r.method()).append(" | ").append(r.setting());
            boolean goal = true;
            for (LabeledSet s : sets) {
                Score sc = r.scores().get(s.name());
                md.append(String.format(Locale.ROOT, " | %.3f | %.3f | %s", sc.planted(),
                        sc.precisionAll(), perThousand(sc.falsePerThousand())));
                goal &= sc.meetsGoal();
            }
            md.append(" | ").append(goal ? "met" : "—").append(" |\n");
        }
        md.append("\n## Per kind of copy\n\nRecall / precision of the pairs holding a copy of "
                + "each kind, for each method at its best setting that keeps false pairs "
                + "under 1 per 1,000 on both sets (or, when none does, its lowest).\n");
        List<Row> shown = best(rows);
        for (LabeledSet s : sets) {
            md.append("\n### ").append(s.name()).append("\n\n| kind");
            for (Row r : shown) {
                md.append(" | ").append(r.method()).append(", ").append(r.setting());
            }
            md.append(" |\n|---");
            md.append("|---:".repeat(shown.size())).append("|\n");
            for (String kind : KINDS) {
                md.append("| ").append(kind);
                for (Row r : shown) {
                    Score sc = r.scores().get(s.name());
                    double precision = sc.precision().get(kind);
                    md.append(String.format(Locale.ROOT, " | %.2f / %s", sc.recall().get(kind),
                            Double.isNaN(precision) ? "—"
                                    : String.format(Locale.ROOT, "%.2f", precision)));
                }
                md.append(" |\n");
            }
            md.append("| **all planted pairs**");
            for (Row r : shown) {
                Score sc = r.scores().get(s.name());
                md.append(String.format(Locale.ROOT, " | **%.3f** / %.3f", sc.planted(),
                        sc.precisionAll()));
            }
            md.append(" |\n| false pairs (per 1,000 distinct)");
            for (Row r : shown) {
                Score sc = r.scores().get(s.name());
                md.append(String.format(Locale.ROOT, " | %,d (%s)", sc.falsePairs(),
                        perThousand(sc.falsePerThousand())));
            }
            md.append(" |\n");
        }
        md.append("\n## 100,000 images\n\n").append(scale);
        return md.toString();
    }

    /** Per method: its best row under 1 false pair per 1,000 on every set, else its first. */
    private static List<Row> best(List<Row> rows) {
        Map<String, Row> best = new LinkedHashMap<>();
        for (Row r : rows) {
            boolean clean = r.scores().values().stream().allMatch(s -> s.falsePerThousand() < 1);
            double recall = r.scores().values().stream().mapToDouble(Score::planted).min()
                    .orElse(0);
            Row current = best.get(r.method());
            if (current == null) {
                best.put(r.method(), r);
                continue;
            }
            boolean currentClean = current.scores().values().stream()
                    .allMatch(s -> s.falsePerThousand() < 1);
            double currentRecall = current.scores().values().stream()
                    .mapToDouble(Score::planted).min().orElse(0);
            if (clean && (!currentClean || recall > currentRecall)) {
                best.put(r.method(), r);
            }
        }
        return List.copyOf(best.values());
    }

    private static String perThousand(double value) {
        return value >= 100 ? String.format(Locale.ROOT, "%,.0f", value)
                : String.format(Locale.ROOT, "%.2f", value);
    }

    private static String fmt(double value, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }
}
