package dev.kodiak.spark;

import dev.kodiak.core.bundle.Precision;
import dev.kodiak.core.decode.ImageLimits;
import dev.kodiak.core.infer.InferenceEngine;
import java.io.Serializable;

/**
 * What to score and how. Serializable: it travels to the executors with the job.
 *
 * @param input any path Spark reads (local, {@code hdfs://}, {@code s3a://}, ...), a folder
 * @param output where the results go (replaced whole, only once the job succeeded)
 * @param bundle the model bundle, a directory or zip on the driver
 * @param shipBundle true to send the bundle with the job ({@code SparkContext.addFile}); false
 *     when {@code bundle} is a path every executor already reads (a shared file system)
 * @param topK labels per image
 * @param threshold below this top probability the row is marked unsure; 0 never
 * @param batchSize images per forward pass
 * @param glob a file-name filter such as {@code *.jpg}, or null for every file
 * @param format {@code parquet} or {@code csv}
 * @param maxPixels the decoder's pixel limit
 * @param engine the runtime that runs the model on the executors; auto prefers ONNX Runtime
 * @param precision which of the bundle's models scores: fp32, int8 ({@code model.int8.onnx}),
 *     or auto (int8 where the bundle's measured agreement allows and the executor's CPU has
 *     int8 dot products; each executor decides and logs why)
 */
public record ScoringOptions(String input, String output, String bundle, boolean shipBundle,
        int topK, float threshold, int batchSize, String glob, String format, long maxPixels,
        InferenceEngine engine, Precision precision) implements Serializable {

    /** Labels per row unless asked otherwise. */
    public static final int DEFAULT_TOP_K = 5;

    /** Images per forward pass unless asked otherwise. */
    public static final int DEFAULT_BATCH_SIZE = 32;

    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException naming the invalid value
     */
    public ScoringOptions {
        if (input == null || output == null || bundle == null || engine == null
                || precision == null) {
            throw new IllegalArgumentException("input, output, bundle, engine and precision are "
                    + "required");
        }
        if (topK < 1 || batchSize < 1 || maxPixels < 1 || !(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException("Invalid options: top-k " + topK + ", batch "
                    + batchSize + ", threshold " + threshold + ", max pixels " + maxPixels);
        }
        if (!format.equals("parquet") && !format.equals("csv")) {
            throw new IllegalArgumentException("Invalid format '" + format
                    + "'; use parquet or csv");
        }
    }

    /**
     * Options with the fp32 model.
     *
     * @param input see the record
     * @param output see the record
     * @param bundle see the record
     * @param shipBundle see the record
     * @param topK see the record
     * @param threshold see the record
     * @param batchSize see the record
     * @param glob see the record
     * @param format see the record
     * @param maxPixels see the record
     * @param engine see the record
     */
    public ScoringOptions(String input, String output, String bundle, boolean shipBundle,
            int topK, float threshold, int batchSize, String glob, String format, long maxPixels,
            InferenceEngine engine) {
        this(input, output, bundle, shipBundle, topK, threshold, batchSize, glob, format,
                maxPixels, engine, Precision.FP32);
    }

    /**
     * Options with the defaults: top 5, never unsure, batches of 32, every file, Parquet,
     * bundle shipped with the job, engine auto.
     *
     * @param input the folder to score
     * @param output where the results go
     * @param bundle the model bundle
     * @return the options
     */
    public static ScoringOptions of(String input, String output, String bundle) {
        return new ScoringOptions(input, output, bundle, true, DEFAULT_TOP_K, 0f,
                DEFAULT_BATCH_SIZE, null, "parquet", ImageLimits.DEFAULT_MAX_PIXELS,
                InferenceEngine.AUTO);
    }

    /**
     * The same options with another bundle path.
     *
     * @param path the bundle
     * @return a copy
     */
    public ScoringOptions withBundle(String path) {
        return new ScoringOptions(input, output, path, shipBundle, topK, threshold, batchSize,
                glob, format, maxPixels, engine, precision);
    }
}
