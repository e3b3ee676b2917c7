package dev.kodiak.bench;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Lighthouse (npm {@code lighthouse} 12.2.3, pinned by {@code benchmarks/lighthouse/
 * package-lock.json}, installed there by its {@code install.sh} and driven by its
 * {@code audit.mjs}) on Node, auditing pages with
 * Debian's Chromium, headless, in Lighthouse's default mobile profile: a 412×823 screen, 4× CPU
 * slowdown, and a simulated 150 ms, 1.6 Mbit/s link. Used by {@code ./kodiak bench-widget} (all
 * four categories) and by the blog's audit test (accessibility, best practices and SEO).
 *
 * <p>Lighthouse 12.2.3 with Chromium 156 throws in its trace-based audits (layout-shift
 * elements, LCP element, render-blocking resources, and the audits that need them) because
 * Chromium no longer sends a trace field it reads ({@code frame_sequence}); the categories still
 * score. {@link Result#errored()} lists those audits, so a report can say which.
 */
public final class Lighthouse {
    /** Lighthouse's four categories, in its order. */
    public static final List<String> CATEGORIES = List.of("performance", "accessibility",
            "best-practices", "seo");

    /**
     * One page's audit.
     *
     * @param url the page
     * @param scores each category's score, 0 to 100
     * @param cls the cumulative layout shift, NaN when performance was not audited
     * @param lcpMillis the (simulated) largest contentful paint, NaN likewise
     * @param failed the audits that count towards a category and scored below 1, with their
     *     title and the first few elements they name
     * @param errored the audits that threw, with Lighthouse's message
     */
    public record Result(String url, Map<String, Integer> scores, double cls, double lcpMillis,
            Map<String, String> failed, Map<String, String> errored) {
    }

    private final Path folder;
    private final Path work;

    private Lighthouse(Path folder, Path work) {
        this.folder = folder;
        this.work = work;
    }

    /**
     * Installs Lighthouse when needed ({@code npm ci} from the lockfile, once).
     *
     * @param root the repository's root
     * @param work a folder for reports and browser profiles
     * @return a runner
     * @throws IOException if npm fails or Node is missing
     */
    public static Lighthouse install(Path root, Path work) throws IOException {
        Path script = root.resolve("benchmarks/lighthouse/install.sh");
        String out = run(List.of("sh", script.toString()), Map.of(), 10);
        Path cli = Path.of(out.strip().lines().reduce((a, b) -> b).orElse(""));
        if (!Files.isRegularFile(cli)) {
            throw new IOException(script + " printed no Lighthouse script: " + out);
        }
        return new Lighthouse(script.getParent(), Files.createDirectories(work));
    }

    /**
     * Audits pages, one after another in one browser (benchmarks/lighthouse/audit.mjs), each as
     * a first visit.
     *
     * @param urls the pages' addresses
     * @param categories which of {@link #CATEGORIES}
     * @return each page's scores and what failed or threw, in the order of {@code urls}
     * @throws IOException if Lighthouse fails or writes no report
     */
    public List<Result> audit(List<String> urls, List<String> categories) throws IOException {
        return audit(urls, categories, List.of());
    }

    /**
     * Audits pages, with audits besides the categories' (such as
     * {@code cumulative-layout-shift}, which needs the performance trace but not the whole
     * category).
     *
     * @param urls the pages' addresses
     * @param categories which of {@link #CATEGORIES}
     * @param audits more audits to run
     * @return each page's scores and what failed or threw, in the order of {@code urls}
     * @throws IOException if Lighthouse fails or writes no report
     */
    public List<Result> audit(List<String> urls, List<String> categories, List<String> audits)
            throws IOException {
        Path reports = work.resolve("reports");
        WidgetCosts.deleteTree(reports);
        Files.createDirectories(reports);
        Path profile = work.resolve("profile");
        WidgetCosts.deleteTree(profile);
        List<String> command = new ArrayList<>(List.of("node", folder.resolve("audit.mjs")
                .toString(), reports.toString(), String.join(",", categories)
                + (audits.isEmpty() ? "" : "+" + String.join(",", audits))));
        command.addAll(urls);
        run(command, Map.of("CHROME_PATH", chromium(), "CHROME_FLAGS", "--headless=new"
                + " --no-sandbox --disable-gpu --disable-dev-shm-usage"
                + " --disable-background-networking --disable-component-update --disable-sync"
                + " --no-first-run --user-data-dir=" + profile), 5 + urls.size());
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < urls.size(); i++) {
            Path report = reports.resolve(i + ".report.json");
            if (!Files.isRegularFile(report)) {
                throw new IOException("Lighthouse wrote no report for " + urls.get(i));
            }
            results.add(read(urls.get(i), Files.readString(report)));
        }
        return results;
    }

    static Result read(String url, String json) {
        JsonObject lhr = JsonParser.parseString(json).getAsJsonObject();
        if (lhr.has("runtimeError") && lhr.getAsJsonObject("runtimeError").has("code")) {
            throw new IllegalStateException("Lighthouse could not audit " + url + ": "
                    + lhr.getAsJsonObject("runtimeError"));
        }
        JsonObject audits = lhr.getAsJsonObject("audits");
        Map<String, Integer> scores = new LinkedHashMap<>();
        Map<String, String> failed = new TreeMap<>();
        for (Map.Entry<String, JsonElement> c : lhr.getAsJsonObject("categories").entrySet()) {
            JsonObject category = c.getValue().getAsJsonObject();
            JsonElement score = category.get("score");
            scores.put(c.getKey(), score == null || score.isJsonNull() ? -1
                    : (int) Math.round(score.getAsDouble() * 100));
            for (JsonElement ref : category.getAsJsonArray("auditRefs")) {
                JsonObject r = ref.getAsJsonObject();
                JsonObject audit = audits.getAsJsonObject(r.get("id").getAsString());
                JsonElement s = audit.get("score");
                if (r.get("weight").getAsDouble() > 0 && s != null && !s.isJsonNull()
                        && s.getAsDouble() < 1) {
                    failed.put(r.get("id").getAsString(), audit.get("title").getAsString()
                            + nodes(audit));
                }
            }
        }
        Map<String, String> errored = new TreeMap<>();
        for (Map.Entry<String, JsonElement> a : audits.entrySet()) {
            JsonElement message = a.getValue().getAsJsonObject().get("errorMessage");
            if (message != null && !message.isJsonNull()) {
                errored.put(a.getKey(), message.getAsString());
            }
        }
        return new Result(url, scores, numeric(audits, "cumulative-layout-shift"),
                numeric(audits, "largest-contentful-paint"), failed, errored);
    }

    private static String nodes(JsonObject audit) {
        JsonObject details = audit.getAsJsonObject("details");
        if (details == null || !details.has("items")) {
            return "";
        }
        List<String> snippets = new ArrayList<>();
        for (JsonElement item : details.getAsJsonArray("items")) {
            JsonObject node = item.isJsonObject() ? item.getAsJsonObject()
                    .getAsJsonObject("node") : null;
            if (node != null && node.has("snippet") && snippets.size() < 4) {
                snippets.add(node.get("snippet").getAsString());
            }
        }
        return snippets.isEmpty() ? "" : ": " + String.join(" ", snippets);
    }

    private static double numeric(JsonObject audits, String id) {
        JsonObject audit = audits.getAsJsonObject(id);
        return audit == null || !audit.has("numericValue") ? Double.NaN
                : audit.get("numericValue").getAsDouble();
    }

    /** Debian's Chromium, the binary itself (its /usr/bin wrapper is a shell script). */
    static String chromium() {
        for (String path : List.of("/usr/lib/chromium/chromium", "/usr/bin/chromium")) {
            if (new File(path).canExecute()) {
                return path;
            }
        }
        throw new IllegalStateException("Debian's chromium is not installed "
                + "(tools/install-debian-packages.sh installs it)");
    }

    /** Every page of a built site: its .html files, as paths from the site's root. */
    public static List<String> pages(Path site) throws IOException {
        try (Stream<Path> files = Files.walk(site)) {
            return files.filter(p -> p.toString().endsWith(".html"))
                    .map(p -> "/" + site.relativize(p).toString().replace(File.separatorChar, '/'))
                    .filter(p -> !p.startsWith("/assets/"))
                    .map(p -> p.endsWith("/index.html") ? p.substring(0, p.length() - 10) : p)
                    .sorted().toList();
        }
    }

    private static String run(List<String> command, Map<String, String> env, int minutes)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        byte[] out;
        try {
            out = process.getInputStream().readAllBytes();
            if (!process.waitFor(minutes, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " took over " + minutes
                        + " minutes");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException(command.get(0) + " " + command.get(1) + " failed (exit "
                    + process.exitValue() + "): " + text);
        }
        return text;
    }
}
