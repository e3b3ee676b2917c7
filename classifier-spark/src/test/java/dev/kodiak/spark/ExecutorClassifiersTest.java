package dev.kodiak.spark;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.sameInstance;

import dev.kodiak.core.infer.InferenceEngine;
import dev.kodiak.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The executor's classifier cache, without Spark: reuse, replacement and release. */
class ExecutorClassifiersTest {
    @TempDir
    Path tmp;

    private ScoringOptions options(Path bundle) {
        return new ScoringOptions(tmp.toString(), tmp.resolve("out").toString(),
                bundle.toString(), false, 1, 0f, 16, "*.png", "csv", 50_000_000L,
                InferenceEngine.AUTO);
    }

    @Test
    void aReplacedBundlesClassifierClosesWhenItsLastTaskEnds() throws Exception {
        Path bundle = tmp.resolve("bundle");
        copy(Fixtures.tinyBundle(), bundle);
        ScoringOptions options = options(bundle);
        int before = ExecutorClassifiers.openCount();

        ExecutorClassifiers.Lease first = ExecutorClassifiers.acquire(bundle, options);
        try (ExecutorClassifiers.Lease again = ExecutorClassifiers.acquire(bundle, options)) {
            assertThat("one classifier per bundle and options", again.classifier(),
                    sameInstance(first.classifier()));
        }
        assertThat(ExecutorClassifiers.openCount(), is(before + 1));

        // replaced in place while a task still scores with the old model
        replace(bundle, Fixtures.bundle("tiny-rgb-pad"));
        ExecutorClassifiers.Lease second = ExecutorClassifiers.acquire(bundle, options);
        assertThat(second.classifier(), not(sameInstance(first.classifier())));
        assertThat(second.classifier().manifest().name(), is("tiny-rgb-pad"));
        assertThat("the old one stays open while its task runs",
                ExecutorClassifiers.openCount(), is(before + 2));
        assertThat(first.classifier().classify(Fixtures.image("png-rgb8.png").bytes())
                .predictions().isEmpty(), is(false));
        first.close();
        assertThat("closed by its last user", ExecutorClassifiers.openCount(), is(before + 1));
        first.close(); // a second release changes nothing
        assertThat(ExecutorClassifiers.openCount(), is(before + 1));

        // replaced again with nobody using the current one: closed at once
        second.close();
        replace(bundle, Fixtures.tinyBundle());
        try (ExecutorClassifiers.Lease third = ExecutorClassifiers.acquire(bundle, options)) {
            assertThat(ExecutorClassifiers.openCount(), is(before + 1));
            assertThat(third.classifier().manifest().name(), is("tiny-rgb"));
        }
    }

    private static void replace(Path bundle, Path with) throws IOException {
        try (Stream<Path> files = Files.list(bundle)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        copy(with, bundle);
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }
}
