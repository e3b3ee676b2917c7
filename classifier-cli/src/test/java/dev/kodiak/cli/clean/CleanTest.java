package dev.kodiak.cli.clean;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import com.google.gson.JsonObject;
import dev.kodiak.cli.CliTest;
import dev.kodiak.cli.Exit;
import dev.kodiak.cli.LabelledFolder;
import dev.kodiak.cli.Sha256;
import dev.kodiak.cli.TestFolders;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.testing.Chromium;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;
import picocli.CommandLine;

/**
 * {@code kodiak clean} end to end: the command on a folder with planted faults, its page in
 * headless Chromium driven by the keyboard alone, the files and journal it leaves, and
 * {@code --undo-all}.
 */
class CleanTest {
    @TempDir
    Path tmp;

    /** Parses a command line as {@code kodiak clean} and starts the page. */
    static CleanCommand.Running start(PrintStream out, String... args) throws Exception {
        CleanCommand command = new CleanCommand(out, new PrintStream(
                OutputStreamSink.INSTANCE, true, StandardCharsets.UTF_8));
        new CommandLine(command).parseArgs(args);
        return command.start();
    }

    /** Discards bytes (progress bars). */
    static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {
        }
    }

    /** Sends keys to whatever has focus, as a person typing. */
    private static void press(ChromeDriver browser, CharSequence... keys) {
        new Actions(browser).sendKeys(keys).perform();
    }

    /** Saves what the page looks like to target/screenshots/, for people to look at. */
    private static void screenshot(ChromeDriver browser, String name) throws Exception {
        Path dir = Files.createDirectories(Fixtures.root().resolve(
                "classifier-cli/target/screenshots"));
        Files.write(dir.resolve(name + ".png"), browser.getScreenshotAs(OutputType.BYTES));
    }

    /** @return the label a slugged folder name stands for */
    private static String labels(String folder) {
        return TestFolders.labels().get(LabelledFolder.labelOf(folder, TestFolders.labels()));
    }

    private static WebElement focused(ChromeDriver browser) {
        return browser.switchTo().activeElement();
    }

    private static String path(WebElement card) {
        return card.findElement(By.cssSelector(".file")).getText();
    }

    /** Waits for the page; a card redrawn while it is looked at is looked at again. */
    private static WebDriverWait waiting(ChromeDriver browser) {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    private static void awaitState(ChromeDriver browser, String key, String state) {
        waiting(browser).until(d -> state.equals(d.findElement(By.cssSelector(
                ".card[data-key='" + key + "']")).getAttribute("data-state")));
    }

    @Test
    void keyboardAloneRelabelsQuarantinesUndoesAndUndoAllRestoresEveryByte() throws Exception {
        TestFolders.Planted planted = TestFolders.planted(tmp.resolve("data"));
        Path data = planted.root();
        Map<String, String> original = CleanFolders.tree(data);
        TreeSet<String> originalFolders = CleanFolders.folders(data);
        List<String> labels = TestFolders.labels();
        String keys = CleanSession.LABEL_KEYS;

        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        List<String[]> expected = new ArrayList<>();
        List<Double> latencies;
        try (CleanCommand.Running running = start(new PrintStream(stdout, true,
                StandardCharsets.UTF_8), data.toString(), "--bundle",
                Fixtures.defaultBundle().toString(), "-q")) {
            String printed = stdout.toString(StandardCharsets.UTF_8);
            assertThat(printed, containsString("Scored " + data + " in "));
            assertThat(printed, containsString(": accuracy 87.5% (21 of 24 images); 3 likely "
                    + "mislabelled, 2 in 1 duplicate groups\n"));
            assertThat(printed, containsString("Open " + running.url()));
            assertThat(running.url().toString(), containsString("http://127.0.0.1:"));

            ChromeDriver browser = Chromium.start(tmp.resolve("chromium"), 1280, 1000);
            try {
                browser.get(running.url().toString());
                waiting(browser).until(d -> "true".equals(d.findElement(By.tagName("body"))
                        .getAttribute("data-ready")));
                assertThat(browser.findElement(By.id("tab-mislabeled")).getText(),
                        is("Likely mislabeled (3)"));
                List<WebElement> cards = browser.findElements(By.cssSelector("#cards .card"));
                assertThat(cards.size(), is(3));
                assertThat(new TreeSet<>(cards.stream().map(CleanTest::path).toList()),
                        is(planted.mislabels().keySet()));
                for (WebElement card : cards) {
                    // the model's guess and probability are on the card; it is sure
                    assertThat(card.findElement(By.cssSelector(".pred")).getText(),
                            containsString("%"));
                    assertThat("thumbnail shows", ((Number) browser.executeScript(
                            "return arguments[0].naturalWidth", card.findElement(
                                    By.tagName("img")))).intValue(), is(112));
                }
                screenshot(browser, "clean-mislabeled");

                // by keyboard alone: relabel each card, the second first wrongly, then undo
                for (int n = 0; n < 3; n++) {
                    WebElement card = focused(browser);
                    String key = card.getAttribute("data-key");
                    String file = path(card);
                    String right = planted.mislabels().get(file);
                    int rightLabel = LabelledFolder.labelOf(right, labels);
                    String name = file.substring(file.indexOf('/') + 1);
                    if (n == 1) {
                        int coat = labels.indexOf("Coat");
                        press(browser, String.valueOf(keys.charAt(coat)));
                        awaitState(browser, key, "relabel");
                        assertThat(Files.isDirectory(data.resolve("coat")), is(true));
                        expected.add(new String[] {"relabel", file, "coat/" + name});
                        press(browser, "u");
                        awaitState(browser, key, "");
                        assertThat("focus is back on the undone card",
                                focused(browser).getAttribute("data-key"), is(key));
                        expected.add(new String[] {"undo", "coat/" + name, file});
                        assertThat("the folder the wrong move made is gone again",
                                Files.exists(data.resolve("coat")), is(false));
                    }
                    press(browser, String.valueOf(keys.charAt(rightLabel)));
                    awaitState(browser, key, "relabel");
                    expected.add(new String[] {"relabel", file, right + "/" + name});
                    assertThat(browser.findElement(By.id("status")).getText(),
                            containsString("Moved " + file + " to " + right + "/" + name));
                }

                // the duplicates view: the largest is kept by default, the copy goes
                press(browser, "v");
                waiting(browser).until(d -> "true".equals(d.findElement(By.id(
                        "tab-duplicates")).getAttribute("aria-selected"))
                        && d.findElements(By.cssSelector("#cards .card")).size() == 2);
                assertThat(path(focused(browser)), is(planted.original()));
                assertThat(focused(browser).getText(), containsString("kept: the largest"));
                press(browser, "j");
                WebElement copy = focused(browser);
                assertThat(path(copy), is(planted.duplicate()));
                assertThat(copy.getText(), containsString("same bytes (distance 0.0) as "
                        + planted.original()));
                String copyKey = copy.getAttribute("data-key");
                press(browser, "x");
                awaitState(browser, copyKey, "quarantine");
                expected.add(new String[] {"quarantine", planted.duplicate(),
                        Journal.QUARANTINE + "/" + planted.duplicate()});

                // the exact tree
                Map<String, String> now = new TreeMap<>(original);
                for (Map.Entry<String, String> m : planted.mislabels().entrySet()) {
                    String sha = now.remove(m.getKey());
                    now.put(m.getValue() + m.getKey().substring(m.getKey().indexOf('/')), sha);
                }
                now.remove(planted.duplicate());
                assertThat(CleanFolders.tree(data), is(now));
                assertThat(CleanFolders.folders(data), is(originalFolders));
                assertThat(Sha256.of(data.resolve(Journal.QUARANTINE + "/"
                        + planted.duplicate())), is(original.get(planted.duplicate())));

                // the exact journal: intent then done for each action, in key order
                assertJournal(data, expected, original);

                // re-evaluate: accuracy before and after
                press(browser, "R");
                waiting(browser).until(d -> !d.findElements(By.id("accuracy-after")).isEmpty());
                assertThat(browser.findElement(By.id("accuracy-before")).getText(),
                        is("87.5%"));
                assertThat(browser.findElement(By.id("accuracy-after")).getText(),
                        is("100.0%"));
                assertThat(browser.findElement(By.id("accuracy")).getText(),
                        containsString("(23 of 23) after re-evaluating"));

                // done lists the four actions in effect, newest first
                press(browser, "V");
                waiting(browser).until(d -> "true".equals(d.findElement(By.id("tab-mislabeled"))
                        .getAttribute("aria-selected")));
                press(browser, "V");
                waiting(browser).until(d -> "true".equals(d.findElement(By.id("tab-done"))
                        .getAttribute("aria-selected"))
                        && d.findElements(By.cssSelector("#cards .card")).size() == 4);
                assertThat(browser.findElement(By.id("tab-done")).getText(), is("Done (4)"));
                assertThat(path(browser.findElements(By.cssSelector("#cards .card")).get(0)),
                        is(Journal.QUARANTINE + "/" + planted.duplicate()));
                screenshot(browser, "clean-done");

                List<?> measured = (List<?>) browser.executeScript(
                        "return window.kodiakLatencies");
                latencies = measured.stream().map(v -> ((Number) v).doubleValue()).toList();
                assertThat("one measure per action: 4 relabels, 1 undo, 1 quarantine",
                        latencies.size(), is(6));
                assertThat(latencies, everyItem(greaterThan(0.0)));
                assertThat(browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                        .map(LogEntry::getMessage).toList(), is(empty()));
            } finally {
                browser.quit();
            }
        }

        // --undo-all restores the original tree, byte for byte, and journals each undo
        CliTest.Run undo = CliTest.run("clean", data.toString(), "--undo-all");
        assertThat(undo.err(), undo.exit(), is(Exit.OK));
        assertThat(undo.out(), containsString("Undid 4 actions; the folder is as it was"));
        assertThat(CleanFolders.tree(data), is(original));
        assertThat(CleanFolders.folders(data), is(originalFolders));
        List<JsonObject> journal = CleanFolders.journal(data);
        List<Long> undone = journal.stream().filter(j -> j.get("phase").getAsString()
                .equals("done") && j.get("action").getAsString().equals("undo"))
                .map(j -> j.get("undoes").getAsLong()).toList();
        assertThat("the wrong relabel, then the four in effect, newest first", undone,
                is(List.of(2L, 6L, 5L, 4L, 1L)));
        CliTest.Run again = CliTest.run("clean", data.toString(), "--undo-all");
        assertThat(again.out(), containsString("Undid 0 actions"));
    }

    /** Every action is an intent then a done line with the same fields, ids 1, 2, ... */
    private static void assertJournal(Path data, List<String[]> expected,
            Map<String, String> shas) throws Exception {
        List<JsonObject> journal = CleanFolders.journal(data);
        assertThat(journal.size(), is(expected.size() * 2));
        for (int i = 0; i < expected.size(); i++) {
            String[] e = expected.get(i);
            for (int k = 0; k < 2; k++) {
                JsonObject line = journal.get(2 * i + k);
                String at = "journal line " + (2 * i + k + 1) + ": " + line;
                assertThat(at, line.get("id").getAsLong(), is(i + 1L));
                assertThat(at, line.get("phase").getAsString(), is(k == 0 ? "intent" : "done"));
                assertThat(at, line.get("action").getAsString(), is(e[0]));
                assertThat(at, line.get("from").getAsString(), is(e[1]));
                assertThat(at, line.get("to").getAsString(), is(e[2]));
                String scored = e[0].equals("undo") ? e[2] : e[1];
                assertThat(at, line.get("sha256").getAsString(), is(shas.get(scored)));
                assertThat(at, line.get("time").getAsString(), not(""));
            }
        }
        assertThat(journal.get(3).get("created").getAsString(), is("coat"));
        assertThat(journal.get(5).get("undoes").getAsLong(), is(2L));
    }

    /** clean and evaluate say what they scored in the same words, counting the same files. */
    @Test
    void cleanAndEvaluateCountAFolderAlike() throws Exception {
        Path data = TestFolders.planted(tmp.resolve("data")).root();
        Files.copy(Fixtures.image("html-renamed.jpg").path(), data.resolve("bag/page.jpg"));
        Files.copy(Fixtures.image("truncated.png").path(), data.resolve("sandal/cut.png"));
        String summary = "87.5% (21 of 24 images; 2 unreadable files not counted)";

        CliTest.Run evaluate = CliTest.run("evaluate", data.toString(), "--bundle",
                Fixtures.defaultBundle().toString(), "-q", "--out", tmp.resolve("report")
                        .toString());
        assertThat(evaluate.err(), evaluate.exit(), is(Exit.OK));
        assertThat(evaluate.out(), startsWith("Accuracy " + summary + "\n"));

        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        try (CleanCommand.Running running = start(new PrintStream(stdout, true,
                StandardCharsets.UTF_8), data.toString(), "--bundle",
                Fixtures.defaultBundle().toString(), "-q")) {
            assertThat(stdout.toString(StandardCharsets.UTF_8), matchesPattern("(?s)Scored "
                    + Pattern.quote(data.toString()) + " in [0-9.]+ s: accuracy "
                    + Pattern.quote(summary) + "; 3 likely mislabelled, 2 in 1 duplicate "
                    + "groups\n.*"));
        }
    }

    /** The token is a secret: once the page holds it, the address bar and history do not. */
    @Test
    void theTokenLeavesTheAddressBarOnceThePageHoldsIt() throws Exception {
        TestFolders.Planted planted = TestFolders.planted(tmp.resolve("data"));
        try (CleanCommand.Running running = start(new PrintStream(OutputStreamSink.INSTANCE),
                planted.root().toString(), "--bundle", Fixtures.defaultBundle().toString(),
                "-q")) {
            ChromeDriver browser = Chromium.start(tmp.resolve("chromium"), 1280, 1000);
            try {
                browser.get(running.url().toString());
                waiting(browser).until(d -> "true".equals(d.findElement(By.tagName("body"))
                        .getAttribute("data-ready")));
                String base = "http://127.0.0.1:" + running.server().port() + "/";
                assertThat(browser.getCurrentUrl(), is(base));
                // the page still holds it: thumbnails and actions work
                WebElement card = focused(browser);
                waiting(browser).until(d -> ((Number) browser.executeScript("return arguments[0]"
                        + ".naturalWidth", card.findElement(By.tagName("img")))).intValue()
                        == 112);
                String key = card.getAttribute("data-key");
                press(browser, " ");
                awaitState(browser, key, "keep");
                assertThat(browser.getCurrentUrl(), is(base));
            } finally {
                browser.quit();
            }
        }
    }

    @Test
    void aFileChangedOnDiskIsRefusedWithAMessageAndNotMoved() throws Exception {
        TestFolders.Planted planted = TestFolders.planted(tmp.resolve("data"));
        Path data = planted.root();
        try (CleanCommand.Running running = start(new PrintStream(OutputStreamSink.INSTANCE),
                data.toString(), "--bundle", Fixtures.defaultBundle().toString(), "-q")) {
            ChromeDriver browser = Chromium.start(tmp.resolve("chromium"), 1280, 1000);
            try {
                browser.get(running.url().toString());
                waiting(browser).until(d -> "true".equals(d.findElement(By.tagName("body"))
                        .getAttribute("data-ready")));
                WebElement card = focused(browser);
                String file = path(card);
                byte[] edited = TestFolders.png(0);
                Files.write(data.resolve(file), edited);
                press(browser, "x");
                waiting(browser).until(d -> d.findElement(By.id("status")).getText()
                        .contains("changed on disk"));
                assertThat(browser.findElement(By.id("status")).getText(), is(file
                        + " changed on disk since it was scored (its sha256 differs); nothing "
                        + "was changed. Re-evaluate to see it as it is now."));
                assertThat(browser.findElement(By.id("status")).getAttribute("class"),
                        containsString("refused"));
                assertThat(browser.findElement(By.cssSelector(".card[data-key='"
                        + card.getAttribute("data-key") + "'] .error")).getText(),
                        containsString("changed on disk"));
                assertThat("focus goes back to the refused card",
                        focused(browser).getAttribute("data-key"),
                        is(card.getAttribute("data-key")));
                assertThat(Files.readAllBytes(data.resolve(file)), is(edited));
                assertThat(Files.exists(data.resolve(Journal.QUARANTINE)), is(false));
                assertThat(CleanFolders.journal(data), is(empty()));
                screenshot(browser, "clean-refused");

                // the mouse works too: the menu relabels, the button undoes
                WebElement other = browser.findElements(By.cssSelector("#cards .card")).get(1);
                String otherKey = other.getAttribute("data-key");
                String otherFile = path(other);
                String right = planted.mislabels().get(otherFile);
                String label = labels(right);
                new org.openqa.selenium.support.ui.Select(other.findElement(By.tagName("select")))
                        .selectByVisibleText(CleanSession.LABEL_KEYS.charAt(
                                LabelledFolder.labelOf(right, TestFolders.labels())) + " · "
                                + label);
                awaitState(browser, otherKey, "relabel");
                String moved = right + otherFile.substring(otherFile.indexOf('/'));
                assertThat(Files.exists(data.resolve(moved)), is(true));
                browser.findElement(By.cssSelector(".card[data-key='" + otherKey + "'] button"))
                        .click();
                awaitState(browser, otherKey, "");
                assertThat(Files.exists(data.resolve(otherFile)), is(true));

                // Enter (or a double click) opens a larger view of the focused card
                browser.findElement(By.cssSelector(".card[data-key='" + otherKey + "'] img"))
                        .click();
                press(browser, Keys.ENTER);
                waiting(browser).until(d -> d.findElement(By.id("preview")).isDisplayed()
                        && ((Number) ((ChromeDriver) d).executeScript("return document"
                        + ".getElementById('preview-image').naturalWidth")).intValue() == 504);
                assertThat(browser.findElement(By.id("preview-title")).getText(),
                        is(otherFile));
                screenshot(browser, "clean-preview");
                press(browser, Keys.ESCAPE);
                waiting(browser).until(d -> !d.findElement(By.id("preview")).isDisplayed());
            } finally {
                browser.quit();
            }
        }
    }
}
