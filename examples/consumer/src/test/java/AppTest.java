import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the README's example as a user would, on the default bundle and a fixture image. */
class AppTest {
    @Test
    void classifiesAnImageWithTheDefaultBundle() throws Exception {
        Path root = Path.of(System.getProperty("kodiak.root"));
        Path bundle = root.resolve("models/fashion-mnist");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            App.main(new String[] {bundle.toString(),
                root.resolve("testdata/images/png-gray8.png").toString()});
        } finally {
            System.setOut(saved);
        }
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(5, lines.size(), "the top 5 labels: " + lines);
        String manifest = Files.readString(bundle.resolve("kodiak.json"));
        double previous = 1;
        for (String line : lines) {
            String label = line.substring(0, line.lastIndexOf(' ')).trim();
            double probability = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            assertTrue(manifest.contains("\"" + label + "\""), label + " is a label of the model");
            assertTrue(probability <= previous, "ranked: " + lines);
            previous = probability;
        }
        assertFalse(System.getProperty("java.class.path").contains("pytorch-native"),
                "libtorch's natives are not on a consumer's class path unless it asks");
    }
}
