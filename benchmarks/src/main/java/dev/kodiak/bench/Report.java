package dev.kodiak.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;

/**
 * Runs the suites and writes {@code benchmarks/results/jmh.json} and
 * {@code benchmarks/results/README.md} (every figure and ratio, with the machine).
 *
 * <pre>
 *   ./kodiak bench                      every suite, JMH's annotated settings (~30 min)
 *   ./kodiak bench --smoke              every suite, one short iteration each (~1 min)
 *   ./kodiak bench --include Forward    only suites matching a regular expression
 * </pre>
 */
public final class Report {
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
        String include = "dev\\.kodiak\\.bench\\..*";
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
        Path out = Files.createDirectories(Inputs.root().resolve("benchmarks/results"));
        ChainedOptionsBuilder options = Results.options().include(include)
                .resultFormat(ResultFormatType.JSON).result(out.resolve("jmh.json").toString());
        if (smoke) {
            Results.smoke(options);
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        Files.writeString(out.resolve("README.md"), Results.markdown(results,
                smoke ? "smoke mode: one short iteration, indicative only" : "full run"));
        System.out.println("wrote " + out.resolve("README.md") + " and jmh.json");
    }
}
