package dev.kodiak.core.testing;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.ClassifierConfig;
import dev.kodiak.core.infer.InferenceEngine;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run in a fresh JVM by tests: opens a bundle with an engine, classifies one image, and prints
 * which native libraries the process has mapped ({@code /proc/self/maps}).
 */
public final class OpenAndReport {
    private OpenAndReport() {
    }

    /**
     * Usage: {@code OpenAndReport BUNDLE ENGINE IMAGE}.
     *
     * @param args bundle path, engine name, image path
     * @throws Exception when anything fails (the exit code tells the test)
     */
    public static void main(String[] args) throws Exception {
        ClassifierConfig config = ClassifierConfig.builder(Path.of(args[0]))
                .engine(InferenceEngine.parse(args[1])).build();
        try (Classifier classifier = Classifier.open(config)) {
            System.out.println("engine=" + classifier.engine());
            System.out.println("top1=" + classifier.classify(Files.readAllBytes(Path.of(args[2])))
                    .top().label());
        }
        String maps = Files.readString(Path.of("/proc/self/maps"));
        System.out.println("libtorch=" + maps.contains("libtorch"));
        System.out.println("onnxruntime=" + maps.contains("libonnxruntime"));
    }
}
