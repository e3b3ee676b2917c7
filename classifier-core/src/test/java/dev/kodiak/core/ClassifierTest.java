package dev.kodiak.core;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.kodiak.core.bundle.Accuracy;
import dev.kodiak.core.decode.DecodeException;
import dev.kodiak.core.infer.InferenceEngine;
import dev.kodiak.core.infer.InferenceException;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.core.topk.TopKOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real models through DJL, under both engines, against PyTorch's own answers: every bundle
 * of the golden outputs (all input-spec forms, RGB and L) on every decodable fixture.
 */
class ClassifierTest {
    /**
     * The largest difference from PyTorch allowed, as a fraction of the largest expected score's
     * magnitude (at least 1): measured differences are a few 1e-7 for ONNX Runtime and a few
     * 1e-6 for libtorch 2.7 running TorchScript exported by torch 1.13.
     */
    static final double RELATIVE_TOLERANCE = 1e-5;

    static final List<InferenceEngine> ENGINES =
            List.of(InferenceEngine.ONNXRUNTIME, InferenceEngine.PYTORCH);

    static final Map<String, Classifier> OPEN = new ConcurrentHashMap<>();
    static Classifier fashion;
    static Classifier tiny;

    @BeforeAll
    static void open() throws Exception {
        for (InferenceEngine engine : ENGINES) {
            for (String name : Fixtures.BUNDLES) {
                OPEN.put(name + "/" + engine, Classifier.open(ClassifierConfig
                        .builder(Fixtures.bundle(name)).engine(engine).maxBatchSize(500)
                        .build()));
            }
        }
        fashion = classifier("fashion-mnist", InferenceEngine.ONNXRUNTIME);
        tiny = classifier("tiny-rgb", InferenceEngine.ONNXRUNTIME);
    }

    static Classifier classifier(String bundle, InferenceEngine engine) {
        return OPEN.get(bundle + "/" + engine);
    }

    @AfterAll
    static void close() {
        OPEN.values().forEach(Classifier::close);
    }

    record Output(String bundle, InferenceEngine engine, Fixtures.Image image, float[] expected) {
        @Override
        public String toString() {
            return bundle + " with " + engine + " on " + image.name();
        }
    }

    static Stream<Output> outputs() {
        List<Output> outputs = new ArrayList<>();
        for (InferenceEngine engine : ENGINES) {
            for (JsonElement e : Fixtures.modelOutputs()) {
                JsonObject o = e.getAsJsonObject();
                float[] values = new float[o.getAsJsonArray("output").size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = o.getAsJsonArray("output").get(i).getAsFloat();
                }
                String file = o.get("image").getAsString();
                outputs.add(new Output(o.get("bundle").getAsString(), engine,
                        Fixtures.image(file.substring(file.lastIndexOf('/') + 1)), values));
            }
        }
        return outputs.stream();
    }

    @Test
    void everyFormAndColourIsCoveredUnderBothEngines() {
        Set<String> forms = new TreeSet<>();
        for (String name : Fixtures.BUNDLES) {
            for (InferenceEngine engine : ENGINES) {
                Classifier c = classifier(name, engine);
                assertThat(c.engine(), is(engine));
                forms.add(c.manifest().input().resize() + "/" + c.manifest().input().color());
            }
        }
        assertThat(forms, is(new TreeSet<>(List.of("SQUISH/L", "SQUISH/RGB", "CROP/L",
                "CROP/RGB", "PAD/L", "PAD/RGB"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outputs")
    void scoresMatchPyTorch(Output output) throws Exception {
        Classifier classifier = classifier(output.bundle(), output.engine());
        float[] actual = classifier.stages().scores(List.of(classifier.stages().prepare(output.image().bytes())))[0];
        if (output.image().lossy() && output.image().format().equals("webp")
                && !classifier.stages().decoder().webpDecoder().equals("libwebp")) {
            // without libwebp, lossy WebP decodes within noise only (see DecodeTest): same top-1
            assertThat(argmax(actual), is(argmax(output.expected())));
        } else {
            assertThat(maxDifference(output.expected(), actual),
                    lessThanOrEqualTo(allowed(output.expected())));
        }
    }

    /** {@link #RELATIVE_TOLERANCE} of the largest magnitude, at least 1. */
    static float allowed(float[] expected) {
        double scale = 1;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        return (float) (RELATIVE_TOLERANCE * scale);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void fashionMnistTestSetMatchesPyTorchImageForImage(InferenceEngine engine) throws Exception {
        Classifier fashion = classifier("fashion-mnist", engine);
        JsonObject facts = Fixtures.fashionMnist();
        byte[] images = Fixtures.gunzip(facts.get("images").getAsString());
        byte[] labels = Fixtures.gunzip(facts.get("labels").getAsString());
        byte[] expectedTop1 = Fixtures.gunzip(facts.get("top1").getAsString());
        float[] expectedLogits = Fixtures.floats(facts.get("logits").getAsString());
        int total = facts.get("total").getAsInt();

        List<PreparedImage> prepared = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            byte[] pixels = Arrays.copyOfRange(images, 16 + i * 784, 16 + (i + 1) * 784);
            prepared.add(fashion.stages().prepare(new Pixels(28, 28, ColorMode.L, pixels)));
        }
        float[][] scores = fashion.stages().scores(prepared);

        int correct = 0;
        List<Integer> disagreements = new ArrayList<>();
        float worst = 0;
        float allowed = 0;
        for (int i = 0; i < total; i++) {
            int top1 = argmax(scores[i]);
            if (top1 != expectedTop1[i]) {
                disagreements.add(i);
            }
            if (top1 == labels[8 + i]) {
                correct++;
            }
            if (i < facts.get("logits_count").getAsInt()) {
                float[] expected = Arrays.copyOfRange(expectedLogits, i * 10, i * 10 + 10);
                worst = Math.max(worst, maxDifference(expected, scores[i]) / allowed(expected));
            }
        }
        assertThat("images where " + engine + "'s top-1 differs from PyTorch's", disagreements,
                is(empty()));
        assertThat("logits of the first 1000, max |Δ| over the allowed", worst,
                lessThanOrEqualTo(1f));
        Accuracy recorded = fashion.manifest().provenance().accuracy();
        assertThat("correct answers vs the manifest's", correct, is(recorded.correct()));
        assertThat(total, is(recorded.total()));
    }

    static Stream<InferenceEngine> engines() {
        return ENGINES.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void batchGivesTheSameAnswersAsOneByOneInOneForwardPass(InferenceEngine engine)
            throws Exception {
        Classifier tiny = classifier("tiny-rgb", engine);
        List<byte[]> images = Stream.of("png-rgb8.png", "jpeg-gray.jpg", "gif-palette.gif",
                "webp-lossless.webp", "bmp-rgb24.bmp").map(n -> Fixtures.image(n).bytes()).toList();
        List<Classification> batch = tiny.classify(images);
        for (int i = 0; i < images.size(); i++) {
            Classification single = tiny.classify(images.get(i));
            assertThat(batch.get(i).top().label(), is(single.top().label()));
            assertThat((double) batch.get(i).top().probability(),
                    closeTo(single.top().probability(), 1e-5));
            assertThat(batch.get(i).timings().batchSize(), is(images.size()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void sixteenThreadsEachGetTheirOwnAnswer(InferenceEngine engine) throws Exception {
        Classifier tiny = classifier("tiny-rgb", engine);
        List<Fixtures.Image> images = Fixtures.decodable();
        Map<String, String> expected = new ConcurrentHashMap<>();
        for (Fixtures.Image image : images) {
            Classification c = tiny.classify(image.bytes(), TopKOptions.DEFAULT.withK(3));
            expected.put(image.name(), describe(c));
        }
        ExecutorService pool = Executors.newFixedThreadPool(16);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<List<String>>> futures = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int offset = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    List<String> wrong = new ArrayList<>();
                    for (int round = 0; round < 3; round++) {
                        for (int i = 0; i < images.size(); i++) {
                            Fixtures.Image image = images.get((i + offset) % images.size());
                            String got = describe(tiny.classify(image.bytes(),
                                    TopKOptions.DEFAULT.withK(3)));
                            if (!got.equals(expected.get(image.name()))) {
                                wrong.add(image.name() + ": " + got);
                            }
                        }
                    }
                    return wrong;
                }));
            }
            start.countDown();
            for (Future<List<String>> f : futures) {
                assertThat(f.get(), is(empty()));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void allowListThresholdAndTimings() throws Exception {
        byte[] image = Fixtures.image("png-rgb8.png").bytes();
        Classification all = fashion.classify(image, TopKOptions.DEFAULT.withK(10));
        assertThat(all.predictions().size(), is(10));
        String second = all.predictions().get(1).label();
        String third = all.predictions().get(2).label();

        Classification only = fashion.classify(image, TopKOptions.DEFAULT
                .withAllowedLabels(java.util.Set.of(third, second)));
        assertThat(only.predictions().stream().map(p -> p.label()).toList(),
                contains(second, third));
        assertThat(only.predictions().get(0).probability(),
                is(all.predictions().get(1).probability()));

        Classification unsure = fashion.classify(image, TopKOptions.DEFAULT.withThreshold(
                Math.min(1f, all.top().probability() + 0.001f)));
        assertThat(unsure.unsure(), is(true));
        assertThat(fashion.classify(image).unsure(), is(false));
        assertThat(all.timings().decodeNanos(), greaterThan(0L));
        assertThat(all.timings().inferenceNanos(), greaterThan(0L));
    }

    @Test
    void badImagesInABatchAreNamedByPosition() {
        DecodeException e = org.junit.jupiter.api.Assertions.assertThrows(DecodeException.class,
                () -> tiny.classify(List.of(Fixtures.image("png-small.png").bytes(),
                        Fixtures.image("html-renamed.jpg").bytes())));
        assertThat(e.getMessage().startsWith("Image 2 of 2: The data is not an image"), is(true));
        assertThat(e.reason(), is(DecodeException.Reason.NOT_AN_IMAGE));
    }

    @Test
    void unknownAllowedLabelIsAClearMisuse() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> fashion.classify(
                        Fixtures.image("png-small.png").bytes(),
                        TopKOptions.DEFAULT.withAllowedLabels(java.util.Set.of("Hat"))));
        assertThat(e.getMessage(), is("Unknown labels [Hat]; this model knows [T-shirt/top, "
                + "Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot]"));
    }

    private static String describe(Classification c) {
        StringBuilder s = new StringBuilder();
        c.predictions().forEach(p -> s.append(p.label()).append('=')
                .append(String.format("%.5f", p.probability())).append(' '));
        return s.toString();
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    static float maxDifference(float[] a, float[] b) {
        assertThat(b.length, is(a.length));
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

}
