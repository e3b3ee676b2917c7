package dev.kodiak.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;

/**
 * Runs the suites and writes {@code jmh.json} and {@code README.md} (every figure and ratio,
 * with the machine): into the committed {@code benchmarks/results/} for a full run, into
 * {@code benchmarks/target/results/} for a partial or smoke run, so that those never replace
 * the full report.
 *
 * <pre>
 *   ./kodiak bench                      every suite, JMH's annotated settings (~25 min on 2 cores)
 *   ./kodiak bench --smoke              every suite, one short iteration each (~1 min)
 *   ./kodiak bench --include Forward    benchmarks whose name matches a regular expression
 * </pre>
 */
public final class Report {
    private static final String ALL = "dev\\.kodiak\\.bench\\..*";

    private Report() {
    }

    /**
     * Runs the benchmarks.
     *
     * @param args {@code --all}, {@code --smoke}, {@code --include REGEX}
     * @throws Exception if a benchmark fails
     */
    public static void main(String[] args) throws Exception {
        boolean smoke = false;
        String include = ALL;
        // Maven passes -Dbench.args="--include X" as one argument
        args = String.join(" ", args).trim().split("\\s+");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke" -> smoke = true;
                case "--include" -> include = args[++i];
                case "--all", "" -> { }
                default -> throw new IllegalArgumentException("Unknown argument " + args[i]
                        + "; use --all, --smoke or --include REGEX");
            }
        }
        boolean full = !smoke && include.equals(ALL);
        Path out = Files.createDirectories(Inputs.root().resolve(full ? "benchmarks/results"
                : "benchmarks/target/results"));
        ChainedOptionsBuilder options = Results.options().include(include)
                .resultFormat(ResultFormatType.JSON).result(out.resolve("jmh.json").toString());
        if (smoke) {
            Results.smoke(options);
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        Files.writeString(out.resolve("README.md"), Results.markdown(results,
                smoke ? "smoke mode: one short iteration, indicative only"
                : full ? "full run" : "partial run: " + include));
        System.out.println("wrote " + out.resolve("README.md") + " and jmh.json");
    }
}
