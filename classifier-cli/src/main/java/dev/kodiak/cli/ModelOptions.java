package dev.kodiak.cli;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.ClassifierConfig;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.bundle.Precision;
import dev.kodiak.core.infer.InferenceEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options of every command that runs the model ({@code evaluate}, {@code clean}), and the
 * one way they open it: a picocli mixin, so an option added here reaches every such command.
 *
 * <p>A {@code --bundle} path is relative to the working directory, as every command line's.
 * Without one (and without {@code KODIAK_BUNDLE}) the default is the model installed with
 * Kodiak: {@code models/fashion-mnist} in the folder the launcher names in the system property
 * {@code kodiak.home}, else in the working directory.
 */
public final class ModelOptions {
    /** The default model, relative to Kodiak's installation (or the working directory). */
    public static final String DEFAULT_BUNDLE = "models/fashion-mnist";

    @Option(names = {"-b", "--bundle"}, paramLabel = "BUNDLE",
            defaultValue = "${env:KODIAK_BUNDLE}",
            description = "the model bundle (directory or .zip); default: $KODIAK_BUNDLE, else "
                    + "the model installed with kodiak (" + DEFAULT_BUNDLE + ")")
    Path bundle;

    @Option(names = "--batch", defaultValue = "64",
            description = "images per forward pass; default ${DEFAULT-VALUE}")
    int batch;

    @Option(names = "--engine", paramLabel = "ENGINE",
            defaultValue = "${env:KODIAK_ENGINE:-auto}", converter = EngineConverter.class,
            description = "auto (ONNX Runtime when the bundle has model.onnx, else libtorch), "
                    + "onnxruntime or pytorch; default ${DEFAULT-VALUE}")
    InferenceEngine engine;

    @Option(names = "--precision", paramLabel = "PRECISION",
            defaultValue = "${env:KODIAK_PRECISION:-fp32}", converter = PrecisionConverter.class,
            description = "fp32, int8 (the bundle's model.int8.onnx) or auto (int8 when it "
                    + "measured well and this CPU has int8 dot products); default ${DEFAULT-VALUE}")
    Precision precision;

    /** Made by picocli, as a mixin of a command. */
    public ModelOptions() {
    }

    /** @return images per forward pass ({@code --batch}) */
    public int batch() {
        return batch;
    }

    /** @return the precision asked for ({@code --precision}) */
    public Precision precision() {
        return precision;
    }

    /** Reads {@code --precision} with core's rules and message. */
    static final class PrecisionConverter implements CommandLine.ITypeConverter<Precision> {
        @Override
        public Precision convert(String value) {
            return Precision.parse(value);
        }
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
        return open(precision);
    }

    /**
     * Opens the bundle with another precision than {@code --precision} (evaluate's
     * {@code --compare}).
     *
     * @param wanted the precision
     * @return a ready classifier; the caller closes it
     * @throws CommandException as {@link #open()}
     */
    public Classifier open(Precision wanted) {
        if (batch < 1) {
            throw new CommandException(Exit.USAGE, "--batch must be at least 1, not " + batch);
        }
        Path chosen = bundle != null ? bundle : installed();
        try {
            return Classifier.open(ClassifierConfig.builder(chosen).maxBatchSize(batch)
                    .engine(engine).precision(wanted).build());
        } catch (BundleException e) {
            if (bundle != null && !Files.exists(bundle)) {
                Path cwd = Path.of("").toAbsolutePath();
                throw new CommandException(Exit.BUNDLE, "No model bundle at "
                        + bundle.toAbsolutePath().normalize() + (bundle.isAbsolute() ? ""
                        : " (--bundle " + bundle + ", from the working directory " + cwd + ")")
                        + "; pass a folder holding kodiak.json (or a .zip of one), or leave "
                        + "--bundle out for the default model, " + defaults().get(0));
            }
            throw new CommandException(Exit.BUNDLE, e.getMessage());
        }
    }

    /** Where the default model may be, in order: the installation's, the working directory's. */
    private static List<Path> defaults() {
        List<Path> places = new ArrayList<>();
        String home = System.getProperty("kodiak.home");
        if (home != null && !home.isBlank()) {
            places.add(Path.of(home).toAbsolutePath().resolve(DEFAULT_BUNDLE).normalize());
        }
        places.add(Path.of("").toAbsolutePath().resolve(DEFAULT_BUNDLE));
        return places;
    }

    /** The default model: the first of {@link #defaults()} that is there. */
    private static Path installed() {
        List<Path> places = defaults();
        for (Path place : places) {
            if (Files.exists(place)) {
                return place;
            }
        }
        throw new CommandException(Exit.BUNDLE, "No --bundle given, and the default model is "
                + (places.size() == 1 ? "not at " + places.get(0) + " (the working directory; "
                + "kodiak was not started by its launcher, which says where it is installed)"
                : "neither at " + places.get(0) + " (where kodiak is installed) nor at "
                + places.get(1) + " (the working directory)") + "; pass --bundle with a folder "
                + "holding kodiak.json (or a .zip of one), or set KODIAK_BUNDLE");
    }
}
