package dev.kodiak.core.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The golden fixtures made by {@code tools/make_fixtures.py} (PIL + PyTorch), shared by every
 * module's tests through the core test jar. The repository root comes from the system property
 * {@code kodiak.root}, which the parent POM sets for surefire.
 */
public final class Fixtures {
    private static final JsonObject GOLDEN = load();

    private Fixtures() {
    }

    /** @return the repository root */
    public static Path root() {
        String root = System.getProperty("kodiak.root");
        if (root == null) {
            Path here = Path.of("").toAbsolutePath();
            while (here != null && !Files.exists(here.resolve("testdata/golden.json"))) {
                here = here.getParent();
            }
            if (here == null) {
                throw new IllegalStateException("Cannot find testdata/golden.json; run the tests "
                        + "through Maven (which sets -Dkodiak.root) or from inside the repository");
            }
            return here;
        }
        return Path.of(root);
    }

    /** @return the testdata directory */
    public static Path testdata() {
        return root().resolve("testdata");
    }

    /** @return the default model bundle shipped in models/ */
    public static Path defaultBundle() {
        return root().resolve("models/fashion-mnist");
    }

    /** @return the tiny RGB test bundle */
    public static Path tinyBundle() {
        return testdata().resolve("bundles/tiny-rgb");
    }

    /**
     * The bundles golden model outputs name: the default model, then the tiny test bundles,
     * which together hold every input-spec form (squish, crop, pad) in RGB and L.
     */
    public static final List<String> BUNDLES = List.of("fashion-mnist", "tiny-rgb",
            "tiny-rgb-squish", "tiny-rgb-pad", "tiny-gray-crop", "tiny-gray-pad");

    /** @return a bundle by the name golden model outputs give it */
    public static Path bundle(String name) {
        return name.equals("fashion-mnist") ? defaultBundle()
                : testdata().resolve("bundles").resolve(name);
    }

    private static JsonObject load() {
        try {
            return JsonParser.parseString(Files.readString(testdata().resolve("golden.json")))
                    .getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return golden.json */
    public static JsonObject golden() {
        return GOLDEN;
    }

    /** One fixture image: a decodable one with its PIL pixels, or a hostile one. */
    public record Image(String file, String format, boolean lossy, String error,
            JsonObject pixels) {
        /** @return the file name without folders */
        public String name() {
            return file.substring(file.lastIndexOf('/') + 1);
        }

        /** @return the encoded bytes */
        public byte[] bytes() {
            return read(testdata().resolve(file));
        }

        /** @return the path of the encoded file */
        public Path path() {
            return testdata().resolve(file);
        }

        /** @return whether PIL has golden pixels in this mode */
        public boolean has(ColorMode mode) {
            return pixels != null && pixels.has(mode.name());
        }

        /** @return PIL's decoded pixels in this mode */
        public Pixels pil(ColorMode mode) {
            JsonObject p = pixels.getAsJsonObject(mode.name());
            return new Pixels(p.get("width").getAsInt(), p.get("height").getAsInt(), mode,
                    gunzip(p.get("file").getAsString()));
        }

        @Override
        public String toString() {
            return name();
        }
    }

    /** @return every fixture image */
    public static List<Image> images() {
        List<Image> images = new ArrayList<>();
        for (JsonElement e : GOLDEN.getAsJsonArray("images")) {
            JsonObject o = e.getAsJsonObject();
            images.add(new Image(o.get("file").getAsString(),
                    o.has("format") ? o.get("format").getAsString() : null,
                    o.has("lossy") && o.get("lossy").getAsBoolean(),
                    o.has("error") ? o.get("error").getAsString() : null,
                    o.has("pixels") ? o.getAsJsonObject("pixels") : null));
        }
        return images;
    }

    /** @return the decodable fixture images */
    public static List<Image> decodable() {
        return images().stream().filter(i -> i.error() == null).toList();
    }

    /** @return the hostile fixture images */
    public static List<Image> hostile() {
        return images().stream().filter(i -> i.error() != null).toList();
    }

    /** @return the fixture image with this file name */
    public static Image image(String name) {
        return images().stream().filter(i -> i.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no fixture " + name));
    }

    /** @return the preprocessing cases */
    public static JsonArray preprocessCases() {
        return GOLDEN.getAsJsonArray("preprocess");
    }

    /**
     * One preprocessing case, in plain Java for modules that read JSON with another library.
     *
     * @param id the case's name
     * @param image the image's path under testdata
     * @param specJson the input spec as JSON text
     */
    public record PreprocessCase(String id, String image, String specJson) {
    }

    /** @return the preprocessing cases as records */
    public static List<PreprocessCase> preprocessCaseList() {
        List<PreprocessCase> cases = new ArrayList<>();
        for (JsonElement e : preprocessCases()) {
            JsonObject c = e.getAsJsonObject();
            cases.add(new PreprocessCase(c.get("id").getAsString(), c.get("image").getAsString(),
                    c.get("spec").toString()));
        }
        return cases;
    }

    /** @return model outputs computed by PyTorch */
    public static JsonArray modelOutputs() {
        return GOLDEN.getAsJsonArray("models");
    }

    /** @return facts about the Fashion-MNIST goldens */
    public static JsonObject fashionMnist() {
        return GOLDEN.getAsJsonObject("fashion_mnist");
    }

    /** @return the bytes of a file */
    public static byte[] read(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the ungzipped bytes of a testdata file, or of an absolute path */
    public static byte[] gunzip(String file) {
        Path path = file.startsWith("/") ? Path.of(file) : testdata().resolve(file);
        try (InputStream in = new GZIPInputStream(Files.newInputStream(path))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + (file.startsWith("/usr/share")
                    ? "; install Debian's dataset-fashion-mnist (.ci/run does)" : ""), e);
        }
    }

    /** @return little-endian float32 values of a gzipped testdata file */
    public static float[] floats(String file) {
        ByteBuffer buffer = ByteBuffer.wrap(gunzip(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[buffer.remaining() / 4];
        buffer.asFloatBuffer().get(values);
        return values;
    }
}
