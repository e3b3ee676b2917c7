package dev.kodiak.spark;

import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.bundle.Precision;
import dev.kodiak.core.decode.ImageLimits;
import dev.kodiak.core.infer.InferenceEngine;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The batch scoring job.
 *
 * <pre>
 * spark-submit --class dev.kodiak.spark.ScoreImages classifier-spark-job.jar \
 *     s3a://shop/photos s3a://shop/scores --bundle models/fashion-mnist --top-k 3
 * java ... dev.kodiak.spark.ScoreImages photos/ scores/ --bundle models/fashion-mnist  # local[*]
 * </pre>
 */
@Command(name = "score-images", mixinStandardHelpOptions = true,
        description = {"Classify every image under INPUT with a Kodiak bundle and write one row "
                + "per file to OUTPUT (Parquet or CSV): path, top-k labels and probabilities, "
                + "unsure, the model's name/version/sha256, and an error for files that are "
                + "not images. OUTPUT is replaced only when the job succeeds.",
            "Without a Spark master (spark-submit sets one) it runs in local[*] mode."})
public final class ScoreImages implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "INPUT", description = "folder of images, any path "
            + "Spark reads")
    String input;

    @Parameters(index = "1", paramLabel = "OUTPUT", description = "where the rows go")
    String output;

    @Option(names = "--bundle", required = true, description = "the model bundle (directory "
            + "or .zip) on the driver")
    String bundle;

    @Option(names = "--no-ship", description = "do not send the bundle with the job: every "
            + "executor reads --bundle itself (a shared file system)")
    boolean noShip;

    @Option(names = "--top-k", defaultValue = "" + ScoringOptions.DEFAULT_TOP_K,
            description = "labels per image; default ${DEFAULT-VALUE}")
    int topK;

    @Option(names = "--threshold", defaultValue = "0", description = "mark rows unsure below "
            + "this top probability; default ${DEFAULT-VALUE}")
    float threshold;

    @Option(names = "--batch", defaultValue = "" + ScoringOptions.DEFAULT_BATCH_SIZE,
            description = "images per forward pass; default ${DEFAULT-VALUE}")
    int batch;

    @Option(names = "--glob", description = "only files whose name matches, e.g. *.jpg")
    String glob;

    @Option(names = "--format", defaultValue = "parquet", description = "parquet or csv; "
            + "default ${DEFAULT-VALUE}")
    String format;

    @Option(names = "--max-pixels", defaultValue = "" + ImageLimits.DEFAULT_MAX_PIXELS,
            description = "larger images become error rows; default ${DEFAULT-VALUE}")
    long maxPixels;

    @Option(names = "--engine", defaultValue = "auto", converter = EngineConverter.class,
            description = "auto (ONNX Runtime when the bundle has model.onnx), onnxruntime or "
                    + "pytorch; default ${DEFAULT-VALUE}")
    InferenceEngine engine;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "PRECISION",
            converter = PrecisionConverter.class,
            description = "fp32, int8 (the bundle's model.int8.onnx) or auto (int8 where it "
                    + "measured well and the executor's CPU has int8 dot products); default "
                    + "${DEFAULT-VALUE}")
    Precision precision;

    /** picocli's reading of {@code --precision}, with core's message for a wrong name. */
    static final class PrecisionConverter implements CommandLine.ITypeConverter<Precision> {
        @Override
        public Precision convert(String value) {
            return Precision.parse(value);
        }
    }

    /** picocli's reading of {@code --engine}, with core's message for a wrong name. */
    static final class EngineConverter implements CommandLine.ITypeConverter<InferenceEngine> {
        @Override
        public InferenceEngine convert(String value) {
            return InferenceEngine.parse(value);
        }
    }

    @Spec
    CommandSpec spec;

    /**
     * Runs the job and exits: 0 written, 1 the job failed, 2 bad arguments, 3 the bundle
     * cannot be used (the command line tools' codes).
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ScoreImages()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ScoringOptions options;
        try {
            options = new ScoringOptions(input, output, bundle, !noShip, topK, threshold,
                    batch, glob, format, maxPixels, engine, precision);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        // checked before Spark starts, so a bad bundle costs a cluster no application;
        // ImageScoring.score checks it again, as it is when the job starts
        try (Bundle opened = Bundle.open(Path.of(bundle))) {
            if (precision == Precision.INT8 && opened.manifest().int8().isEmpty()) {
                spec.commandLine().getErr().println("score-images: bundle '"
                        + opened.manifest().name() + "' has no int8 model; choose --precision "
                        + "fp32 or auto, or add model.int8.onnx with tools/export_bundle.py "
                        + "--upgrade BUNDLE --quantize int8 --calibration FOLDER");
                return 3;
            }
        } catch (BundleException e) {
            spec.commandLine().getErr().println("score-images: " + e.getMessage());
            return 3;
        }
        SparkConf conf = new SparkConf().setAppName("kodiak-score-images");
        if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        // an application that already runs Spark keeps its session; ours is stopped at the end
        boolean ours = SparkSession.getActiveSession().isEmpty()
                && SparkSession.getDefaultSession().isEmpty();
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        if (ours && conf.get("spark.master").startsWith("local")) {
            spark.sparkContext().setLogLevel("WARN");
        }
        try {
            long start = System.nanoTime();
            Dataset<Row> rows;
            try {
                rows = ImageScoring.score(spark, options).cache();
            } catch (BundleException e) {
                spec.commandLine().getErr().println("score-images: " + e.getMessage());
                return 3;
            }
            ImageScoring.write(spark, rows, options);
            long total = rows.count();
            long errors = rows.filter("error IS NOT NULL").count();
            System.out.printf("scored %d files (%d not images) in %.1f s into %s%n", total,
                    errors, (System.nanoTime() - start) / 1e9, output);
            rows.unpersist();
        } finally {
            if (ours) {
                spark.stop();
            }
        }
        return 0;
    }
}
