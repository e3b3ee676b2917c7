package dev.kodiak.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the benchmarks' models and photos are, made by {@code tools/make_benchmark_models.py}
 * (with Debian's python3-torch and python3-torchvision) when missing: they are too large for git.
 */
final class Inputs {
    private Inputs() {
    }

    static Path root() {
        String root = System.getProperty("kodiak.root");
        Path here = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
        while (here != null && !Files.exists(here.resolve("tools/make_benchmark_models.py"))) {
            here = here.getParent();
        }
        if (here == null) {
            throw new IllegalStateException("Run the benchmarks from the Kodiak repository "
                    + "(or pass -Dkodiak.root=...)");
        }
        return here;
    }

    /** A bundle: {@code fashion-mnist} ships in models/, the others are made on demand. */
    static Path bundle(String name) {
        if (name.equals("fashion-mnist")) {
            return root().resolve("models/fashion-mnist");
        }
        Path bundle = root().resolve("benchmarks/models").resolve(name.replace('-', '_'));
        ensure(bundle.resolve("kodiak.json"), false);
        ensure(bundle.resolve("model.onnx"), false); // bundles made before ONNX was exported
        ensure(bundle.resolve("model.int8.onnx"), false); // and before int8
        return bundle;
    }

    /** A benchmark photo such as {@code photo-4000x3000.jpg}. */
    static byte[] image(String file) {
        Path path = root().resolve("benchmarks/images").resolve(file);
        ensure(path, true);
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static synchronized void ensure(Path file, boolean imageOnly) {
        if (Files.exists(file)) {
            return;
        }
        Path script = root().resolve("tools/make_benchmark_models.py");
        List<String> command = imageOnly
                ? List.of("/usr/bin/python3", script.toString(), "--images-only")
                : List.of("/usr/bin/python3", script.toString());
        System.err.println("benchmarks: " + file + " is missing; running " + String.join(" ",
                command) + " (needs Debian's python3-torch, python3-torchvision, "
                + "python3-skimage)");
        try {
            Process process = new ProcessBuilder(command).inheritIO().start();
            if (process.waitFor() != 0 || !Files.exists(file)) {
                throw new IllegalStateException(String.join(" ", command) + " failed; install "
                        + "python3-torch python3-torchvision python3-skimage "
                        + "(tools/install-debian-packages.sh --with-python-tools) and run it");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
