import dev.kodiak.core.Classification;
import dev.kodiak.core.Classifier;
import java.nio.file.Files;
import java.nio.file.Path;

public class App {
    public static void main(String[] args) throws Exception {
        try (Classifier classifier = Classifier.open(Path.of(args[0]))) {   // a bundle folder
            Classification c = classifier.classify(Files.readAllBytes(Path.of(args[1])));
            c.predictions().forEach(p -> System.out.printf("%-12s %.3f%n", p.label(), p.probability()));
        }
    }
}
