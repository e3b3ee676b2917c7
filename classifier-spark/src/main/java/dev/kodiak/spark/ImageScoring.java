package dev.kodiak.spark;

import dev.kodiak.core.Classification;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.PreparedImage;
import dev.kodiak.core.Stages;
import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.bundle.Precision;
import dev.kodiak.core.decode.DecodeException;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.topk.Prediction;
import dev.kodiak.core.topk.TopKOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkFiles;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.TaskCompletionListener;

/**
 * Scores a folder of images on Spark with classifier-core.
 *
 * <pre>{@code
 * SparkSession spark = SparkSession.builder().master("local[*]").getOrCreate();
 * ScoringOptions options = ScoringOptions.of("s3a://shop/photos", "s3a://shop/scores",
 *         "models/fashion-mnist");
 * Dataset<Row> rows = ImageScoring.score(spark, options);   // lazy
 * ImageScoring.write(spark, rows, options);                 // all or nothing
 * }</pre>
 *
 * <p>Files are read with Spark's {@code binaryFile} source; each partition classifies its files
 * with the executor's shared {@link Classifier}, in batched forward passes. Rows hold the path,
 * the top-k labels and probabilities, the unsure flag, the model's identity, the precision that
 * scored the row ({@code fp32} or {@code int8}: with {@code auto} each executor decides by its
 * own CPU), and an error for files that are not images: a bad file never fails the job.
 */
public final class ImageScoring {
    private ImageScoring() {
    }

    /**
     * The output columns for a top-k.
     *
     * @param topK labels per row
     * @return path, label_1, probability_1, ..., unsure, model_name, model_version,
     *     model_sha256, model_precision, error
     */
    public static StructType schema(int topK) {
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField("path", DataTypes.StringType, false));
        for (int i = 1; i <= topK; i++) {
            fields.add(DataTypes.createStructField("label_" + i, DataTypes.StringType, true));
            fields.add(DataTypes.createStructField("probability_" + i, DataTypes.FloatType,
                    true));
        }
        fields.add(DataTypes.createStructField("unsure", DataTypes.BooleanType, true));
        fields.add(DataTypes.createStructField("model_name", DataTypes.StringType, false));
        fields.add(DataTypes.createStructField("model_version", DataTypes.StringType, false));
        fields.add(DataTypes.createStructField("model_sha256", DataTypes.StringType, false));
        fields.add(DataTypes.createStructField("model_precision", DataTypes.StringType, true));
        fields.add(DataTypes.createStructField("error", DataTypes.StringType, true));
        return DataTypes.createStructType(fields);
    }

    /**
     * Builds the scoring plan (lazy): read, classify per partition.
     *
     * @param spark the session
     * @param options what to score and how
     * @return one row per file
     * @throws BundleException if the bundle cannot be used (checked on the driver first)
     */
    public static Dataset<Row> score(SparkSession spark, ScoringOptions options)
            throws BundleException {
        Manifest manifest;
        Path bundle = Path.of(options.bundle()).toAbsolutePath().normalize();
        try (Bundle checked = Bundle.open(bundle)) {
            manifest = checked.manifest();
        }
        Shipped shipped = null;
        if (options.shipBundle()) {
            shipped = ship(spark, bundle);
        } else {
            // executors read the path the driver checked, not one relative to their own folder
            options = options.withBundle(bundle.toString());
        }
        DataFrameReader reader = spark.read().format("binaryFile")
                .option("recursiveFileLookup", "true");
        if (options.glob() != null) {
            reader = reader.option("pathGlobFilter", options.glob());
        }
        Dataset<Row> files = reader.load(options.input()).select("path", "content");
        Identity identity = new Identity(manifest.name(), manifest.version(),
                manifest.modelSha256());
        Scorer scorer = new Scorer(options, shipped, identity);
        Dataset<Row> scored = files.mapPartitions(scorer, Encoders.row(schema(options.topK())));
        // Spark's file scan skips zero-byte files; they still get their error row
        List<Row> empty = new ArrayList<>();
        List<String> emptyFiles = emptyFiles(spark, options);
        if (!emptyFiles.isEmpty()) {
            String error = emptyFileError();
            for (String path : emptyFiles) {
                empty.add(scorer.row(path, options.precision() == Precision.AUTO ? null
                        : options.precision().id(), null, error));
            }
        }
        return empty.isEmpty() ? scored
                : scored.union(spark.createDataFrame(empty, schema(options.topK())));
    }

    /**
     * Where executors find a shipped bundle.
     *
     * @param name its name among the session's files
     * @param session the session's id, the folder in which executors keep the files of a
     *     session with isolated artifacts; null if unknown
     */
    record Shipped(String name, String session) implements java.io.Serializable {
        /** @return the bundle on this executor */
        Path locate() {
            Path file = Path.of(SparkFiles.get(name));
            if (!Files.exists(file) && session != null) {
                // SparkFiles.get does not know the task's session on an executor
                Path isolated = Path.of(SparkFiles.getRootDirectory(), session, name);
                if (Files.exists(isolated)) {
                    return isolated;
                }
            }
            return file;
        }
    }

    /**
     * Sends the bundle with the job as one file named by its content ({@link BundleZip}). The
     * file is added as the session's own jobs run: with artifact isolation (Spark 4's default)
     * a session's jobs ship only the files added in its name, and {@code SparkContext.addFile}
     * called outside them adds a file no isolated session's job ships.
     */
    private static Shipped ship(SparkSession spark, Path bundle) throws BundleException {
        // made in the driver's folder for shipped files, deleted when the session stops
        Path file = BundleZip.of(bundle, Path.of(SparkFiles.getRootDirectory(),
                "kodiak-bundles"));
        if (spark instanceof org.apache.spark.sql.classic.SparkSession classic) {
            scala.Function0<Object> add = () -> {
                spark.sparkContext().addFile(file.toString());
                return null;
            };
            classic.artifactManager().withResources(add);
            return new Shipped(file.getFileName().toString(), classic.sessionUUID());
        }
        spark.sparkContext().addFile(file.toString());
        return new Shipped(file.getFileName().toString(), null);
    }

    /** The error column of a failed file: the decoder's reason and message. */
    static String error(DecodeException e) {
        return e.reason() + ": " + e.getMessage();
    }

    /** What the decoder says of zero bytes, so empty files read as they would anywhere else. */
    private static String emptyFileError() {
        try {
            new ImageDecoder().decode(new byte[0], ColorMode.RGB);
        } catch (DecodeException e) {
            return error(e);
        }
        throw new IllegalStateException("the decoder accepted zero bytes");
    }

    /** The zero-byte files under the input (listed on the driver, with the glob applied). */
    private static List<String> emptyFiles(SparkSession spark, ScoringOptions options) {
        List<String> empty = new ArrayList<>();
        try {
            org.apache.hadoop.fs.Path input = new org.apache.hadoop.fs.Path(options.input());
            FileSystem fs = input.getFileSystem(spark.sparkContext().hadoopConfiguration());
            org.apache.hadoop.fs.GlobFilter glob = options.glob() == null ? null
                    : new org.apache.hadoop.fs.GlobFilter(options.glob());
            // listStatus, not listFiles: on local disks Hadoop's listFiles forks a shell per
            // file to read permissions (minutes for thousands of files). globStatus: INPUT
            // may be a pattern, as Spark's load() allows
            java.util.ArrayDeque<org.apache.hadoop.fs.FileStatus> todo =
                    new java.util.ArrayDeque<>();
            var roots = fs.globStatus(input);
            if (roots != null) {
                todo.addAll(java.util.Arrays.asList(roots));
            }
            while (!todo.isEmpty()) {
                var entry = todo.poll();
                var children = entry.isDirectory() ? fs.listStatus(entry.getPath())
                        : new org.apache.hadoop.fs.FileStatus[] {entry};
                for (var status : children) {
                    String name = status.getPath().getName();
                    if (name.startsWith(".") || name.startsWith("_")) {
                        continue; // hidden, as Spark's file sources treat them
                    }
                    if (status.isDirectory()) {
                        todo.add(status);
                    } else if (status.getLen() == 0
                            && (glob == null || glob.accept(status.getPath()))) {
                        empty.add(status.getPath().toString());
                    }
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot list " + options.input(), e);
        }
        return empty;
    }

    /**
     * Writes the rows to {@code options.output()}, all or nothing: into a staging folder next to
     * it first, which replaces the old output only once every task succeeded. If the job fails,
     * the old output is untouched and the staging folder is removed.
     *
     * @param spark the session
     * @param rows the rows from {@link #score}
     * @param options where and in which format
     * @throws IOException if the output cannot be swapped in
     */
    public static void write(SparkSession spark, Dataset<Row> rows, ScoringOptions options)
            throws IOException {
        org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(options.output());
        FileSystem fs = out.getFileSystem(spark.sparkContext().hadoopConfiguration());
        out = fs.makeQualified(out);
        String id = UUID.randomUUID().toString().substring(0, 8);
        org.apache.hadoop.fs.Path staging = new org.apache.hadoop.fs.Path(out.getParent(),
                "." + out.getName() + ".kodiak-staging-" + id);
        boolean written = false;
        try {
            rows.write().mode(SaveMode.ErrorIfExists).format(options.format())
                    .option("header", "true").save(staging.toString());
            written = true;
        } finally {
            if (!written) { // Spark's SparkException is checked in Java's eyes but undeclared
                fs.delete(staging, true);
            }
        }
        org.apache.hadoop.fs.Path old = new org.apache.hadoop.fs.Path(out.getParent(),
                "." + out.getName() + ".kodiak-old-" + id);
        boolean hadOld = fs.exists(out);
        if (hadOld && !fs.rename(out, old)) {
            fs.delete(staging, true);
            throw new IOException("Cannot move the previous output " + out + " aside");
        }
        if (!fs.rename(staging, out)) {
            if (hadOld) {
                fs.rename(old, out);
            }
            fs.delete(staging, true);
            throw new IOException("Cannot move the new output into " + out);
        }
        if (hadOld) {
            fs.delete(old, true);
        }
    }

    /** The model's identity, written on every row. */
    record Identity(String name, String version, String sha256) implements java.io.Serializable {
    }

    /** Classifies one partition in batches; runs on the executors. */
    static final class Scorer implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final ScoringOptions options;
        private final Shipped shipped;
        private final Identity identity;

        Scorer(ScoringOptions options, Shipped shipped, Identity identity) {
            this.options = options;
            this.shipped = shipped;
            this.identity = identity;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> files) {
            Path bundle = shipped != null ? shipped.locate()
                    : Path.of(options.bundle());
            ExecutorClassifiers.Lease lease = ExecutorClassifiers.acquire(bundle, options);
            // released when the task ends, however it ends (a replaced bundle's classifier is
            // closed by its last user), and as soon as the partition is scored
            TaskContext task = TaskContext.get();
            if (task != null) {
                TaskCompletionListener release = context -> lease.close();
                task.addTaskCompletionListener(release);
            }
            Classifier classifier = lease.classifier();
            if (!classifier.manifest().modelSha256().equals(identity.sha256())) {
                lease.close();
                throw new IllegalStateException("The model bundle changed while the job ran: "
                        + "the driver read " + identity.name() + " " + identity.version()
                        + " (sha256 " + identity.sha256() + ") but this executor finds sha256 "
                        + classifier.manifest().modelSha256() + " at " + bundle + "; run the "
                        + "job again once the bundle is in place");
            }
            TopKOptions topK = new TopKOptions(options.topK(), options.threshold(), Set.of());
            return new Iterator<>() {
                private final List<Row> ready = new ArrayList<>();
                private int next;

                @Override
                public boolean hasNext() {
                    while (next == ready.size() && files.hasNext()) {
                        ready.clear();
                        next = 0;
                        fill(files, classifier, topK, ready);
                    }
                    if (next < ready.size()) {
                        return true;
                    }
                    lease.close();
                    return false;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new java.util.NoSuchElementException();
                    }
                    return ready.get(next++);
                }
            };
        }

        /** Reads up to a batch of files and classifies the readable ones in one forward pass. */
        private void fill(Iterator<Row> files, Classifier classifier, TopKOptions topK,
                List<Row> out) {
            List<String> paths = new ArrayList<>();
            List<PreparedImage> images = new ArrayList<>();
            while (files.hasNext() && paths.size() < options.batchSize()) {
                Row file = files.next();
                String path = file.getString(0);
                byte[] content = (byte[]) file.get(1);
                try {
                    images.add(classifier.stages().prepare(content));
                    paths.add(path);
                } catch (DecodeException e) {
                    out.add(row(path, classifier.precision().id(), null, error(e)));
                }
            }
            if (images.isEmpty()) {
                return;
            }
            List<Stages.Outcome> answers;
            try {
                answers = classifier.stages().inferEach(images,
                        java.util.Collections.nCopies(images.size(), topK));
            } catch (dev.kodiak.core.infer.InferenceException e) {
                for (String path : paths) {
                    out.add(row(path, classifier.precision().id(), null, "INFERENCE_FAILED: "
                            + e.getMessage()));
                }
                return;
            }
            String precision = classifier.precision().id();
            for (int i = 0; i < answers.size(); i++) {
                Stages.Outcome outcome = answers.get(i);
                out.add(outcome.failure() == null
                        ? row(paths.get(i), precision, outcome.classification(), null)
                        : row(paths.get(i), precision, null, "INFERENCE_FAILED: "
                                + outcome.failure().getMessage())); // this image alone
            }
        }

        /**
         * One output row.
         *
         * @param precision the precision that scored it, or null when not known (a row the
         *     driver writes for an empty file under {@code auto})
         */
        Row row(String path, String precision, Classification c, String error) {
            Object[] values = new Object[1 + 2 * options.topK() + 6];
            values[0] = path;
            if (c != null) {
                List<Prediction> predictions = c.predictions();
                for (int i = 0; i < predictions.size(); i++) {
                    values[1 + 2 * i] = predictions.get(i).label();
                    values[2 + 2 * i] = predictions.get(i).probability();
                }
                values[1 + 2 * options.topK()] = c.unsure();
            }
            values[2 + 2 * options.topK()] = identity.name();
            values[3 + 2 * options.topK()] = identity.version();
            values[4 + 2 * options.topK()] = identity.sha256();
            values[5 + 2 * options.topK()] = precision;
            values[6 + 2 * options.topK()] = error;
            return RowFactory.create(values);
        }
    }
}
