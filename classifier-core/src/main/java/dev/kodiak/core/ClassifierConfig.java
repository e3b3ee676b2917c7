package dev.kodiak.core;

import dev.kodiak.core.bundle.Precision;
import dev.kodiak.core.decode.ImageLimits;
import dev.kodiak.core.infer.InferenceEngine;
import dev.kodiak.core.infer.Threads;
import dev.kodiak.core.topk.TopKOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * How to open a {@link Classifier}. The bundle is required ({@link #builder(Path)}); everything
 * else has the default its setter documents.
 *
 * <pre>{@code
 * ClassifierConfig config = ClassifierConfig.builder(Path.of("models/fashion-mnist"))
 *         .topK(3).threshold(0.5f).engine(InferenceEngine.ONNXRUNTIME).intraOpThreads(2).build();
 * }</pre>
 *
 * @param bundle the bundle directory or zip
 * @param defaults top-k options used when a call passes none
 * @param maxPixels the decoder's pixel limit
 * @param maxBatchSize the most images one forward pass takes; longer lists are split
 * @param engine the runtime that runs the model; {@code AUTO} prefers ONNX Runtime
 * @param threads the forward pass's thread counts
 * @param warmupRuns forward passes run at open, so that the first real call is not slow
 * @param precision which of the bundle's models answers: {@code FP32} (the default) always the
 *     float32 model; {@code AUTO} takes
 *     {@code model.int8.onnx} only when the bundle has it, its measured top-1 agreement with
 *     fp32 is at or above the threshold it was written with, and the CPU has int8 dot-product
 *     instructions ({@link dev.kodiak.core.infer.Int8Support}); {@code FP32} never does;
 *     {@code INT8} always does, and opening a bundle without one fails
 */
public record ClassifierConfig(Path bundle, TopKOptions defaults, long maxPixels,
        int maxBatchSize, InferenceEngine engine, Threads threads, int warmupRuns,
        Precision precision) {
    /** Checks the values; use {@link #builder(Path)} to get one message for every problem. */
    public ClassifierConfig {
        if (bundle == null || defaults == null || engine == null || threads == null
                || precision == null) {
            throw new IllegalArgumentException("bundle, defaults, engine, threads and "
                    + "precision are required");
        }
        if (maxPixels < 1 || maxBatchSize < 1 || warmupRuns < 0) {
            throw new IllegalArgumentException("Invalid limits: maxPixels " + maxPixels
                    + ", maxBatchSize " + maxBatchSize + ", warmupRuns " + warmupRuns);
        }
    }

    /**
     * Starts a config for a bundle.
     *
     * @param bundle a bundle directory or zip
     * @return a builder
     */
    public static Builder builder(Path bundle) {
        return new Builder(bundle);
    }

    /** Builds a {@link ClassifierConfig}. Not thread-safe. */
    public static final class Builder {
        private final Path bundle;
        private int topK = TopKOptions.DEFAULT.k();
        private float threshold;
        private Set<String> allowedLabels = Set.of();
        private long maxPixels = ImageLimits.DEFAULT_MAX_PIXELS;
        private int maxBatchSize = 32;
        private InferenceEngine engine = InferenceEngine.AUTO;
        private int intraOpThreads;
        private int interOpThreads;
        private int warmupRuns = 2;
        private Precision precision = Precision.FP32;

        private Builder(Path bundle) {
            this.bundle = bundle;
        }

        /**
         * Sets how many labels to return by default; default 5.
         *
         * @param topK at least 1
         * @return this builder
         */
        public Builder topK(int topK) {
            this.topK = topK;
            return this;
        }

        /**
         * Sets the default unsure threshold; default 0 (never unsure).
         *
         * @param threshold a probability from 0 to 1
         * @return this builder
         */
        public Builder threshold(float threshold) {
            this.threshold = threshold;
            return this;
        }

        /**
         * Restricts results to these labels by default; default all labels.
         *
         * @param labels labels of the model
         * @return this builder
         */
        public Builder allowedLabels(Set<String> labels) {
            this.allowedLabels = labels;
            return this;
        }

        /**
         * Sets the decoder's pixel limit; default {@link ImageLimits#DEFAULT_MAX_PIXELS}.
         *
         * @param maxPixels the most pixels an image may have
         * @return this builder
         */
        public Builder maxPixels(long maxPixels) {
            this.maxPixels = maxPixels;
            return this;
        }

        /**
         * Sets the most images per forward pass; default 32.
         *
         * @param maxBatchSize at least 1
         * @return this builder
         */
        public Builder maxBatchSize(int maxBatchSize) {
            this.maxBatchSize = maxBatchSize;
            return this;
        }

        /**
         * Sets the runtime that runs the model; default {@link InferenceEngine#AUTO}, which takes
         * ONNX Runtime when the bundle has an ONNX file and libtorch otherwise.
         *
         * @param engine the engine
         * @return this builder
         */
        public Builder engine(InferenceEngine engine) {
            this.engine = engine;
            return this;
        }

        /**
         * Sets the forward pass's intra-op threads; default 0 (one per available processor).
         * Per model with ONNX Runtime; process-wide with libtorch (see {@link Threads}).
         *
         * @param threads 0 or more
         * @return this builder
         */
        public Builder intraOpThreads(int threads) {
            this.intraOpThreads = threads;
            return this;
        }

        /**
         * Sets the forward pass's inter-op threads; default 0 (one). Per model with ONNX
         * Runtime; process-wide, and fixed by the first model, with libtorch.
         *
         * @param threads 0 or more
         * @return this builder
         */
        public Builder interOpThreads(int threads) {
            this.interOpThreads = threads;
            return this;
        }

        /**
         * Sets the warm-up forward passes run at open; default 2.
         *
         * @param runs 0 or more
         * @return this builder
         */
        public Builder warmupRuns(int runs) {
            this.warmupRuns = runs;
            return this;
        }

        /**
         * Sets which of the bundle's models answers; default {@link Precision#FP32}, the float32
         * model, so that a bundle which gains {@code model.int8.onnx} answers as before until
         * asked. {@link Precision#AUTO} takes the int8 model only when the bundle has one whose
         * measured agreement with fp32 is at or above its threshold and the CPU has int8
         * dot-product instructions (AVX-512 VNNI, AVX-VNNI, AMX, Arm dot product), and logs why
         * either way; {@link Precision#INT8} always (the bundle must have it; it runs on ONNX
         * Runtime).
         *
         * @param precision the precision
         * @return this builder
         */
        public Builder precision(Precision precision) {
            this.precision = precision;
            return this;
        }

        /**
         * Checks every value and builds the config.
         *
         * @return the config
         * @throws IllegalArgumentException naming every invalid value at once
         */
        public ClassifierConfig build() {
            List<String> problems = new ArrayList<>();
            if (bundle == null) {
                problems.add("bundle is required");
            }
            if (topK < 1) {
                problems.add("topK must be at least 1, not " + topK);
            }
            if (!(threshold >= 0f && threshold <= 1f)) {
                problems.add("threshold must be from 0 to 1, not " + threshold);
            }
            if (maxPixels < 1) {
                problems.add("maxPixels must be at least 1, not " + maxPixels);
            }
            if (maxBatchSize < 1) {
                problems.add("maxBatchSize must be at least 1, not " + maxBatchSize);
            }
            if (intraOpThreads < 0 || interOpThreads < 0) {
                problems.add("thread counts must be 0 (default) or more, not " + intraOpThreads
                        + "/" + interOpThreads);
            }
            if (engine == null) {
                problems.add("engine is required (auto, onnxruntime or pytorch)");
            }
            if (precision == null) {
                problems.add("precision is required (auto, fp32 or int8)");
            }
            if (warmupRuns < 0) {
                problems.add("warmupRuns must be 0 or more, not " + warmupRuns);
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("Invalid classifier config: "
                        + String.join("; ", problems));
            }
            return new ClassifierConfig(bundle, new TopKOptions(topK, threshold,
                    allowedLabels), maxPixels, maxBatchSize, engine,
                    new Threads(intraOpThreads, interOpThreads), warmupRuns, precision);
        }
    }
}
