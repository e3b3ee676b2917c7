package dev.kodiak.cli.clean;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.cli.Main;
import dev.kodiak.cli.TestFolders;
import dev.kodiak.cli.Thumbnails;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.testing.Chromium;
import dev.kodiak.testing.Machine;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * How {@code kodiak clean} feels on a folder of 10,000 images: the time from starting the
 * command (a new JVM, as {@code ./kodiak clean} runs it) to its address, the page's first cards
 * and later pages in headless Chromium, thumbnails rendered and cached, and the time from a key
 * press to the card showing the result, measured in the page with {@code performance.now()}.
 * Writes {@code benchmarks/results/clean.md}. Run it with {@code ./kodiak bench-clean}. A
 * measurement program, not a test: it asserts nothing and times what a person waits for.
 */
public final class CleanBench {
    private static final Pattern SCORED = Pattern.compile("Scored (.+) in ([0-9.]+) s: "
            + "accuracy ([0-9.]+%) \\([^)]*\\); (\\d+) likely mislabelled, (\\d+) in (\\d+) "
            + "duplicate groups");

    private static final int OPENS = 3;

    private CleanBench() {
    }

    /** One start of the command: wall time to its address, what it printed, the process. */
    private record Open(double seconds, String scoredLine, URI url, Process process) {
    }

    /**
     * Runs the measurements.
     *
     * @param args optional image count (default 10000)
     * @throws Exception if a step fails
     */
    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        Path root = Fixtures.root();
        String loadBefore = load();
        Path work = Files.createTempDirectory("kodiak-clean-bench");
        try {
            Path data = TestFolders.fashion(work.resolve("data"), count);
            // three starts: the machine is shared, so the fastest is the best estimate of the
            // cost and the spread says how much neighbours added
            List<Open> opens = new ArrayList<>();
            for (int run = 0; run < OPENS; run++) {
                if (!opens.isEmpty()) {
                    stop(opens.get(opens.size() - 1).process());
                }
                opens.add(open(data));
            }
            double evaluate = evaluate(data, work);
            try {
                report(root, count, opens, evaluate, work, loadBefore);
            } finally {
                stop(opens.get(opens.size() - 1).process());
            }
        } finally {
            try (Stream<Path> walk = Files.walk(work)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Starts {@code kodiak clean} in a new JVM and waits for its address. */
    private static Open open(Path data) throws Exception {
        long start = System.nanoTime();
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin",
                "java").toString(), "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "clean",
                data.toString(), "--bundle", Fixtures.defaultBundle().toString(), "-q")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        String scored = null;
        for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith("Scored ")) {
                scored = line;
            }
            if (line.startsWith("Open ")) {
                double seconds = (System.nanoTime() - start) / 1e9;
                String url = line.substring(5, line.indexOf(' ', 5));
                return new Open(seconds, scored, URI.create(url), process);
            }
        }
        throw new IllegalStateException("kodiak clean ended without an address (exit "
                + process.waitFor() + ")");
    }

    /** Seconds {@code kodiak evaluate} takes on the folder, in a new JVM, for comparison. */
    private static double evaluate(Path data, Path work) throws Exception {
        long start = System.nanoTime();
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin",
                "java").toString(), "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "evaluate",
                data.toString(), "--bundle", Fixtures.defaultBundle().toString(), "-q", "--out",
                work.resolve("evaluation").toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        if (process.waitFor() != 0) {
            throw new IllegalStateException("kodiak evaluate failed: " + process.exitValue());
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private static void stop(Process process) throws InterruptedException {
        process.destroy();
        process.waitFor();
    }

    private static void report(Path root, int count, List<Open> opens, double evaluate,
            Path work, String loadBefore) throws Exception {
        Open serving = opens.get(opens.size() - 1);
        List<Double> walls = new ArrayList<>();
        List<Double> insides = new ArrayList<>();
        Matcher scored = null;
        for (Open o : opens) {
            scored = SCORED.matcher(o.scoredLine());
            if (!scored.find()) {
                throw new IllegalStateException("unexpected: " + o.scoredLine());
            }
            walls.add(o.seconds());
            insides.add(Double.parseDouble(scored.group(2)));
        }
        String token = serving.url().getQuery().substring("token=".length());
        String base = "http://127.0.0.1:" + serving.url().getPort();
        double[] thumbs = thumbnails(base, token);

        ChromeDriver browser = Chromium.start(work.resolve("chromium"), 1280, 1000);
        String chromium = String.valueOf(browser.getCapabilities().getBrowserVersion());
        double ready;
        List<Double> pages = new ArrayList<>();
        List<Double> acts = new ArrayList<>();
        List<Double> undos = new ArrayList<>();
        int allCards;
        try {
            browser.get(serving.url().toString());
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(120));
            wait.ignoring(StaleElementReferenceException.class);
            wait.until(d -> "true".equals(d.findElement(By.tagName("body"))
                    .getAttribute("data-ready")));
            ready = number(browser.executeScript("return window.kodiakReadyMs"));

            // the view of every image: page through it
            press(browser, "v", "v", "v");
            wait.until(d -> "true".equals(d.findElement(By.id("tab-all"))
                    .getAttribute("aria-selected"))
                    && d.findElements(By.cssSelector("#cards .card")).size() == 60
                    && d.findElement(By.id("pager")).getText().contains("Page 1 of"));
            allCards = Integer.parseInt(browser.findElement(By.id("tab-all")).getText()
                    .replaceAll("\\D", ""));
            browser.executeScript("window.kodiakPageTimes = []");
            for (int p = 2; p <= 11; p++) {
                String page = "Page " + p + " of";
                press(browser, Keys.PAGE_DOWN);
                wait.until(d -> d.findElement(By.id("pager")).getText().contains(page));
            }
            for (Object v : (List<?>) browser.executeScript("return window.kodiakPageTimes")) {
                pages.add(number(v));
            }

            // act on the likely mislabelled cards: fix the label, quarantine, keep; some undos
            press(browser, "V", "V", "V");
            wait.until(d -> "true".equals(d.findElement(By.id("tab-mislabeled"))
                    .getAttribute("aria-selected")) && d.findElements(By.cssSelector(
                    "#cards .card")).size() > 0);
            JsonObject state = json(base + "/api/state", token);
            List<String> kinds = new ArrayList<>();
            String lastKey = null;
            for (int i = 0; i < 60; i++) {
                if (i % 6 == 5) {
                    // u undoes the last action (focus had moved on) and goes back to its card
                    press(browser, "u");
                    kinds.add("undo");
                    awaitState(wait, lastKey, "");
                    continue;
                }
                WebElement card = browser.switchTo().activeElement();
                String key = card.getAttribute("data-key");
                String predicted = card.findElement(By.cssSelector(".pred")).getText();
                predicted = predicted.substring(0, predicted.lastIndexOf(' '));
                String labelKey = null;
                for (var l : state.getAsJsonArray("labels")) {
                    if (l.getAsJsonObject().get("name").getAsString().equals(predicted)) {
                        labelKey = l.getAsJsonObject().get("key").getAsString();
                    }
                }
                String[] choice = {labelKey, "x", " "};
                String[] expect = {"relabel", "quarantine", "keep"};
                press(browser, choice[i % 3]);
                kinds.add(expect[i % 3]);
                awaitState(wait, key, expect[i % 3]);
                lastKey = key;
            }
            wait.until(d -> number(((ChromeDriver) d).executeScript(
                    "return window.kodiakLatencies.length")) == kinds.size());
            List<Double> latencies = new ArrayList<>();
            for (Object v : (List<?>) browser.executeScript("return window.kodiakLatencies")) {
                latencies.add(number(v));
            }
            for (int i = 0; i < kinds.size() && i < latencies.size(); i++) {
                (kinds.get(i).equals("undo") ? undos : acts).add(latencies.get(i));
            }
        } finally {
            browser.quit();
        }

        String md = "# kodiak clean on 10,000 images\n\n"
                + "Generated by `./kodiak bench-clean` on " + LocalDate.now() + ". Machine: "
                + Machine.describe() + "; headless Chromium " + chromium + ". Load average (1 min) "
                + "before / after: " + loadBefore + " / " + load() + " (the machine is shared "
                + "with other builds; a load over 2 slows everything here).\n\n"
                + "The folder is the " + String.format(Locale.ROOT, "%,d", count)
                + " Fashion-MNIST test images as 28x28 PNGs, one folder per label, opened with "
                + "the default model. Opening is timed from starting the command in a new JVM "
                + "(as `./kodiak clean` does) to the line with its address: loading the model, "
                + "reading, hashing and scoring every file, grouping duplicates, starting the "
                + "server. Page times are measured inside the page with `performance.now()`: "
                + "from the key press to the cards drawn with the server's answer (an action "
                + "re-hashes the file and writes two fsynced journal lines around its move).\n\n"
                + "| measure | value |\n|---|---:|\n"
                + String.format(Locale.ROOT, "| **open**: command start → address printed "
                + "(fastest / median / slowest of %d) | %.1f / %.1f / %.1f s |%n", opens.size(),
                        min(walls), median(walls), max(walls))
                + String.format(Locale.ROOT, "| of which inside the command: model, scoring, "
                + "hashes, duplicates, server (fastest / median / slowest) | %.1f / %.1f / %.1f "
                + "s |%n", min(insides), median(insides), max(insides))
                + String.format(Locale.ROOT, "| for comparison: `kodiak evaluate` on the same "
                + "folder, start to exit (one run) | %.1f s |%n", evaluate)
                + String.format(Locale.ROOT, "| page load → first 60 cards drawn | %.0f ms |%n",
                        ready)
                + String.format(Locale.ROOT, "| next page of the %,d-card view (PageDown → 60 "
                + "cards drawn), median / max of %d | %.0f / %.0f ms |%n", allCards, pages.size(),
                        median(pages), max(pages))
                + String.format(Locale.ROOT, "| thumbnail, rendered / from the cache (median of "
                + "600, 6 at a time) | %.1f / %.1f ms |%n", thumbs[0], thumbs[1])
                + String.format(Locale.ROOT, "| **key press → card updated**: relabel, x, space "
                + "(median / p90 / max of %d) | %.0f / %.0f / %.0f ms |%n", acts.size(),
                        median(acts), percentile(acts, 0.9), max(acts))
                + String.format(Locale.ROOT, "| u → card restored (median / max of %d) | %.0f / "
                + "%.0f ms |%n", undos.size(), median(undos), max(undos))
                + "\nWhat the scan found: accuracy " + scored.group(3) + ", " + scored.group(4)
                + " likely mislabelled, " + scored.group(5) + " images in " + scored.group(6)
                + " duplicate groups (what duplicate finding finds and misses: "
                + "[dedupe.md](dedupe.md)).\n";
        Path out = Files.createDirectories(root.resolve("benchmarks/results"));
        Files.writeString(out.resolve("clean.md"), md);
        System.out.println(md);
    }

    private static void awaitState(WebDriverWait wait, String key, String state) {
        wait.until(d -> state.equals(d.findElement(By.cssSelector(".card[data-key='" + key
                + "']")).getAttribute("data-state")));
    }

    private static void press(ChromeDriver browser, CharSequence... keys) {
        new Actions(browser).sendKeys(keys).perform();
    }

    /** Thumbnails of 600 images never asked for before, then the same again (cached). */
    private static double[] thumbnails(String base, String token) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        JsonArray keys = json(base + "/api/view?name=all", token).getAsJsonArray("keys");
        List<String> shas = new ArrayList<>();
        for (int from = 3000; from < 3600; from += 100) {
            List<String> page = new ArrayList<>();
            for (int i = from; i < Math.min(keys.size(), from + 100); i++) {
                page.add(keys.get(i).getAsString());
            }
            for (var c : json(base + "/api/cards?keys=" + String.join(",", page), token)
                    .getAsJsonArray("cards")) {
                shas.add(c.getAsJsonObject().get("sha256").getAsString());
            }
        }
        double[] medians = new double[2];
        for (int round = 0; round < 2; round++) {
            ExecutorService pool = Executors.newFixedThreadPool(6);
            List<Future<Double>> times = new ArrayList<>();
            for (String sha : shas) {
                times.add(pool.submit(() -> {
                    long t = System.nanoTime();
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base
                            + "/thumb/" + sha + "?token=" + token)).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("thumbnail " + sha + ": " + r.statusCode());
                    }
                    return (System.nanoTime() - t) / 1e6;
                }));
            }
            List<Double> ms = new ArrayList<>();
            for (Future<Double> f : times) {
                ms.add(f.get());
            }
            pool.shutdown();
            medians[round] = median(ms);
        }
        return medians;
    }

    private static JsonObject json(String url, String token) throws IOException,
            InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(url)).header(CleanServer.TOKEN_HEADER, token).build(),
                HttpResponse.BodyHandlers.ofString());
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    private static double number(Object v) {
        return ((Number) v).doubleValue();
    }

    private static double median(List<Double> values) {
        return percentile(values, 0.5);
    }

    private static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
    }

    private static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    /** @return the 1-minute load average, or "?" where there is no /proc/loadavg */
    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }
}
