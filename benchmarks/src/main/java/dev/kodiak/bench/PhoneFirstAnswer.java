package dev.kodiak.bench;

import dev.kodiak.core.testing.StaticFiles;
import dev.kodiak.testing.Chromium;
import dev.kodiak.testing.Machine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
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
 * an earlier build (before Kodiak's own forward pass: onnxruntime-web for every model). Pages:
 * the live post (the blog's {@code precision: auto}, so the default bundle's int8 model), and
 * a widget on the same bundle asking for its float32 model ({@code data-precision="fp32"}).
 *
 * <pre>
 * ./kodiak bench-widget --phone [--baseline path/to/older/_site]
 * </pre>
 * Writes {@code benchmarks/results/widget-phone.md}.
 */
public final class PhoneFirstAnswer {
    static final int RUNS = 3;
    static final int LATER = 4;
    static final String FP32_PAGE = "/bench/fashion-mnist-fp32.html";

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
        // the live post asks for the blog's precision (auto: the default bundle's int8 model);
        // this page asks the same bundle for its float32 model
        Files.writeString(pages.resolve("fashion-mnist-fp32.html"), "<!DOCTYPE html>"
                + "<html lang=\"en\"><head><meta charset=\"utf-8\"><title>fp32</title>"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<link rel=\"icon\" href=\"data:,\">"
                + "<link rel=\"stylesheet\" href=\"/assets/kodiak/kodiak-widget.css\"></head>"
                + "<body><div class=\"kodiak-classifier\" data-runtime=\"browser\""
                + " data-bundle=\"/assets/models/fashion-mnist/\" data-precision=\"fp32\""
                + " data-top-k=\"3\"></div>"
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
                for (String page : List.of(WidgetCosts.LIVE_POST, FP32_PAGE)) {
                    String key = s.getKey() + " | " + (page.equals(FP32_PAGE)
                            ? "fashion-mnist, `precision=\"fp32\"`: model.onnx (1.69 MB)"
                            : "the live post, the blog's `precision: auto`: model.int8.onnx "
                            + "(437 KB)");
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
        md.append("\nBoth rows are the default bundle as the blog ships it, checked by its ")
                .append("probes before the first answer: the live post takes `model.int8.onnx` ")
                .append("(the blog's `precision: auto`; 9,204 of 10,000 test images right ")
                .append("against fp32's 9,203, 99.6% the same top-1), the other page asks ")
                .append("for `model.onnx`.\n");
        return md.toString();
    }
}
