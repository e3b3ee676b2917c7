package dev.kodiak.spark;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The zip a bundle directory is shipped as. */
class BundleZipTest {
    @TempDir
    Path tmp;

    @Test
    void theZipIsTheSameBundleNamedByItsManifest() throws Exception {
        Path zip = BundleZip.of(Fixtures.defaultBundle(), tmp.resolve("shipped"));
        String sha = Bundle.sha256(Fixtures.defaultBundle().resolve("kodiak.json"));
        assertThat(zip.getFileName().toString(),
                is("fashion-mnist-" + sha.substring(0, 16) + ".zip"));
        try (Bundle directory = Bundle.open(Fixtures.defaultBundle());
                Bundle zipped = Bundle.open(zip)) {
            assertThat(zipped.manifest(), is(directory.manifest()));
        }
        try (Stream<Path> files = Files.list(tmp.resolve("shipped"))) {
            assertThat("no partial zip left", files.toList(), is(List.of(zip)));
        }
    }

    @Test
    void aZipBundleIsShippedUnderItsContentsName() throws Exception {
        Path packed = BundleZip.of(Fixtures.tinyBundle(), tmp.resolve("packed"));
        Path zip = Files.copy(packed, tmp.resolve("model.zip"));
        Path named = BundleZip.of(zip, tmp.resolve("shipped"));
        assertThat(named.getFileName().toString(),
                is("model-" + Bundle.sha256(zip).substring(0, 16) + ".zip"));
        assertThat(Files.mismatch(named, zip), is(-1L));
        assertThat(BundleZip.of(zip, tmp.resolve("shipped")), is(named));
    }

    @Test
    void theSameBundleIsPackedOnceAndAChangedOneGetsANewName() throws Exception {
        Path bundle = tmp.resolve("bundle");
        Files.createDirectories(bundle);
        try (Stream<Path> files = Files.list(Fixtures.tinyBundle())) {
            for (Path file : files.toList()) {
                Files.copy(file, bundle.resolve(file.getFileName()));
            }
        }
        Path zip = BundleZip.of(bundle, tmp.resolve("shipped"));
        Files.setLastModifiedTime(zip, FileTime.fromMillis(0));
        assertThat(BundleZip.of(bundle, tmp.resolve("shipped")), is(zip));
        assertThat("not written again", Files.getLastModifiedTime(zip).toMillis(), is(0L));

        Path manifest = bundle.resolve("kodiak.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"version\": \"",
                "\"version\": \"2."));
        Path changed = BundleZip.of(bundle, tmp.resolve("shipped"));
        assertThat(changed, is(not(zip)));
        try (Bundle opened = Bundle.open(changed)) {
            assertThat(opened.manifest().version().startsWith("2."), is(true));
        }
    }
}
