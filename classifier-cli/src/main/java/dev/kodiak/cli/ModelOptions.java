package dev.kodiak.cli;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.ClassifierConfig;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.infer.InferenceEngine;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options of every command that runs the model ({@code evaluate}, {@code clean}), and the
 * one way they open it: a picocli mixin, so an option added here reaches every such command.
 */
public final class ModelOptions {
    @Option(names = {"-b", "--bundle"}, paramLabel = "BUNDLE",
            defaultValue = "${env:KODIAK_BUNDLE:-models/fashion-mnist}",
            description = "the model bundle (directory or .zip); default ${DEFAULT-VALUE}")
    Path bundle;

    @Option(names = "--batch", defaultValue = "64",
            description = "images per forward pass; default ${DEFAULT-VALUE}")
    int batch;

    @Option(names = "--engine", paramLabel = "ENGINE",
            defaultValue = "${env:KODIAK_ENGINE:-auto}", converter = EngineConverter.class,
            description = "auto (ONNX Runtime when the bundle has model.onnx, else libtorch), "
                    + "onnxruntime or pytorch; default ${DEFAULT-VALUE}")
    InferenceEngine engine;

    /** Made by picocli, as a mixin of a command. */
    public ModelOptions() {
    }

    /** @return images per forward pass ({@code --batch}) */
    public int batch() {
        return batch;
    }

    /** Reads {@code --engine} with core's rules and message. */
    static final class EngineConverter implements CommandLine.ITypeConverter<InferenceEngine> {
        @Override
        public InferenceEngine convert(String value) {
            return InferenceEngine.parse(value);
        }
    }

    /**
     * Opens the bundle.
     *
     * @return a ready classifier; the caller closes it
     * @throws CommandException {@link Exit#USAGE} for a bad {@code --batch},
     *     {@link Exit#BUNDLE} when the bundle cannot be used
     */
    public Classifier open() {
        if (batch < 1) {
            throw new CommandException(Exit.USAGE, "--batch must be at least 1, not " + batch);
        }
        try {
            return Classifier.open(ClassifierConfig.builder(bundle).maxBatchSize(batch)
                    .engine(engine).build());
        } catch (BundleException e) {
            throw new CommandException(Exit.BUNDLE, e.getMessage());
        }
    }
}
