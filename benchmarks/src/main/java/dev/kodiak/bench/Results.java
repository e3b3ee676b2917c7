package dev.kodiak.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Benchmark ids, scores, the machine, and the markdown report: shared by Report and Guard. */
final class Results {
    private Results() {
    }

    /** JMH options common to every run: the JVM flags DJL needs on JDK 22+. */
    static ChainedOptionsBuilder options() {
        return new OptionsBuilder()
                .jvmArgsAppend("--enable-native-access=ALL-UNNAMED",
                        "-Dkodiak.root=" + Inputs.root(),
                        "-Dkodiak.bench.threads=" + Engine.THREADS)
                .shouldFailOnError(true);
    }

    /**
     * Smoke mode: no fork (every benchmark runs in this JVM, so libtorch loads once: under a
     * minute instead of nine), no warm-up, one short iteration, for CI. Preprocessing runs every
     * method and filter on the 640x480 photo only (the 12 MP path is exercised by
     * ClassifierBench and OverheadBench).
     */
    static ChainedOptionsBuilder smoke(ChainedOptionsBuilder options) {
        return options.forks(0).warmupIterations(0).measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(200)).param("size", "640x480");
    }

    /** {@code Class.method[k=v,...]}, parameters sorted by name. */
    static String id(RunResult result) {
        var params = result.getParams();
        String label = params.getBenchmark();
        String shortName = label.substring(label.lastIndexOf('.', label.lastIndexOf('.') - 1)
                + 1);
        Map<String, String> sorted = new TreeMap<>();
        for (String key : params.getParamsKeys()) {
            sorted.put(key, params.getParam(key));
        }
        if (sorted.isEmpty()) {
            return shortName;
        }
        List<String> parts = new ArrayList<>();
        sorted.forEach((k, v) -> parts.add(k + "=" + v));
        return shortName + "[" + String.join(",", parts) + "]";
    }

    /**
     * The median of each benchmark's measurement iterations: one GC pause or a noisy neighbour
     * in one iteration moves a mean far more than a median, and ratios of medians are what the
     * guard compares with its budgets.
     */
    static Map<String, Double> scores(Collection<RunResult> results) {
        Map<String, Double> scores = new LinkedHashMap<>();
        for (RunResult r : results) {
            List<Double> values = new ArrayList<>();
            Map<String, List<Double>> secondary = new TreeMap<>();
            r.getBenchmarkResults().forEach(b -> b.getIterationResults().forEach(i -> {
                values.add(i.getPrimaryResult().getScore());
                i.getSecondaryResults().forEach((label, result) -> secondary
                        .computeIfAbsent(label, k -> new ArrayList<>()).add(result.getScore()));
            }));
            scores.put(id(r), median(values, r.getPrimaryResult().getScore()));
            // paired counters (OverheadBench): the sums over all iterations
            secondary.forEach((label, sums) -> scores.put(id(r) + ":" + label,
                    sums.stream().mapToDouble(Double::doubleValue).sum()));
        }
        return scores;
    }

    private static double median(List<Double> values, double fallback) {
        values.sort(null);
        int n = values.size();
        return n == 0 ? fallback : n % 2 == 1 ? values.get(n / 2)
                : (values.get(n / 2 - 1) + values.get(n / 2)) / 2;
    }

    static Properties budgets() throws IOException {
        Properties budgets = new Properties();
        try (var in = Files.newInputStream(Inputs.root().resolve("benchmarks/budgets.properties"))) {
            budgets.load(in);
        }
        return budgets;
    }

    static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException ignored) {
            // not Linux: leave it unknown
        }
        return String.format(Locale.ROOT, "%s; %d cores visible to the JVM; %s %s (%s); %s %s; "
                + "forward passes on %d intra-op / 1 inter-op threads; %d MB max heap", cpu,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                System.getProperty("java.version"), System.getProperty("java.vendor"),
                System.getProperty("os.name"), System.getProperty("os.version"), Engine.THREADS,
                ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax() >> 20);
    }

    /** The markdown table of every figure and every ratio. */
    static String markdown(Collection<RunResult> results, String mode) throws IOException {
        Map<String, Double> scores = scores(results);
        Properties budgets = budgets();
        StringBuilder md = new StringBuilder();
        md.append("# Benchmark results\n\n")
                .append("Generated by `./kodiak bench` (").append(mode).append(") on ")
                .append(LocalDate.now()).append(". Raw JMH output: `jmh.json`.\n\n")
                .append("Machine: ").append(machine()).append(".\n\n")
                .append("Absolute times vary with the machine and its neighbours; the ratios, ")
                .append("measured in the same run, are what the guard (`./kodiak bench-guard`) ")
                .append("checks against `benchmarks/budgets.properties`.\n\n")
                .append("## Ratios\n\n| ratio | value | budget |\n|---|---:|---:|\n");
        for (Ratio ratio : Ratio.ALL) {
            String budget = budgets.getProperty(ratio.key(), "—");
            md.append("| ").append(ratio.title()).append(" | ")
                    .append(ratio.of(scores).map(v -> String.format(Locale.ROOT, "%.2f", v))
                            .orElse("not run"))
                    .append(" | ").append(budget.equals("—") ? budget : "≤ " + budget)
                    .append(" |\n");
        }
        md.append("\nRatios marked *paired* time Kodiak's work and a raw forward pass ")
                .append("alternately in the same invocations (OverheadBench), which cancels the ")
                .append("host's drift; the others divide medians of separate forks.\n")
                .append("\n## Figures\n\n| benchmark | median | mean | ± (99.9%) |\n")
                .append("|---|---:|---:|---:|\n");
        for (RunResult r : results) {
            var primary = r.getPrimaryResult();
            md.append("| `").append(id(r)).append("` | ")
                    .append(String.format(Locale.ROOT, "%.3f %s", scores.get(id(r)),
                            primary.getScoreUnit()))
                    .append(" | ")
                    .append(String.format(Locale.ROOT, "%.3f", primary.getScore()))
                    .append(" | ")
                    .append(Double.isNaN(primary.getScoreError()) ? "—"
                            : String.format(Locale.ROOT, "%.3f", primary.getScoreError()))
                    .append(" |\n");
        }
        return md.toString();
    }
}
