package dev.kodiak.bench;

import dev.kodiak.core.testing.StaticFiles;
import dev.kodiak.testing.Chromium;
import dev.kodiak.testing.Machine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * What the blog's widget costs a reader, measured in headless Chromium against the built static
 * site ({@code site/target/_site}) on a static file server that compresses as GitHub Pages does
 * (gzip for HTML, CSS, JavaScript, JSON and WebAssembly; {@code model.onnx} and images as they
 * are; {@code max-age=600} and ETags). No Kodiak process runs: the model runs in the page.
 *
 * <ul>
 * <li>page weight of the live post before any interaction (and of an earlier build of the site,
 *     given with {@code --baseline DIR}, for comparison);</li>
 * <li>compressed bytes downloaded between the reader's first image and its answer;</li>
 * <li>time from choosing the first image to its answer with a cold cache (a fresh browser
 *     profile each run), on loopback and through a 10 Mbit/s, 40 ms link; after revisiting the
 *     page (the browser's cache warm); and for later images on the same page;</li>
 * <li>the same first answers on a phone ({@link Phone}: Lighthouse's mobile profile, a 412×823
 *     screen, 4× CPU, a 150 ms, 1.6 Mbit/s link), cold and on a revisit, with onnxruntime-web on
 *     the page's main thread and in its worker ({@code proxy}), and the longest main-thread
 *     task while the reader waits;</li>
 * <li>Lighthouse's four scores for every page of the site ({@link Lighthouse}), the audits that
 *     threw, and each page's layout shifts measured in the phone.</li>
 * </ul>
 * For the default model (the live post) and ResNet-18 (224 px, 45 MB of ONNX, random weights;
 * {@code tools/make_benchmark_models.py}). Not a JMH suite: a first load happens once per
 * profile, so each figure is the median of {@link #RUNS} fresh runs. Writes
 * {@code benchmarks/results/widget.md}, or {@code benchmarks/target/results/widget.md} with
 * {@code --smoke} (the default model, one run, the phone without its slow link, no Lighthouse:
 * checks that the measurement works). {@code --baseline DIR} measures an earlier build of the
 * site next to this one (page weight, the phone, Lighthouse); {@code --site DIR} measures a
 * copy of the built site instead of {@code site/target/_site}.
 *
 * <pre>
 * ./kodiak bench-widget [--smoke] [--baseline path/to/older/_site] [--site path/to/_site]
 * ./kodiak bench-widget --phone [--baseline path/to/older/_site]   (PhoneFirstAnswer)
 * </pre>
 */
public final class WidgetCosts {
    static final int RUNS = 3;
    static final int LATER = 8;
    static final String LIVE_POST = "/2026/11/20/what-is-this-garment.html";
    /** A slow link for the throttled run: 10 Mbit/s down, 5 up, 40 ms round trip. */
    static final Map<String, Object> SLOW_LINK = Map.of("offline", false, "latency", 40,
            "downloadThroughput", 1_250_000, "uploadThroughput", 625_000);

    /** Records the reader's choice and each answer, by the page's own clock. */
    static final String RECORDER = "if (!window.benchAnswers) { window.benchAnswers = [];"
            + " performance.setResourceTimingBufferSize(2000);"
            + " document.addEventListener('change', function() {"
            + "  window.benchChosen = performance.now(); }, true);"
            + " ['kodiak:answer', 'kodiak:error'].forEach(function(type) {"
            + "  document.addEventListener(type, function(e) {"
            + "   window.benchAnswers.push({type: type,"
            + "   millis: performance.now() - window.benchChosen, detail: e.detail}); }); }); }";

    /** One resource the page fetched. */
    record Resource(String name, long transferred, long encoded, long decoded) {
    }

    /** One fresh run: the first answer, later ones, and a revisit. */
    record Run(double firstMillis, List<Resource> firstBytes, List<Double> laterMillis,
            double revisitMillis, long revisitTransferred) {
    }

    /** Records the page's long main-thread tasks from its start. */
    static final String LONG_TASKS = "window.benchLongTasks = [];"
            + "try { new PerformanceObserver(function(list) { list.getEntries().forEach("
            + "function(e) { window.benchLongTasks.push({at: e.startTime, millis: e.duration});"
            + " }); }).observe({type: 'longtask', buffered: true}); } catch (e) { }";

    /**
     * One fresh phone: the first answer with a cold cache, then revisits with the cache warm,
     * taking turns: onnxruntime-web on the page's main thread, then in its worker
     * ({@code proxy}), {@link #PAIRS} times.
     *
     * @param firstMillis choosing the photo to the answer, cold cache
     * @param firstTransferred bytes on the wire for it
     * @param mainMillis the first answer after each revisit, runtime on the main thread
     * @param mainLongest the longest main-thread task from choosing to that answer
     * @param workerMillis the same with onnxruntime-web in a worker
     * @param workerLongest its longest main-thread tasks
     */
    record PhoneRun(double firstMillis, long firstTransferred, List<Double> mainMillis,
            List<Double> mainLongest, List<Double> workerMillis, List<Double> workerLongest) {
    }

    /** Revisits per phone and way of running onnxruntime-web (they take turns). */
    static final int PAIRS = 3;

    /** A site's Lighthouse audits and in-page layout shifts, by page. */
    record Audit(String site, List<Lighthouse.Result> results, Map<String, Double> shifts) {
    }

    private WidgetCosts() {
    }

    /**
     * Measures and writes the report.
     *
     * @param args {@code --smoke}, {@code --baseline DIR}
     * @throws Exception if the site is missing or the browser fails
     */
    public static void main(String[] given) throws Exception {
        // Maven passes ${widget.args} as one argument
        String[] args = String.join(" ", given).trim().split("\\s+");
        if (List.of(args).contains("--phone")) {
            PhoneFirstAnswer.main(args);
            return;
        }
        boolean smoke = List.of(args).contains("--smoke");
        Path baseline = null;
        Path root = Inputs.root();
        Path site = root.resolve("site/target/_site");
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--baseline")) {
                baseline = Path.of(args[i + 1]);
            } else if (args[i].equals("--site")) {
                site = Path.of(args[i + 1]);
            }
        }
        if (!Files.isRegularFile(site.resolve("assets/kodiak/kodiak-engine.js"))) {
            throw new IllegalStateException(site + " is missing or old; build it with "
                    + "./kodiak site");
        }
        Path work = Files.createDirectories(root.resolve("benchmarks/target/widget"));
        Path pages = Files.createDirectories(work.resolve("pages"));
        Path photo = work.resolve("photo-640x480.jpg");
        Files.write(photo, Inputs.image("photo-640x480.jpg"));
        Map<String, String> models = new LinkedHashMap<>();
        models.put("fashion-mnist", LIVE_POST);
        if (!smoke) {
            Path resnet = Inputs.bundle("resnet18");
            Path copy = Files.createDirectories(pages.resolve("resnet18"));
            for (String file : List.of("kodiak.json", "model.onnx")) {
                Files.copy(resnet.resolve(file), copy.resolve(file),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            Files.writeString(pages.resolve("resnet18.html"), "<!DOCTYPE html><html lang=\"en\">"
                    + "<head><meta charset=\"utf-8\"><title>ResNet-18</title>"
                    + "<link rel=\"icon\" href=\"data:,\">"
                    + "<link rel=\"stylesheet\" href=\"/assets/kodiak/kodiak-widget.css\"></head>"
                    + "<body><div class=\"kodiak-classifier\" data-runtime=\"browser\""
                    + " data-bundle=\"/bench/resnet18/\" data-top-k=\"5\"></div>"
                    + "<script type=\"module\">import { main } from"
                    + " \"/assets/kodiak/kodiak-widget.js\"; main([]);</script></body></html>\n");
            models.put("resnet18", "/bench/resnet18.html");
        }
        int runs = smoke ? 1 : RUNS;
        Map<String, List<Run>> results = new LinkedHashMap<>();
        Map<String, Double> slow = new LinkedHashMap<>();
        List<Resource> pageWeight = new ArrayList<>();
        List<Resource> baselineWeight = null;
        String chromium;
        try (StaticFiles host = StaticFiles.start(Map.of("/", site, "/bench/", pages), true,
                false)) {
            chromium = pageWeight(host, work.resolve("profile-weight"), pageWeight);
            for (Map.Entry<String, String> model : models.entrySet()) {
                List<Run> list = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    list.add(run(host, model.getValue(), photo, work.resolve("profile-"
                            + model.getKey() + "-" + i), smoke ? 1 : LATER, null));
                    System.err.printf(Locale.ROOT, "%s run %d: first answer %.0f ms%n",
                            model.getKey(), i + 1, list.get(i).firstMillis());
                }
                results.put(model.getKey(), list);
                if (!smoke) {
                    Run throttled = run(host, model.getValue(), photo, work.resolve("profile-"
                            + model.getKey() + "-slow"), 0, SLOW_LINK);
                    slow.put(model.getKey(), throttled.firstMillis());
                }
            }
        }
        Map<String, List<PhoneRun>> phone = new LinkedHashMap<>();
        List<Audit> audits = new ArrayList<>();
        Map<String, Path> sites = new LinkedHashMap<>();
        if (baseline != null) {
            sites.put("before (" + baselineName(baseline) + ")", baseline);
        }
        sites.put("now", site);
        Lighthouse lighthouse = smoke ? null : Lighthouse.install(root, work.resolve(
                "lighthouse"));
        Map<String, StaticFiles> hosts = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Path> s : sites.entrySet()) {
                hosts.put(s.getKey(), StaticFiles.start(Map.of("/", s.getValue()), true, false));
                phone.put(s.getKey(), new ArrayList<>());
            }
            if (baseline != null) {
                baselineWeight = new ArrayList<>();
                pageWeight(hosts.values().iterator().next(), work.resolve("profile-baseline"),
                        baselineWeight);
            }
            // the sites take turns, so that a busy spell of a shared machine hits both
            for (int i = 0; i < runs; i++) {
                for (Map.Entry<String, StaticFiles> h : hosts.entrySet()) {
                    PhoneRun run = phoneRun(h.getValue(), photo, work.resolve("profile-phone"),
                            !smoke);
                    phone.get(h.getKey()).add(run);
                    System.err.printf(Locale.ROOT, "phone, %s, run %d: %s%n", h.getKey(), i + 1,
                            run);
                }
            }
            if (lighthouse != null) {
                for (Map.Entry<String, StaticFiles> h : hosts.entrySet()) {
                    audits.add(audit(h.getKey(), h.getValue(), Lighthouse.pages(sites.get(
                            h.getKey())), lighthouse, work.resolve("profile-shifts")));
                }
            }
        } finally {
            hosts.values().forEach(StaticFiles::close);
        }
        String report = report(pageWeight, baselineWeight, baseline == null ? null
                : baselineName(baseline), results, slow, chromium, smoke)
                + phoneReport(phone, audits, runs);
        Path out = smoke ? Files.createDirectories(root.resolve("benchmarks/target/results"))
                : root.resolve("benchmarks/results");
        Files.writeString(out.resolve("widget.md"), report);
        System.out.println(report);
        System.err.println("wrote " + out.resolve("widget.md"));
    }

    /**
     * The live post in a fresh profile, until the network is quiet: nothing touched.
     *
     * @return the browser's name and version
     */
    static String pageWeight(StaticFiles host, Path profile, List<Resource> into)
            throws IOException {
        ChromeDriver browser = start(profile);
        try {
            browser.get(host.url(LIVE_POST));
            awaitQuiet(browser);
            into.addAll(resources(browser, 0));
            return "Chromium " + browser.getCapabilities().getBrowserVersion();
        } finally {
            browser.quit();
        }
    }

    static ChromeDriver start(Path profile) throws IOException {
        deleteTree(profile);
        return Chromium.start(profile, 1280, 1000);
    }

    /** One fresh profile: the first answer (cold cache), later answers, then a revisit. */
    static Run run(StaticFiles host, String page, Path photo, Path profile, int later,
            Map<String, Object> link) throws IOException {
        ChromeDriver browser = start(profile);
        try {
            if (link != null) {
                browser.executeCdpCommand("Network.enable", Map.of());
                browser.executeCdpCommand("Network.emulateNetworkConditions", link);
            }
            browser.get(host.url(page));
            WebElement widget = awaitWidget(browser);
            awaitQuiet(browser);
            int before = resources(browser, 0).size();
            double first = answer(browser, widget, photo, 0);
            List<Resource> bytes = resources(browser, before);
            List<Double> times = new ArrayList<>();
            for (int i = 1; i <= later; i++) {
                times.add(answer(browser, widget, photo, i));
            }
            if (later == 0) {
                return new Run(first, bytes, times, Double.NaN, -1);
            }
            browser.get(host.url(page));
            widget = awaitWidget(browser);
            awaitQuiet(browser);
            int mark = resources(browser, 0).size();
            double revisit = answer(browser, widget, photo, 0);
            long transferred = resources(browser, mark).stream()
                    .mapToLong(Resource::transferred).sum();
            return new Run(first, bytes, times, revisit, transferred);
        } finally {
            browser.quit();
        }
    }

    static WebElement awaitWidget(ChromeDriver browser) {
        browser.executeScript(RECORDER);
        return new WebDriverWait(browser, Duration.ofSeconds(60)).until(d -> {
            List<WebElement> built = d.findElements(By.cssSelector(
                    ".kodiak-classifier[data-kodiak-ready='ready']"));
            return built.isEmpty() ? null : built.get(0);
        });
    }

    /** Waits for the load event and then until no resource has started for a second. */
    static void awaitQuiet(ChromeDriver browser) {
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(d -> "complete".equals(
                browser.executeScript("return document.readyState")));
        new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(250)).until(d -> {
            Number idle = (Number) browser.executeScript("var e = performance"
                    + ".getEntriesByType('resource'); var last = e.length ? e[e.length - 1]"
                    + ".responseEnd : 0; return performance.now() - last;");
            return idle.doubleValue() > 1000;
        });
    }

    static String baselineName(Path site) {
        return site.getFileName() == null ? site.toString() : site.getFileName().toString();
    }

    /**
     * The live post on a phone ({@link Phone}: 412×823, 4× CPU; the 150 ms, 1.6 Mbit/s link
     * unless {@code slowLink} is false): the first answer with a cold cache, then two revisits
     * (the cache warm), onnxruntime-web on the main thread and then in its worker.
     */
    static PhoneRun phoneRun(StaticFiles host, Path photo, Path profile, boolean slowLink)
            throws IOException {
        deleteTree(profile);
        ChromeDriver browser = Phone.start(profile, slowLink);
        try {
            browser.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source",
                    LONG_TASKS));
            double[] first = phoneAnswer(browser, host, photo);
            PhoneRun run = new PhoneRun(first[0], (long) first[2], new ArrayList<>(),
                    new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            Object script = null;
            for (int i = 0; i < PAIRS * 2; i++) {
                boolean worker = i % 2 == 1;
                if (script != null) {
                    browser.executeCdpCommand("Page.removeScriptToEvaluateOnNewDocument",
                            Map.of("identifier", script));
                }
                script = browser.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument",
                        Map.of("source", "window.KODIAK_ORT_PROXY = " + worker + ";"))
                        .get("identifier");
                double[] revisit = phoneAnswer(browser, host, photo);
                (worker ? run.workerMillis() : run.mainMillis()).add(revisit[0]);
                (worker ? run.workerLongest() : run.mainLongest()).add(revisit[1]);
            }
            return run;
        } finally {
            browser.quit();
        }
    }

    /**
     * Opens the live post, chooses the photo: the time to the answer, the longest task, and the
     * bytes transferred from choosing to the answer.
     */
    static double[] phoneAnswer(ChromeDriver browser, StaticFiles host, Path photo) {
        browser.get(host.url(LIVE_POST));
        WebElement widget = awaitWidget(browser);
        awaitQuiet(browser);
        int before = resources(browser, 0).size();
        double millis = answer(browser, widget, photo, 0);
        long transferred = resources(browser, before).stream().mapToLong(Resource::transferred)
                .sum();
        Number longest = (Number) browser.executeScript("var most = 0;"
                + "window.benchLongTasks.forEach(function(t) { if (t.at + t.millis"
                + " >= window.benchChosen) { most = Math.max(most, t.millis); } });"
                + "return most;");
        return new double[] {millis, longest.doubleValue(), transferred};
    }

    /** Lighthouse on every page, and each page's layout shifts on a phone. */
    static Audit audit(String name, StaticFiles host, List<String> pages, Lighthouse lighthouse,
            Path profile) throws IOException {
        List<Lighthouse.Result> results = lighthouse.audit(pages.stream().map(host::url)
                .toList(), Lighthouse.CATEGORIES);
        Map<String, Double> shifts = new LinkedHashMap<>();
        deleteTree(profile);
        ChromeDriver browser = Phone.start(profile, true);
        try {
            for (String page : pages) {
                browser.get(host.url(page));
                Phone.awaitSettled(browser);
                shifts.put(page, Phone.shifts(browser).sum());
            }
        } finally {
            browser.quit();
        }
        return new Audit(name, results, shifts);
    }

    static List<Double> all(List<PhoneRun> runs,
            java.util.function.Function<PhoneRun, List<Double>> values) {
        return runs.stream().flatMap(r -> values.apply(r).stream()).toList();
    }

    static String phoneReport(Map<String, List<PhoneRun>> phone, List<Audit> audits,
            int runs) {
        StringBuilder md = new StringBuilder("\n## On a phone\n\n")
                .append("The live post in Chromium as Lighthouse's mobile profile: a 412×823 ")
                .append("screen at 1.75 device pixels, touch, 4× CPU slowdown, and a 150 ms, ")
                .append("1.6 Mbit/s link (Chromium's own throttling, so the times are real ")
                .append("waits). From choosing the photo to the answer; medians ")
                .append("(fastest–slowest) of ").append(runs).append(" fresh profiles, and of ")
                .append(PAIRS * runs).append(" revisits, ").append(PAIRS).append(" per ")
                .append("profile. A revisit is a new page load with the files in the browser's ")
                .append("cache (within `max-age`). ")
                .append("The longest task is the longest main-thread task from choosing ")
                .append("the photo to the answer: the page cannot respond during it.\n\n")
                .append("Revisits use the site's own way of running onnxruntime-web: the ")
                .append("earlier build's main thread, and now its worker (the table below has ")
                .append("both for this build).\n\n")
                .append("| site | first answer, cold | transferred for it | first answer, ")
                .append("cached revisit | longest task, revisit |\n|---|---:|---:|---:|---:|\n")
                .append("| issue 25 (\"now\", before this work) | 28.3 s | 5.48 MB | ")
                .append("1.2–2.1 s | ~1 s |\n");
        for (Map.Entry<String, List<PhoneRun>> e : phone.entrySet()) {
            List<PhoneRun> list = e.getValue();
            md.append("| ").append(e.getKey()).append(" | ")
                    .append(spread(list.stream().map(PhoneRun::firstMillis).toList()))
                    .append(" | ").append(kb((long) median(list.stream().map(r ->
                            (double) r.firstTransferred()).toList())))
                    .append(" | ").append(spread(all(list, e.getKey().startsWith("before")
                            ? PhoneRun::mainMillis : PhoneRun::workerMillis)))
                    .append(" | ").append(spread(all(list, e.getKey().startsWith("before")
                            ? PhoneRun::mainLongest : PhoneRun::workerLongest)))
                    .append(" |\n");
        }
        md.append("\n### onnxruntime-web in a worker (`proxy`)\n\n")
                .append("Revisits in the same profiles, taking turns: onnxruntime-web on the ")
                .append("page's main thread, then in its own worker (`env.wasm.proxy`, switched ")
                .append("by `window.KODIAK_ORT_PROXY`), where compiling, creating the session, ")
                .append("the probe and each run happen.\n\n")
                .append("| site | first answer, revisit: main thread | in a worker | longest task:")
                .append(" main thread | in a worker |\n|---|---:|---:|---:|---:|\n");
        for (Map.Entry<String, List<PhoneRun>> e : phone.entrySet()) {
            if (e.getKey().startsWith("before")) {
                continue; // an earlier build has no window.KODIAK_ORT_PROXY to switch
            }
            List<PhoneRun> list = e.getValue();
            md.append("| ").append(e.getKey()).append(" | ")
                    .append(spread(all(list, PhoneRun::mainMillis)))
                    .append(" | ").append(spread(all(list, PhoneRun::workerMillis)))
                    .append(" | ").append(spread(all(list, PhoneRun::mainLongest)))
                    .append(" | ").append(spread(all(list, PhoneRun::workerLongest)))
                    .append(" |\n");
        }
        if (audits.isEmpty()) {
            return md.toString();
        }
        md.append("\n## Lighthouse\n\n")
                .append("Lighthouse 12.2.3 (npm, pinned by `benchmarks/lighthouse/")
                .append("package-lock.json`), its default mobile profile (412×823, 4× CPU, ")
                .append("simulated 150 ms and 1.6 Mbit/s), each page a first visit, served as ")
                .append("above. CLS in the page: the sum of `layout-shift` entries seen by a ")
                .append("PerformanceObserver on the phone above, its slow link included. It ")
                .append("is the weaker measure: in this harness the widget's script mostly runs ")
                .append("before the page's first layout, so it can read 0 where Lighthouse's ")
                .append("trace has the widget pushing the text down.\n\n| site | page | performance | accessibility | best practices | ")
                .append("SEO | CLS | CLS in the page | LCP (simulated) |\n")
                .append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
                .append("| issue 25 (\"now\") | post 1 | 87 | 89–91 | | 91–92 | 0.25 | | |\n");
        Map<String, String> errored = new TreeMap<>();
        for (Audit a : audits) {
            for (Lighthouse.Result r : a.results()) {
                String page = r.url().replaceFirst("^https?://[^/]+", "");
                md.append("| ").append(a.site()).append(" | `").append(page).append("` | ");
                for (String c : Lighthouse.CATEGORIES) {
                    md.append(r.scores().getOrDefault(c, -1)).append(" | ");
                }
                md.append(String.format(Locale.ROOT, "%.3f", r.cls())).append(" | ")
                        .append(String.format(Locale.ROOT, "%.3f", a.shifts().getOrDefault(page,
                                Double.NaN))).append(" | ")
                        .append(String.format(Locale.ROOT, "%.1f s", r.lcpMillis() / 1000))
                        .append(" |\n");
                r.errored().forEach((k, v) -> errored.putIfAbsent(k, v));
            }
        }
        md.append("\nAudits that threw (Lighthouse 12.2.3 reads a trace field, `frame_sequence`, ")
                .append("that this Chromium no longer sends; the categories still score without ")
                .append("them):\n\n");
        errored.forEach((k, v) -> md.append("- `").append(k).append("`: ").append(v
                .replace('\n', ' ')).append('\n'));
        if (errored.isEmpty()) {
            md.append("- none\n");
        }
        return md.toString();
    }

    /** Chooses the photo and waits for answer number {@code index} of this page. */
    static double answer(ChromeDriver browser, WebElement widget, Path photo, int index) {
        browser.executeScript(RECORDER);
        widget.findElement(By.cssSelector("input.kodiak-file:not([capture])"))
                .sendKeys(photo.toAbsolutePath().toString());
        new WebDriverWait(browser, Duration.ofMinutes(10), Duration.ofMillis(50)).until(d ->
                ((Number) browser.executeScript("return window.benchAnswers.length;"))
                        .intValue() > index);
        String type = (String) browser.executeScript("return window.benchAnswers[arguments[0]]"
                + ".type;", index);
        if (!type.equals("kodiak:answer")) {
            throw new IllegalStateException("the widget failed: " + browser.executeScript(
                    "return JSON.stringify(window.benchAnswers[arguments[0]].detail);", index));
        }
        return ((Number) browser.executeScript("return window.benchAnswers[arguments[0]].millis;",
                index)).doubleValue();
    }

    /** The page's navigation and resources from position {@code from} on. */
    @SuppressWarnings("unchecked")
    static List<Resource> resources(ChromeDriver browser, int from) {
        List<Map<String, Object>> entries = (List<Map<String, Object>>) browser.executeScript(
                "return performance.getEntriesByType('navigation').concat(performance"
                + ".getEntriesByType('resource')).map(function(e) { return {name: e.name,"
                + " transferred: e.transferSize, encoded: e.encodedBodySize,"
                + " decoded: e.decodedBodySize}; });");
        List<Resource> list = new ArrayList<>();
        for (Map<String, Object> e : entries.subList(Math.min(from, entries.size()),
                entries.size())) {
            String name = (String) e.get("name");
            name = name.replaceFirst("^https?://[^/]+", "");
            list.add(new Resource(name, ((Number) e.get("transferred")).longValue(),
                    ((Number) e.get("encoded")).longValue(),
                    ((Number) e.get("decoded")).longValue()));
        }
        return list;
    }

    static String report(List<Resource> weight, List<Resource> baseline, String baselineName,
            Map<String, List<Run>> results, Map<String, Double> slow, String chromium,
            boolean smoke) {
        StringBuilder md = new StringBuilder("# What the widget costs a reader\n\n");
        md.append("Generated by `./kodiak bench-widget").append(smoke ? " --smoke" : "")
                .append("` on ").append(LocalDate.now()).append(" (`WidgetCosts`). ")
                .append("The built blog (`site/target/_site`) is served from loopback by a ")
                .append("static file server that compresses as GitHub Pages does (gzip for ")
                .append("HTML, CSS, JavaScript, JSON and WebAssembly; `model.onnx` and images ")
                .append("as they are; `max-age=600` and ETags); no Kodiak process runs. ")
                .append("Headless ").append(chromium).append(" (`--disable-gpu`), one fresh ")
                .append("profile per run; a 640×480 JPEG photo; medians of ")
                .append(results.values().iterator().next().size())
                .append(" runs. Times are from choosing the photo to the answer on the page, ")
                .append("by the page's own clock.\n\n")
                .append("Machine: ").append(Machine.describe()).append(".\n\n");

        md.append("## Page weight before any interaction\n\n")
                .append("The live post, loaded and left alone until its network is quiet. ")
                .append("Transferred: bytes on the wire, compressed, headers included.\n\n")
                .append("| site | requests | transferred | of which the widget (script, ")
                .append("stylesheet) |\n")
                .append("|---|---:|---:|---:|\n");
        if (baseline != null) {
            md.append(weightRow("before (" + baselineName + ")", baseline));
        }
        md.append(weightRow("now", weight)).append('\n');
        if (baseline != null) {
            md.append("Before: the site given with `--baseline`, an earlier build.\n\n");
        }

        md.append("## Downloaded before the first answer (cold cache)\n\n")
                .append("Everything the page fetched between choosing the first photo and its ")
                .append("answer, by file: transferred (compressed) and as decoded.\n\n")
                .append("| model | file | transferred | decoded |\n|---|---|---:|---:|\n");
        for (Map.Entry<String, List<Run>> e : results.entrySet()) {
            List<Resource> first = e.getValue().get(0).firstBytes();
            Map<String, long[]> byFile = new TreeMap<>();
            for (Resource r : first) {
                long[] sums = byFile.computeIfAbsent(shortName(r.name()), k -> new long[2]);
                sums[0] += r.transferred();
                sums[1] += r.decoded();
            }
            long transferred = 0;
            long decoded = 0;
            for (Map.Entry<String, long[]> f : byFile.entrySet()) {
                md.append("| ").append(e.getKey()).append(" | `").append(f.getKey())
                        .append("` | ").append(kb(f.getValue()[0])).append(" | ")
                        .append(kb(f.getValue()[1])).append(" |\n");
                transferred += f.getValue()[0];
                decoded += f.getValue()[1];
            }
            md.append("| **").append(e.getKey()).append("** | **all** | **").append(kb(
                    transferred)).append("** | **").append(kb(decoded)).append("** |\n");
        }
        md.append('\n');

        md.append("## Time to an answer\n\n")
                .append("| model | first answer, cold cache | first answer, cold, 10 Mbit/s "
                        + "40 ms link | first answer after revisiting (cache warm) | "
                        + "later answers, same page |\n|---|---:|---:|---:|---:|\n");
        for (Map.Entry<String, List<Run>> e : results.entrySet()) {
            List<Run> runs = e.getValue();
            List<Double> later = new ArrayList<>();
            runs.forEach(r -> later.addAll(r.laterMillis()));
            md.append("| ").append(e.getKey()).append(" | ")
                    .append(spread(runs.stream().map(Run::firstMillis).toList()))
                    .append(" | ").append(slow.containsKey(e.getKey())
                            ? ms(slow.get(e.getKey())) : "—")
                    .append(" | ").append(spread(runs.stream().map(Run::revisitMillis)
                            .toList())).append(", ").append(kb(runs.get(0)
                            .revisitTransferred())).append(" transferred | ")
                    .append(spread(later)).append(" over ").append(later.size())
                    .append(" answers |\n");
        }
        md.append("\nMedian (fastest–slowest). First answers include fetching and compiling ")
                .append("ONNX Runtime's WebAssembly, ")
                .append("creating the session, checking the model's sha256 and running its ")
                .append("probe (two images) once. A revisit finds the files in the browser's ")
                .append("cache (revalidated with 304s once `max-age` has passed) but compiles ")
                .append("and checks again. Later answers are decoding, preprocessing and one ")
                .append("forward pass on one thread.\n");
        return md.toString();
    }

    static String weightRow(String name, List<Resource> resources) {
        long all = resources.stream().mapToLong(Resource::transferred).sum();
        long widget = resources.stream().filter(r -> r.name().contains("/assets/kodiak/kodiak-"))
                .mapToLong(Resource::transferred).sum();
        return "| " + name + " | " + resources.size() + " | " + kb(all) + " | " + kb(widget)
                + " |\n";
    }

    static String shortName(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        return path.contains("/ort/") ? "ort/" + name : name;
    }



    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values.stream().filter(v -> !v.isNaN()).toList());
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** The median, and the range when there is more than one value. */
    static String spread(List<Double> values) {
        List<Double> known = values.stream().filter(v -> !v.isNaN()).sorted().toList();
        if (known.size() < 2) {
            return ms(median(values));
        }
        return ms(median(known)) + " (" + String.format(Locale.ROOT, "%.0f–%.0f",
                known.get(0), known.get(known.size() - 1)) + ")";
    }

    static String kb(long bytes) {
        return bytes < 0 ? "—" : bytes >= 1_000_000
                ? String.format(Locale.ROOT, "%.2f MB", bytes / 1e6)
                : String.format(Locale.ROOT, "%.1f KB", bytes / 1e3);
    }

    static String ms(double millis) {
        return Double.isNaN(millis) ? "—" : String.format(Locale.ROOT, "%.0f ms", millis);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Collections.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
