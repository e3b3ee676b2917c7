package dev.kodiak.core.topk;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TopKRankerTest {
    private static final List<String> LABELS = List.of("cat", "dog", "bird", "fish");
    private final TopKRanker logits = new TopKRanker(LABELS, true);

    private static List<String> labels(TopK top) {
        return top.predictions().stream().map(Prediction::label).toList();
    }

    @Test
    void softmaxIsStableForHugeLogitsAndSumsToOne() {
        float[] p = TopKRanker.softmax(new float[] {1000f, 999f, -1000f, 0f});
        double sum = 0;
        for (float v : p) {
            sum += v;
        }
        assertThat(sum, closeTo(1.0, 1e-6));
        assertThat((double) p[0], closeTo(1 / (1 + Math.exp(-1)), 1e-6));
    }

    @Test
    void ranksByProbabilityAndBreaksTiesByClassOrder() {
        TopK top = logits.decode(new float[] {1f, 3f, 3f, 2f}, TopKOptions.DEFAULT);
        assertThat(labels(top), contains("dog", "bird", "fish", "cat"));
        assertThat(top.predictions().get(0).index(), is(1));
    }

    @Test
    void aLargeKRanksLikeASmallOneTiesIncluded() {
        List<String> many = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "c" + i)
                .toList();
        TopKRanker decoder = new TopKRanker(many, true);
        java.util.Random random = new java.util.Random(7);
        float[] scores = new float[many.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = random.nextInt(40) / 4f; // many ties
        }
        Set<String> allowed = new java.util.HashSet<>(many.subList(100, 900));
        for (TopKOptions options : List.of(TopKOptions.DEFAULT,
                TopKOptions.DEFAULT.withAllowedLabels(allowed))) {
            int small = TopKRanker.INSERTION_LIMIT;
            List<Prediction> all = decoder.decode(scores, options.withK(1000)).predictions();
            List<Prediction> few = decoder.decode(scores, options.withK(small)).predictions();
            assertThat(all.subList(0, small), is(few));
            assertThat(all.size(), is(options.allowedLabels().isEmpty() ? 1000 : 800));
            for (int i = 1; i < all.size(); i++) {
                Prediction a = all.get(i - 1);
                Prediction b = all.get(i);
                assertThat("ranked at " + i, a.probability() > b.probability()
                        || a.probability() == b.probability() && a.index() < b.index(), is(true));
            }
        }
    }

    @Test
    void nanScoresAreRefusedWhateverK() {
        TopKRanker probabilities = new TopKRanker(LABELS, false);
        for (int k : new int[] {1, 4}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> probabilities.decode(new float[] {0.5f, 0.2f, Float.NaN, 0.3f},
                            TopKOptions.DEFAULT.withK(k)));
            assertThat(e.getMessage(), containsString("NaN scores"));
        }
        assertThrows(IllegalArgumentException.class, () -> logits.decode(
                new float[] {1f, Float.NaN, 0f, 0f}, TopKOptions.DEFAULT.withK(1)));
    }

    @Test
    void kIsCappedAtTheLabelCount() {
        TopK top = logits.decode(new float[] {1f, 2f, 3f, 4f}, TopKOptions.DEFAULT.withK(100));
        assertThat(top.predictions().size(), is(4));
        assertThat(logits.decode(new float[] {1f, 2f, 3f, 4f}, TopKOptions.DEFAULT.withK(2))
                .predictions().size(), is(2));
    }

    @Test
    void allowListRanksOnlyThoseLabelsWithoutRenormalising() {
        float[] scores = {4f, 3f, 2f, 1f};
        float[] p = TopKRanker.softmax(scores);
        TopK top = logits.decode(scores,
                TopKOptions.DEFAULT.withAllowedLabels(Set.of("fish", "bird")));
        assertThat(labels(top), contains("bird", "fish"));
        assertThat(top.top().probability(), is(p[2]));
    }

    @Test
    void unsureWhenTheBestIsBelowTheThreshold() {
        float[] flat = {0f, 0f, 0f, 0.1f};
        assertThat(logits.decode(flat, TopKOptions.DEFAULT.withThreshold(0.5f)).unsure(),
                is(true));
        assertThat(logits.decode(new float[] {10f, 0f, 0f, 0f},
                TopKOptions.DEFAULT.withThreshold(0.5f)).unsure(), is(false));
        assertThat(logits.decode(flat, TopKOptions.DEFAULT).unsure(), is(false));
    }

    @Test
    void probabilitiesArePassedThroughNotSoftmaxedAgain() {
        TopKRanker probabilities = new TopKRanker(LABELS, false);
        TopK top = probabilities.decode(new float[] {0.1f, 0.6f, 0.2f, 0.1f},
                TopKOptions.DEFAULT);
        assertThat(top.top().probability(), is(0.6f));
    }

    @Test
    void misuseIsNamed() {
        assertThat(assertThrows(IllegalArgumentException.class, () -> logits.decode(
                new float[] {1f}, TopKOptions.DEFAULT)).getMessage(),
                is("Invalid scores: 1 values for 4 labels"));
        assertThat(assertThrows(IllegalArgumentException.class, () -> logits.decode(
                new float[4], TopKOptions.DEFAULT.withAllowedLabels(Set.of("cow", "cat"))))
                .getMessage(), is("Unknown labels [cow]; this model knows [cat, dog, bird, fish]"));
        assertThat(assertThrows(IllegalArgumentException.class,
                () -> new TopKOptions(0, 0f, Set.of())).getMessage(),
                is("Invalid k: 0; ask for at least 1 label"));
        assertThat(assertThrows(IllegalArgumentException.class,
                () -> TopKOptions.DEFAULT.withThreshold(1.5f)).getMessage(),
                is("Invalid threshold: 1.5; use a probability from 0 to 1"));
    }

    @Test
    void resultsAreImmutable() {
        TopK top = logits.decode(new float[] {1f, 2f, 3f, 4f}, TopKOptions.DEFAULT);
        assertThrows(UnsupportedOperationException.class,
                () -> top.predictions().add(new Prediction("x", 0, 0f)));
    }
}
