package dev.kodiak.server;

import dev.kodiak.core.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Model repositories on disk for tests: versions copied from the test bundles. */
final class Repositories {
    private Repositories() {
    }

    /** Copies a test bundle as {@code <model>/<version>/}. */
    static Path version(Path repository, String model, int version, String bundle)
            throws Exception {
        Path to = Files.createDirectories(repository.resolve(model).resolve(
                Integer.toString(version)));
        try (Stream<Path> files = Files.list(Fixtures.bundle(bundle))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    /** A version whose model file no longer matches its manifest's checksum. */
    static Path broken(Path repository, String model, int version, String bundle)
            throws Exception {
        Path to = version(repository, model, version, bundle);
        byte[] onnx = Files.readAllBytes(to.resolve("model.onnx"));
        onnx[onnx.length / 2] ^= 0x5A;
        Files.write(to.resolve("model.onnx"), onnx);
        return to;
    }

    /** Waits until a condition holds (polling, not a fixed sleep), or fails after a while. */
    static void await(String what, Duration timeout, BooleanSupplier condition)
            throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("waited " + timeout.toSeconds() + " s for " + what);
            }
            Thread.sleep(50);
        }
    }
}
