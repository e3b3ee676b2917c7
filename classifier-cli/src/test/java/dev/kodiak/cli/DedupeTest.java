package dev.kodiak.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.matchesPattern;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.core.testing.Fixtures;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code kodiak dedupe} prints and writes: each duplicate with its distance. */
class DedupeTest {
    @TempDir
    Path tmp;

    /**
     * A photo, a copy of its bytes deeper in the tree, a half-size JPEG of it, and an
     * unrelated garment.
     */
    private Path folder() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("data"));
        Files.copy(Fixtures.image("jpeg-444.jpg").path(), folder.resolve("photo.jpg"));
        Files.copy(Fixtures.image("jpeg-444.jpg").path(),
                Files.createDirectories(folder.resolve("copies")).resolve("photo.jpg"));
        BufferedImage photo = ImageIO.read(folder.resolve("photo.jpg").toFile());
        BufferedImage half = new BufferedImage(photo.getWidth() / 2, photo.getHeight() / 2,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = half.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
                RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(photo, 0, 0, half.getWidth(), half.getHeight(), null);
        g.dispose();
        ImageIO.write(half, "jpeg", folder.resolve("photo-half.jpg").toFile());
        Files.write(folder.resolve("garment.png"), TestFolders.png(3));
        return folder;
    }

    @Test
    void eachDuplicateIsListedWithItsDistanceToTheKeptImage() throws Exception {
        Path folder = folder();
        Path report = tmp.resolve("dupes.json");
        CliTest.Run run = CliTest.run("dedupe", folder.toString(), "-q", "--json",
                report.toString());
        assertThat(run.err(), run.exit(), is(Exit.FOUND));
        assertThat(run.out(), matchesPattern("""
                keep photo\\.jpg
                  same bytes \\(distance 0\\.0\\) copies/photo\\.jpg
                  near \\(distance [0-3]\\.[0-9]\\) photo-half\\.jpg
                1 groups, 2 duplicates among 4 images
                """));

        JsonArray groups = JsonParser.parseString(Files.readString(report)).getAsJsonObject()
                .getAsJsonArray("groups");
        assertThat(groups.size(), is(1));
        JsonObject group = groups.get(0).getAsJsonObject();
        assertThat(group.get("keep").getAsString(), is("photo.jpg"));
        JsonArray duplicates = group.getAsJsonArray("duplicates");
        JsonObject same = duplicates.get(0).getAsJsonObject();
        assertThat(same.get("path").getAsString(), is("copies/photo.jpg"));
        assertThat(same.get("match").getAsString(), is("same bytes"));
        assertThat(same.get("distance").getAsDouble(), is(0.0));
        JsonObject near = duplicates.get(1).getAsJsonObject();
        assertThat(near.get("path").getAsString(), is("photo-half.jpg"));
        assertThat(near.get("match").getAsString(), is("near"));
        double distance = near.get("distance").getAsDouble();
        assertThat(distance, greaterThan(0.0));
        assertThat(distance, lessThanOrEqualTo(Duplicates.DEFAULT_THRESHOLD));
        assertThat("the JSON's distance is the line's", run.out(),
                containsString(String.format(java.util.Locale.ROOT, "(distance %.1f)",
                        distance)));
    }

    @Test
    void thresholdZeroFindsTheSameBytesOnly() throws Exception {
        CliTest.Run run = CliTest.run("dedupe", folder().toString(), "-q", "--threshold", "0");
        assertThat(run.out(), is("""
                keep photo.jpg
                  same bytes (distance 0.0) copies/photo.jpg
                1 groups, 1 duplicates among 4 images
                """));
    }

    @Test
    void aThresholdOutOfRangeIsRefusedInGrayLevels() throws Exception {
        CliTest.Run run = CliTest.run("dedupe", folder().toString(), "-q", "--threshold", "40");
        assertThat(run.exit(), is(Exit.USAGE));
        assertThat(run.err(), containsString("--threshold must be 0 to 32 (gray levels), not "
                + "40.0"));
    }
}
