package dev.kodiak.cli;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.ClassifierConfig;
import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.bundle.ModelFormat;
import dev.kodiak.core.bundle.Precision;
import dev.kodiak.core.infer.InferenceEngine;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kodiak site-bundle <bundle>}: puts a bundle's browser part ({@code kodiak.json} and
 * {@code model.onnx}) where a Jekyll blog's widgets find it, {@code assets/models/NAME/}, after
 * checking that it is whole and that ONNX Runtime computes its probe as PyTorch did (what the
 * reader's browser will check too), and says how to put it in a post.
 */
@Command(name = "site-bundle", mixinStandardHelpOptions = true,
        description = {"Check a model bundle and copy what a blog's widget needs (kodiak.json "
                + "and model.onnx) into SITE/assets/models/NAME/, then print the line that puts "
                + "it in a post. ./kodiak site --bundle DIR runs it on the repository's blog "
                + "and builds the blog."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:copied", "2:bad usage, no such site folder",
            "3:the bundle cannot be used in a browser (named)", "4:another failure"})
final class SiteBundleCommand implements Callable<Integer> {
    /** The widget's default limit for auto, in bytes (data-max-download-mb). */
    static final long AUTO_LIMIT = 20_000_000L;

    @Parameters(paramLabel = "BUNDLE", description = "a bundle folder or .zip, from "
            + "tools/export_bundle.py")
    Path bundle;

    @Option(names = "--name", paramLabel = "NAME",
            description = "the folder under assets/models/; default the bundle's own name")
    String name;

    @Option(names = "--site", paramLabel = "SITE", defaultValue = ".",
            description = "the Jekyll site's folder (holding _config.yml); default the working "
                    + "directory")
    Path site;

    private final PrintStream stdout;
    private final PrintStream stderr;

    SiteBundleCommand(PrintStream stdout, PrintStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    @Override
    public Integer call() throws Exception {
        Path siteFolder = site.toAbsolutePath().normalize();
        if (!Files.isRegularFile(siteFolder.resolve("_config.yml"))) {
            throw new CommandException(Exit.USAGE, siteFolder + " is not a Jekyll site (it has "
                    + "no _config.yml); give the blog's folder with --site");
        }
        Path source = bundle.toAbsolutePath().normalize();
        Manifest manifest;
        byte[] onnx;
        try (Bundle opened = Bundle.open(source)) {
            manifest = opened.manifest();
            String file = manifest.modelFile(ModelFormat.ONNX).orElse(null);
            if (file == null || !manifest.serves(Manifest.RUNTIME_ONNXRUNTIME_WEB)) {
                throw new CommandException(Exit.BUNDLE, "Bundle '" + manifest.name() + "' ("
                        + source + ") has no model.onnx for the browser (it serves "
                        + manifest.runtimes() + "); re-export it with tools/export_bundle.py, "
                        + "which writes model.onnx, or use the server runtime");
            }
            onnx = Files.readAllBytes(opened.directory().resolve(file));
            // what the reader's browser checks before first use: ONNX Runtime gives the probe
            try (Classifier checked = Classifier.open(ClassifierConfig.builder(source)
                    .engine(InferenceEngine.ONNXRUNTIME).build())) {
                checked.manifest();
            }
            String target = name == null ? manifest.name() : name;
            if (!Manifest.isValidName(target)) {
                throw new CommandException(Exit.USAGE, "--name '" + target + "' must be a-z, "
                        + "0-9, '.', '_', '-' (it appears in URLs)");
            }
            Path folder = Files.createDirectories(siteFolder.resolve("assets/models")
                    .resolve(target));
            write(folder.resolve(Manifest.FILE_NAME), Files.readAllBytes(
                    opened.directory().resolve(Manifest.FILE_NAME)));
            copyChecked(onnx, folder.resolve(file), manifest.files().get(file));
            String wrote = siteFolder.relativize(folder.resolve(file)) + " ("
                    + megabytes(onnx.length) + ")";
            String int8File = manifest.int8().map(m -> m.file()).orElse(null);
            if (int8File != null) {
                // the int8 model is what data-precision int8 or auto downloads: checked too
                try (Classifier checked = Classifier.open(ClassifierConfig.builder(source)
                        .engine(InferenceEngine.ONNXRUNTIME).precision(Precision.INT8)
                        .build())) {
                    checked.manifest();
                }
                byte[] int8 = Files.readAllBytes(opened.directory().resolve(int8File));
                copyChecked(int8, folder.resolve(int8File), manifest.files().get(int8File));
                wrote += ", " + siteFolder.relativize(folder.resolve(int8File)) + " ("
                        + megabytes(int8.length) + ")";
            }
            String url = "/assets/models/" + target + "/";
            stdout.println("Wrote " + siteFolder.relativize(folder.resolve(Manifest.FILE_NAME))
                    + ", " + wrote + ": bundle '" + manifest.name() + "' "
                    + manifest.version() + ", " + manifest.labels().size() + " labels; ONNX "
                    + "Runtime matches its probe");
            stdout.println("Put it in a post:");
            stdout.println("  {% include kodiak-classifier.html runtime=\"browser\" bundle=\""
                    + url + "\" %}");
            if (onnx.length > AUTO_LIMIT) {
                stderr.println("kodiak site-bundle: model.onnx is " + megabytes(onnx.length)
                        + ", over the widget's 20 MB limit for runtime \"auto\": with a server "
                        + "named (model=\"...\") auto asks the server instead; without one every "
                        + "reader downloads " + megabytes(onnx.length) + " (the site build warns)");
            }
        } catch (BundleException e) {
            throw new CommandException(Exit.BUNDLE, e.getMessage());
        }
        return Exit.OK;
    }

    /** Writes a model file and checks that the copy has the sha256 the manifest lists. */
    private static void copyChecked(byte[] bytes, Path target, String sha256) throws Exception {
        write(target, bytes);
        if (!Sha256.of(target).equals(sha256)) {
            throw new CommandException(Exit.FAILURE, target + " does not have the sha256 "
                    + "kodiak.json lists after copying; check the disk and run again");
        }
    }

    /** Writes through a temporary file, so a widget never reads half a file. */
    private static void write(Path target, byte[] bytes) throws java.io.IOException {
        Path tmp = Files.createTempFile(target.getParent(), ".kodiak-", ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
