package dev.kodiak.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.core.bundle.Accuracy;
import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.testing.Chromium;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/** The three commands on real folders, through {@link Main#run}, as a script would call them. */
public class CliTest {
    @TempDir
    Path tmp;

    /**
     * What a command did.
     *
     * @param exit its exit code
     * @param out what it printed on stdout
     * @param err what it printed on stderr
     */
    public record Run(int exit, String out, String err) {
    }

    /**
     * Runs a command as a script would, through {@link Main#run}.
     *
     * @param args the command line
     * @return what it did
     */
    public static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void evaluateGivesTheManifestsAccuracyAndAConsistentReport() throws Exception {
        Path folder = TestFolders.fashion(tmp.resolve("fashion-test"), 10_000);
        Path out = tmp.resolve("report");
        Run run = run("evaluate", folder.toString(), "--bundle",
                Fixtures.defaultBundle().toString(), "--out", out.toString(), "--quiet");
        assertThat(run.err(), run.exit(), is(Exit.OK));

        Accuracy expected;
        try (Bundle bundle = Bundle.open(Fixtures.defaultBundle())) {
            expected = bundle.manifest().provenance().accuracy();
        }
        assertThat(run.out(), containsString(String.format("Accuracy %.1f%% (%d of %d images)",
                expected.value() * 100, expected.correct(), expected.total())));
        JsonObject json = JsonParser.parseString(Files.readString(out.resolve("report.json")))
                .getAsJsonObject();
        assertThat(json.get("correct").getAsInt(), is(expected.correct()));
        assertThat(json.get("images").getAsInt(), is(expected.total()));
        JsonArray matrix = json.getAsJsonArray("confusion");
        int total = 0;
        int diagonal = 0;
        for (int a = 0; a < matrix.size(); a++) {
            int row = 0;
            for (int p = 0; p < matrix.size(); p++) {
                int v = matrix.get(a).getAsJsonArray().get(p).getAsInt();
                row += v;
                diagonal += a == p ? v : 0;
            }
            assertThat("row " + a + " holds its class's 1000 test images", row, is(1000));
            assertThat(json.getAsJsonArray("classes").get(a).getAsJsonObject().get("support")
                    .getAsInt(), is(1000));
            total += row;
        }
        assertThat(total, is(10_000));
        assertThat(diagonal, is(expected.correct()));
        assertThat(json.getAsJsonArray("top_losses").size(), is(24));

        ChromeDriver browser = Chromium.start(tmp.resolve("chromium"), 1280, 1000);
        try {
            browser.get(out.resolve("report.html").toUri().toString());
            List<WebElement> rows = browser.findElements(By.cssSelector("#confusion tbody tr"));
            assertThat(rows.size(), is(10));
            assertThat(rows.get(0).findElements(By.tagName("td")).size(), is(10));
            List<WebElement> losses = browser.findElements(By.cssSelector("#losses img"));
            assertThat(losses.size(), is(24));
            for (WebElement image : losses) {
                assertThat("thumbnail shows", ((Number) browser.executeScript(
                        "return arguments[0].naturalWidth", image)).intValue() > 0, is(true));
            }
            assertThat(browser.findElement(By.id("accuracy")).getText(),
                    containsString(expected.correct() + " of 10000"));
        } finally {
            browser.quit();
        }
    }

    /**
     * {@code --precision int8 --compare fp32}: both accuracies, and each image they disagree on
     * is one the two models really label differently.
     */
    @Test
    void evaluateComparesPrecisionsAndListsTheirDisagreements() throws Exception {
        Path folder = TestFolders.fashion(tmp.resolve("data"), 2000);
        Path out = tmp.resolve("report");
        Run run = run("evaluate", folder.toString(), "--bundle",
                Fixtures.defaultBundle().toString(), "--precision", "int8", "--compare", "fp32",
                "--out", out.toString(), "-q");
        assertThat(run.err(), run.exit(), is(Exit.OK));
        assertThat(run.out(), containsString("Precision int8 (onnxruntime)"));
        Run fp32 = run("evaluate", folder.toString(), "--bundle",
                Fixtures.defaultBundle().toString(), "--out", tmp.resolve("fp32").toString(), "-q");
        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("report.json")))
                .getAsJsonObject();
        assertThat(report.getAsJsonObject("model").get("precision").getAsString(), is("int8"));
        JsonObject compare = report.getAsJsonObject("compare");
        int fp32Correct = JsonParser.parseString(Files.readString(tmp.resolve("fp32")
                .resolve("report.json"))).getAsJsonObject().get("correct").getAsInt();
        assertThat(fp32.err(), compare.get("compared_correct").getAsInt(), is(fp32Correct));
        JsonArray disagreements = compare.getAsJsonArray("disagreements");
        assertThat(compare.get("agree").getAsInt() + disagreements.size(), is(2000));
        assertThat(run.out(), containsString("same top-1 on " + compare.get("agree").getAsInt()
                + " of 2000 images"));
        try (dev.kodiak.core.Classifier int8 = dev.kodiak.core.Classifier.open(
                dev.kodiak.core.ClassifierConfig.builder(Fixtures.defaultBundle()).precision(
                        dev.kodiak.core.bundle.Precision.INT8).build());
                dev.kodiak.core.Classifier full = dev.kodiak.core.Classifier.open(
                        Fixtures.defaultBundle())) {
            for (var d : disagreements) {
                byte[] image = Files.readAllBytes(Path.of(d.getAsJsonObject().get("path")
                        .getAsString()));
                assertThat(int8.classify(image).top().label(),
                        is(d.getAsJsonObject().get("int8").getAsString()));
                assertThat(full.classify(image).top().label(),
                        is(d.getAsJsonObject().get("fp32").getAsString()));
            }
        }
        String html = Files.readString(out.resolve("report.html"));
        String section = html.substring(html.indexOf("id=\"disagreements\""));
        section = section.substring(0, section.indexOf("</div>"));
        assertThat(section.split("<img ", -1).length - 1, is(disagreements.size()));
        Run same = run("evaluate", folder.toString(), "--bundle",
                Fixtures.defaultBundle().toString(), "--compare", "fp32", "--out",
                tmp.resolve("same").toString(), "-q");
        assertThat(same.exit(), is(Exit.USAGE));
        assertThat(same.err(), containsString("--compare needs the other precision than the one "
                + "evaluated (fp32): int8"));
    }

    /** Dress has no image in the folder and none is taken for one: its figures are undefined. */
    @Test
    void evaluateShowsADashForWhatAClassWithoutImagesCannotHave() throws Exception {
        Path folder = TestFolders.fashion(tmp.resolve("data"), 3);
        Path out = tmp.resolve("report");
        Run run = run("evaluate", folder.toString(), "--bundle",
                Fixtures.defaultBundle().toString(), "--out", out.toString(), "-q");
        assertThat(run.err(), run.exit(), is(Exit.OK));

        assertThat(run.out(), containsString("\nDress             0         —       —      —"
                + "\n"));
        assertThat(run.out(), containsString("\nTrouser           1    100.0%  100.0%  1.000\n"));
        JsonObject dress = JsonParser.parseString(Files.readString(out.resolve("report.json")))
                .getAsJsonObject().getAsJsonArray("classes").get(3).getAsJsonObject();
        assertThat(dress.get("label").getAsString(), is("Dress"));
        for (String figure : List.of("precision", "recall", "f1")) {
            assertThat(figure, dress.get(figure).isJsonNull(), is(true));
        }
        ChromeDriver browser = Chromium.start(tmp.resolve("chromium"), 1280, 1000);
        try {
            browser.get(out.resolve("report.html").toUri().toString());
            WebElement row = browser.findElements(By.cssSelector("#classes tbody tr")).get(3);
            assertThat(row.getText(), is("Dress 0 — — —"));
        } finally {
            browser.quit();
        }
    }

    /** A report is for people to share: it gets the permissions any new file of theirs gets. */
    @Test
    void evaluateWritesItsReportWithTheUsersUmask() throws Exception {
        Path folder = TestFolders.fashion(tmp.resolve("data"), 3);
        Path out = Files.createDirectories(tmp.resolve("report"));
        Set<PosixFilePermission> usual = Files.getPosixFilePermissions(Files.createFile(
                out.resolve("any-new-file")));
        Run run = run("evaluate", folder.toString(), "--bundle",
                Fixtures.defaultBundle().toString(), "--out", out.toString(), "-q");
        assertThat(run.err(), run.exit(), is(Exit.OK));

        for (String report : List.of("report.html", "report.json")) {
            assertThat(report, PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    out.resolve(report))), is(PosixFilePermissions.toString(usual)));
        }
        try (Stream<Path> files = Files.list(out)) {
            assertThat("no temporary file left", files.map(p -> p.getFileName().toString())
                    .sorted().toList(), is(List.of("any-new-file", "report.html",
                    "report.json")));
        }
    }

    @Test
    void evaluateRefusesUnknownMissingAndEmptyFolders() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("pets/cats"));
        Files.copy(Fixtures.image("png-small.png").path(), root.resolve("a.png"));
        Run unknown = run("evaluate", tmp.resolve("pets").toString(), "--bundle",
                Fixtures.defaultBundle().toString(), "-q", "--out", tmp.resolve("r").toString());
        assertThat(unknown.exit(), is(Exit.USAGE));
        assertThat(unknown.err(), containsString("Label folders the model does not know: [cats];"
                + " this model knows [T-shirt/top, Trouser,"));
        assertThat(unknown.err(), containsString("t-shirt-top for T-shirt/top"));

        Run missing = run("evaluate", tmp.resolve("nowhere").toString(), "-q");
        assertThat(missing.exit(), is(Exit.USAGE));
        assertThat(missing.err(), containsString("No folder at " + tmp.resolve("nowhere")));

        Files.createDirectories(tmp.resolve("empty/bag"));
        Run empty = run("evaluate", tmp.resolve("empty").toString(), "--bundle",
                Fixtures.defaultBundle().toString(), "-q");
        assertThat(empty.exit(), is(Exit.USAGE));
        assertThat(empty.err(), containsString("has label folders but no images in them"));

        Run bundle = run("evaluate", tmp.resolve("pets").toString(), "--bundle",
                tmp.resolve("no-bundle").toString(), "-q");
        assertThat(bundle.exit(), is(Exit.BUNDLE));
        assertThat(bundle.err(), containsString("No model bundle at"));

        Run usage = run("evaluate", "--batch", "abc", "x");
        assertThat(usage.exit(), is(Exit.USAGE));
    }

    @Test
    void aMissingBundleIsNamedWhereItWasLookedFor() throws Exception {
        Path folder = TestFolders.fashion(tmp.resolve("data"), 3);
        Path cwd = Path.of("").toAbsolutePath();

        Run relative = run("evaluate", folder.toString(), "--bundle", "no/bears", "-q");

        assertThat(relative.exit(), is(Exit.BUNDLE));
        assertThat(relative.err(), containsString("No model bundle at " + cwd.resolve("no/bears")
                + " (--bundle no/bears, from the working directory " + cwd + "); pass a folder "
                + "holding kodiak.json (or a .zip of one), or leave --bundle out for the "
                + "default model, " + cwd.resolve("models/fashion-mnist")));
        assertThat(relative.err(), not(containsString("for example models/fashion-mnist")));
    }

    /** A broken kodiak.json is told in words, not in the JSON parser's. */
    @Test
    void aBrokenManifestIsToldInWords() throws Exception {
        Path folder = TestFolders.fashion(tmp.resolve("data"), 3);
        Path bundle = Files.createDirectories(tmp.resolve("bundle"));
        try (Stream<Path> files = Files.list(Fixtures.defaultBundle())) {
            for (Path f : files.toList()) {
                Files.copy(f, bundle.resolve(f.getFileName()));
            }
        }
        Files.writeString(bundle.resolve("kodiak.json"), "{name: \"fashion-mnist\"}");

        Run run = run("evaluate", folder.toString(), "--bundle", bundle.toString(), "-q");

        assertThat(run.exit(), is(Exit.BUNDLE));
        assertThat(run.err(), is("kodiak evaluate: " + bundle.resolve("kodiak.json") + " is not "
                + "valid JSON: this is not strict JSON (names and strings need double quotes; "
                + "true, false and null are written out) at line 1, column 3; re-export the "
                + "bundle with tools/export_bundle.py\n"));
    }

    @Test
    void withoutBundleAndNoDefaultModelBothPlacesLookedInAreNamed() throws Exception {
        Path folder = TestFolders.fashion(tmp.resolve("data"), 3);
        Path cwd = Path.of("").toAbsolutePath();
        Path home = Files.createDirectories(tmp.resolve("kodiak-home"));
        String before = System.getProperty("kodiak.home");
        System.setProperty("kodiak.home", home.toString());
        try {
            Run missing = run("evaluate", folder.toString(), "-q");

            assertThat(missing.exit(), is(Exit.BUNDLE));
            assertThat(missing.err(), containsString("No --bundle given, and the default model "
                    + "is neither at " + home.resolve("models/fashion-mnist") + " (where kodiak "
                    + "is installed) nor at " + cwd.resolve("models/fashion-mnist") + " (the "
                    + "working directory); pass --bundle with a folder holding kodiak.json (or a "
                    + ".zip of one), or set KODIAK_BUNDLE"));

            // the installation's model is the default, wherever kodiak runs from
            Path model = home.resolve("models/fashion-mnist");
            Files.createDirectories(model);
            try (var files = Files.list(Fixtures.defaultBundle())) {
                for (Path f : files.toList()) {
                    Files.copy(f, model.resolve(f.getFileName()));
                }
            }
            Run found = run("evaluate", folder.toString(), "-q", "--out",
                    tmp.resolve("report").toString());
            assertThat(found.err(), found.exit(), is(Exit.OK));
        } finally {
            if (before == null) {
                System.clearProperty("kodiak.home");
            } else {
                System.setProperty("kodiak.home", before);
            }
        }
    }

    @Test
    void verifyListsExactlyTheBrokenFilesAndQuarantinesThem() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("mixed"));
        Set<String> broken = new TreeSet<>();
        for (Fixtures.Image image : Fixtures.images()) {
            Path sub = Files.createDirectories(folder.resolve(image.error() == null ? "good"
                    : "bad"));
            Files.copy(image.path(), sub.resolve(image.name()));
            if (image.error() != null) {
                broken.add("bad/" + image.name());
            }
        }
        Run run = run("verify", folder.toString(), "-q");
        assertThat(run.exit(), is(Exit.FOUND));
        Set<String> listed = new TreeSet<>();
        run.out().lines().filter(l -> l.contains(": ")).forEach(l -> listed.add(
                l.substring(0, l.indexOf(':'))));
        assertThat(listed, is(broken));
        assertThat(run.out(), containsString("bad/bomb-65000.png: TOO_LARGE: "));
        assertThat(run.out(), containsString(broken.size() + " of " + Fixtures.images().size()
                + " files are not readable images"));

        Path quarantine = folder.resolve("quarantine");
        Run moved = run("verify", folder.toString(), "-q", "--quarantine", quarantine.toString());
        assertThat(moved.exit(), is(Exit.FOUND));
        try (Stream<Path> left = Files.list(folder.resolve("bad"))) {
            assertThat(left.toList(), is(empty()));
        }
        assertThat(Files.exists(quarantine.resolve("bad/empty.jpg")), is(true));
        Run clean = run("verify", folder.toString(), "-q", "--quarantine", quarantine.toString());
        assertThat(clean.out(), clean.exit(), is(Exit.OK));
        assertThat(clean.out(), containsString("files are readable images"));

        // a second broken file of the same name never replaces the first in quarantine
        byte[] first = Files.readAllBytes(quarantine.resolve("bad/empty.jpg"));
        Files.writeString(folder.resolve("bad/empty.jpg"), "not an image either");
        Run again = run("verify", folder.toString(), "-q", "--quarantine", quarantine.toString());
        assertThat(again.out(), containsString("bad/empty.jpg -> "
                + quarantine.resolve("bad/empty.1.jpg")));
        assertThat(Files.readAllBytes(quarantine.resolve("bad/empty.jpg")), is(first));
        assertThat(Files.readString(quarantine.resolve("bad/empty.1.jpg")),
                is("not an image either"));
    }

    @Test
    void dedupeGroupsCopiesReEncodingsAndResizesAndNothingElse() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("photos"));
        List<String> originals = List.of("png-rgb8.png", "jpeg-baseline.jpg", "png-gray8.png",
                "jpeg-444.jpg", "jpeg-exif-1.jpg");
        List<Set<String>> expected = new ArrayList<>();
        for (String name : originals) {
            String base = name.substring(0, name.lastIndexOf('.'));
            Path original = folder.resolve(name);
            Files.copy(Fixtures.image(name).path(), original);
            BufferedImage image = ImageIO.read(original.toFile());
            Files.copy(original, Files.createDirectories(folder.resolve("copies"))
                    .resolve(base + "-copy" + name.substring(name.lastIndexOf('.'))));
            ImageIO.write(rgb(image, image.getWidth(), image.getHeight()), "jpeg",
                    folder.resolve(base + "-reencoded.jpg").toFile());
            ImageIO.write(rgb(image, image.getWidth() / 2, image.getHeight() / 2), "png",
                    folder.resolve(base + "-half.png").toFile());
            expected.add(new TreeSet<>(Set.of(name, "copies/" + base + "-copy"
                    + name.substring(name.lastIndexOf('.')), base + "-reencoded.jpg",
                    base + "-half.png")));
        }
        Files.copy(Fixtures.image("html-renamed.jpg").path(), folder.resolve("not-an-image.jpg"));

        Path report = tmp.resolve("dupes.json");
        Run run = run("dedupe", folder.toString(), "-q", "--json", report.toString());
        assertThat(run.exit(), is(Exit.FOUND));
        JsonArray groups = JsonParser.parseString(Files.readString(report)).getAsJsonObject()
                .getAsJsonArray("groups");
        List<Set<String>> found = new ArrayList<>();
        for (var g : groups) {
            Set<String> members = new TreeSet<>();
            members.add(g.getAsJsonObject().get("keep").getAsString());
            g.getAsJsonObject().getAsJsonArray("duplicates").forEach(d -> members.add(
                    d.getAsJsonObject().get("path").getAsString()));
            found.add(members);
        }
        assertThat(new TreeSet<>(found.stream().map(Object::toString).toList()),
                is(new TreeSet<>(expected.stream().map(Object::toString).toList())));
        assertThat(run.out(), containsString("same bytes"));
        assertThat(run.out(), containsString("1 files are not readable images"));

        Path quarantine = tmp.resolve("dupes");
        run("dedupe", folder.toString(), "-q", "--quarantine", quarantine.toString());
        Run after = run("dedupe", folder.toString(), "-q");
        assertThat(after.out(), after.exit(), is(Exit.OK));
        for (String name : originals) {
            assertThat("the original (largest) is kept: " + name,
                    Files.exists(folder.resolve(name)), is(true));
        }
    }

    private static BufferedImage rgb(BufferedImage source, int width, int height) {
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
                RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(source, 0, 0, width, height, null);
        g.dispose();
        return out;
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : List.of("evaluate", "verify", "dedupe", "clean")) {
            Run help = run(command, "--help");
            assertThat(help.exit(), is(Exit.OK));
            assertThat(help.out(), containsString("Usage: kodiak " + command));
            assertThat(help.out(), containsString("Exit codes:"));
        }
        assertThat(run("--help").out(), containsString("evaluate"));
    }
}
