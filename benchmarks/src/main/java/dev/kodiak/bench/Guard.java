package dev.kodiak.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * A short JMH pass over the benchmarks behind every budgeted ratio; exits 1, naming the ratio,
 * the benchmarks and their figures, when a ratio exceeds its budget in
 * {@code benchmarks/budgets.properties}. Run it with {@code ./kodiak bench-guard}.
 */
public final class Guard {
    private Guard() {
    }

    /**
     * Runs the guard.
     *
     * @param args ignored
     * @throws Exception if a benchmark fails to run
     */
    public static void main(String[] args) throws Exception {
        Properties budgets = Results.budgets();
        List<Ratio> guarded = Ratio.ALL.stream()
                .filter(r -> budgets.containsKey(r.key())).toList();
        List<String> patterns = new ArrayList<>();
        for (Ratio r : guarded) {
            patterns.add(pattern(r.numerator()));
            patterns.add(pattern(r.denominator()));
        }
        patterns = patterns.stream().distinct().toList();
        var options = Results.options().forks(1).warmupIterations(8)
                .warmupTime(TimeValue.seconds(2)).measurementIterations(5)
                .measurementTime(TimeValue.seconds(3));
        for (String p : patterns) {
            options.include(p);
        }
        // only the parameter values the budgeted figures name (JMH runs every combination of
        // the values given, so this is a superset of them, not every value a suite declares)
        for (Map.Entry<String, Set<String>> param : params(guarded).entrySet()) {
            options.param(param.getKey(), param.getValue().toArray(String[]::new));
        }
        Map<String, Double> scores = Results.scores(new Runner(options.build()).run());
        List<String> over = new ArrayList<>();
        System.out.println();
        for (Ratio r : guarded) {
            double budget = Double.parseDouble(budgets.getProperty(r.key()));
            double value = r.of(scores).orElseThrow(() -> new IllegalStateException(
                    "the guard run has no figures for " + r.key()));
            String line = String.format(Locale.ROOT, "%-50s %6.2f (budget %.2f): %s = %.0f, "
                    + "%s = %.0f", r.key(), value, budget, r.numerator(),
                    scores.get(r.numerator()), r.denominator(), scores.get(r.denominator()));
            System.out.println((value > budget ? "OVER  " : "ok    ") + line);
            if (value > budget) {
                over.add(line);
            }
        }
        if (!over.isEmpty()) {
            System.err.println("\nbench-guard: " + over.size() + " ratio(s) over budget:\n  "
                    + String.join("\n  ", over));
            System.exit(1);
        }
        System.out.println("\nbench-guard: every ratio within its budget");
    }

    /** Every parameter value the figures behind the ratios name, by parameter. */
    static Map<String, Set<String>> params(List<Ratio> ratios) {
        Map<String, Set<String>> params = new TreeMap<>();
        for (Ratio r : ratios) {
            for (String id : List.of(r.numerator(), r.denominator())) {
                int open = id.indexOf('[');
                if (open < 0) {
                    continue;
                }
                for (String pair : id.substring(open + 1, id.indexOf(']')).split(",")) {
                    String[] kv = pair.split("=", 2);
                    params.computeIfAbsent(kv[0], k -> new TreeSet<>()).add(kv[1]);
                }
            }
        }
        return params;
    }

    /** JMH include regex for one benchmark method. */
    private static String pattern(String id) {
        String method = id.replaceAll("[\\[:].*", "");
        return "dev\\.kodiak\\.bench\\." + method.replace(".", "\\.") + "$";
    }
}
