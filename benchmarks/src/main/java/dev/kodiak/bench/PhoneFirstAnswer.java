package dev.kodiak.bench;

import dev.kodiak.core.testing.StaticFiles;
import dev.kodiak.testing.Chromium;
import dev.kodiak.testing.Machine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The widget's first answer on a phone, as issue 25 measures it: headless Chromium with a
 * 412×823 screen, 4× CPU slowdown and a 150 ms, 1.6 Mbit/s down, 750 kbit/s up link
 * (Lighthouse's mobile profile, by CDP {@code Emulation.setCPUThrottlingRate} and
 * {@code Network.emulateNetworkConditions}), against the built blog served as GitHub Pages
 * serves it (gzip for text and WebAssembly, not for {@code .onnx}; {@code max-age=600}). For
 * each site and model: the first answer with a cold cache (a fresh profile), and the first
 * answer after revisiting the page (files in the browser's cache), medians of {@link #RUNS};
 * and {@link #LATER} later answers on the cold page (decode, preprocess, one forward pass).
 *
 * <p>Sites: the one built here ({@code site/target/_site}) and, with {@code --baseline DIR},
 * an earlier build (before Kodiak's own forward pass: onnxruntime-web for every model). Models:
 * the live post's default model, and the same widget on the int8 QDQ export of that model
 * ({@code testdata/forward/fashion-mnist-qdq.onnx}, served as a bundle without a probe, since
 * its scores are not the float model's): what an int8 bundle would cost to download and run.
 *
 * <pre>
 * ./kodiak bench-widget --phone [--baseline path/to/older/_site]
 * </pre>
 * Writes {@code benchmarks/results/widget-phone.md}.
 */
public final class PhoneFirstAnswer {
    static final int RUNS = 3;
    static final int LATER = 4;
    static final String INT8_PAGE = "/bench/fashion-mnist-int8.html";

    /** One fresh profile: the cold first answer, its bytes, and the revisit's first answer. */
    record Run(double coldMillis, long coldTransferred, boolean ort, String engine,
            double cachedMillis, List<Double> laterMillis) {
    }

    private PhoneFirstAnswer() {
    }

    /**
     * Measures and writes the report.
     *
     * @param args {@code --phone}, {@code --baseline DIR}
     * @throws Exception if a site is missing or the browser fails
     */
    public static void main(String[] args) throws Exception {
        Path baseline = null;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--baseline")) {
                baseline = Path.of(args[i + 1]);
            }
        }
        Path root = Inputs.root();
        Path site = root.resolve("site/target/_site");
        Path work = Files.createDirectories(root.resolve("benchmarks/target/widget-phone"));
        Path pages = Files.createDirectories(work.resolve("pages"));
        Path photo = work.resolve("photo-640x480.jpg");
        Files.write(photo, Inputs.image("photo-640x480.jpg"));
        int8Bundle(root, pages.resolve("fashion-mnist-int8"));
        Files.writeString(pages.resolve("fashion-mnist-int8.html"), "<!DOCTYPE html>"
                + "<html lang=\"en\"><head><meta charset=\"utf-8\"><title>int8</title>"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<link rel=\"icon\" href=\"data:,\">"
                + "<link rel=\"stylesheet\" href=\"/assets/kodiak/kodiak-widget.css\"></head>"
                + "<body><div class=\"kodiak-classifier\" data-runtime=\"browser\""
                + " data-bundle=\"/bench/fashion-mnist-int8/\" data-top-k=\"3\"></div>"
                + "<script type=\"module\">import { main } from"
                + " \"/assets/kodiak/kodiak-widget.js\"; main([]);</script></body></html>\n");
        Map<String, Path> sites = new LinkedHashMap<>();
        if (baseline != null) {
            sites.put("before (onnxruntime-web)", baseline);
        }
        sites.put("now (Kodiak's own forward pass when it can)", site);
        Map<String, List<Run>> results = new LinkedHashMap<>();
        String chromium = "";
        for (Map.Entry<String, Path> s : sites.entrySet()) {
            try (StaticFiles host = StaticFiles.start(Map.of("/", s.getValue(), "/bench/",
                    pages), true, false)) {
                for (String page : List.of(WidgetCosts.LIVE_POST, INT8_PAGE)) {
                    String key = s.getKey() + " | " + (page.equals(INT8_PAGE)
                            ? "fashion-mnist, int8 QDQ (436.6 KB)"
                            : "fashion-mnist, float32 (1.69 MB)");
                    List<Run> runs = new ArrayList<>();
                    for (int i = 0; i < RUNS; i++) {
                        ChromeDriver browser = start(work.resolve("profile-" + i));
                        try {
                            chromium = "Chromium " + browser.getCapabilities()
                                    .getBrowserVersion();
                            runs.add(run(browser, host, page, photo));
                        } finally {
                            browser.quit();
                        }
                        Run r = runs.get(i);
                        System.err.printf(Locale.ROOT, "%s run %d: cold %.0f ms (%s), cached "
                                + "%.0f ms%n", key, i + 1, r.coldMillis(), r.engine(),
                                r.cachedMillis());
                    }
                    results.put(key, runs);
                }
            }
        }
        String report = report(results, chromium);
        Path out = root.resolve("benchmarks/results/widget-phone.md");
        Files.writeString(out, report);
        System.out.println(report);
        System.err.println("wrote " + out);
    }

    /** The default bundle with its model swapped for the int8 fixture, sha256 and all. */
    static void int8Bundle(Path root, Path dir) throws Exception {
        Files.createDirectories(dir);
        byte[] model = Files.readAllBytes(root.resolve("testdata/forward/fashion-mnist-qdq.onnx"));
        Files.write(dir.resolve("model.onnx"), model);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(model));
        var json = com.google.gson.JsonParser.parseString(Files.readString(root.resolve(
                "models/fashion-mnist/kodiak.json"))).getAsJsonObject();
        json.remove("probe"); // the probe holds the float model's scores
        json.getAsJsonObject("files").addProperty("model.onnx", sha);
        Files.writeString(dir.resolve("kodiak.json"), json.toString());
    }

    static ChromeDriver start(Path profile) throws IOException {
        WidgetCosts.deleteTree(profile);
        return Phone.start(profile, true);
    }

    static Run run(ChromeDriver browser, StaticFiles host, String page, Path photo) {
        browser.get(host.url(page));
        WebElement widget = WidgetCosts.awaitWidget(browser);
        WidgetCosts.awaitQuiet(browser);
        int before = WidgetCosts.resources(browser, 0).size();
        double cold = WidgetCosts.answer(browser, widget, photo, 0);
        List<WidgetCosts.Resource> bytes = WidgetCosts.resources(browser, before);
        long transferred = bytes.stream().mapToLong(WidgetCosts.Resource::transferred).sum();
        boolean ort = bytes.stream().anyMatch(r -> r.name().contains("/ort/"));
        Object engine = browser.executeScript("var d = window.benchAnswers[0].detail;"
                + " return d.engine || d.runtime;");
        List<Double> later = new ArrayList<>();
        for (int i = 1; i <= LATER; i++) {
            later.add(WidgetCosts.answer(browser, widget, photo, i));
        }
        browser.get(host.url(page));
        widget = WidgetCosts.awaitWidget(browser);
        WidgetCosts.awaitQuiet(browser);
        double cached = WidgetCosts.answer(browser, widget, photo, 0);
        return new Run(cold, transferred, ort, String.valueOf(engine), cached, later);
    }

    static String report(Map<String, List<Run>> results, String chromium) {
        StringBuilder md = new StringBuilder("# The widget's first answer on a phone\n\n");
        md.append("Generated by `./kodiak bench-widget --phone` on ").append(LocalDate.now())
                .append(" (`PhoneFirstAnswer`). Headless ").append(chromium)
                .append(" as Lighthouse's phone: a 412×823 screen, 4× CPU slowdown, ")
                .append("150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up (Chromium's own ")
                .append("throttling). The built blog is served from loopback as GitHub Pages ")
                .append("serves it (gzip for text and WebAssembly, not for `.onnx`; ")
                .append("`max-age=600`). Times are from choosing a 640×480 JPEG photo to the ")
                .append("answer on the page, by the page's clock; medians of ")
                .append(RUNS).append(" fresh profiles (fastest–slowest).\n\n")
                .append("Machine: ").append(Machine.describe()).append(".\n\n")
                .append("| site | model | first answer, cold | transferred for it | engine | ")
                .append("first answer, cached (revisit) | later answers, same page |\n")
                .append("|---|---|---:|---:|---|---:|---:|\n");
        for (Map.Entry<String, List<Run>> e : results.entrySet()) {
            List<Run> runs = e.getValue();
            Run first = runs.get(0);
            md.append("| ").append(e.getKey()).append(" | ")
                    .append(WidgetCosts.spread(runs.stream().map(Run::coldMillis).toList()))
                    .append(" | ").append(WidgetCosts.kb(first.coldTransferred()))
                    .append(" | ").append(first.engine())
                    .append(first.ort() ? " (fetched onnxruntime-web)" : "")
                    .append(" | ").append(WidgetCosts.spread(runs.stream()
                            .map(Run::cachedMillis).toList())).append(" | ")
                    .append(WidgetCosts.spread(runs.stream().flatMap(r -> r.laterMillis()
                            .stream()).toList())).append(" |\n");
        }
        md.append("\nThe int8 row serves the QDQ fixture as the bundle's `model.onnx` without ")
                .append("a probe (its scores are not the float model's), so it measures what ")
                .append("an int8 bundle costs to download and run, not its accuracy.\n");
        return md.toString();
    }
}
