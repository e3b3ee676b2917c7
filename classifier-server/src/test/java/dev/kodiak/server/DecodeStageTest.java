package dev.kodiak.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.testing.Fixtures;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Admission by decode memory: every reservation goes back, whatever becomes of the request. */
class DecodeStageTest {
    static Classifier tiny;

    @BeforeAll
    static void open() throws Exception {
        tiny = Classifier.open(Fixtures.tinyBundle());
    }

    @AfterAll
    static void close() {
        tiny.close();
    }

    private static void awaitReleased(MemoryBudget budget) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (budget.used() > 0 && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        assertThat("bytes still reserved", budget.used(), is(0L));
    }

    @Test
    void aDecodeThatOutlivesItsRequestKeepsItsMemoryUntilItEnds() throws Exception {
        MemoryBudget budget = new MemoryBudget("decoding", 256L << 20);
        try (DecodeStage stage = new DecodeStage(2, budget, Duration.ofMillis(500), 50_000_000)) {
            byte[] big = TestImages.png16Rgba(3000, 3000);
            // a deadline that passes while the 9 MP 16-bit PNG decodes
            ApiException late = assertThrows(ApiException.class, () -> stage.prepare(tiny.stages(), big,
                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20), false));
            assertThat(late.code(), is("DEADLINE_EXCEEDED"));
            assertThat("the decode still holds its reservation", budget.used() > 0, is(true));
            awaitReleased(budget);
        }
    }

    @Test
    void everyOutcomeGivesTheReservationBack() throws Exception {
        MemoryBudget budget = new MemoryBudget("decoding", 64L << 20);
        try (DecodeStage stage = new DecodeStage(2, budget, Duration.ofMillis(200), 50_000_000)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            assertThat(stage.prepare(tiny.stages(), Fixtures.image("png-rgb8.png").bytes(), deadline,
                    false).width() > 0, is(true));
            awaitReleased(budget);
            assertThrows(ApiException.class, () -> stage.prepare(tiny.stages(),
                    Fixtures.image("truncated.png").bytes(), deadline, false));
            awaitReleased(budget);
            ApiException wrongSize = assertThrows(ApiException.class, () -> stage.prepare(tiny.stages(),
                    Fixtures.image("png-rgb8.png").bytes(), deadline, true));
            assertThat(wrongSize.code(), is("WRONG_INPUT_SIZE"));
            awaitReleased(budget);
            ApiException tooBig = assertThrows(ApiException.class, () -> stage.prepare(tiny.stages(),
                    TestImages.png16Rgba(3000, 3000), deadline, false));
            assertThat("more than the budget: 422 at once", tooBig.status().code(), is(422));
            assertThat(tooBig.code(), is("IMAGE_TOO_LARGE"));
            awaitReleased(budget);
        }
    }

    @Test
    void aBudgetLetsWhatFitsThroughAndTimesOutTheRest() throws Exception {
        MemoryBudget budget = new MemoryBudget("test", 100);
        assertThat(budget.tryReserve(60, 0), is(true));
        assertThat("does not fit now", budget.tryReserve(60, TimeUnit.MILLISECONDS.toNanos(50)),
                is(false));
        assertThat("smaller ones still fit", budget.tryReserve(40, 0), is(true));
        assertThat("never fits", budget.tryReserve(101, TimeUnit.SECONDS.toNanos(5)), is(false));
        Thread releaser = Thread.ofVirtual().start(() -> budget.release(60));
        assertThat("fits once released", budget.tryReserve(60, TimeUnit.SECONDS.toNanos(5)),
                is(true));
        releaser.join();
        budget.release(100);
        assertThat(budget.used(), is(0L));
    }
}
