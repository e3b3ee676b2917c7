package dev.kodiak.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Interpolation;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Resampler;
import dev.kodiak.core.testing.Fixtures;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Looks of real photos and garments and their copies, and the index that finds them. */
class LookTest {
    private static final ImageDecoder DECODER = new ImageDecoder();

    static Stream<List<String>> samePhotos() {
        return Stream.of(
                // the cat: PNG, progressive JPEG at quality 85, lossy WebP at 80
                List.of("png-rgb8.png", "jpeg-progressive.jpg", "webp-lossy.webp"),
                // the camera man: PNG and JPEG
                List.of("png-gray8.png", "jpeg-gray.jpg"),
                // the rocket, stored upright and turned with an EXIF orientation to show upright
                List.of("jpeg-exif-1.jpg", "jpeg-exif-6.jpg", "jpeg-exif-8.jpg",
                        "png-exif-6.png"));
    }

    private static Look photo(String name) throws Exception {
        return Look.of(DECODER.decode(Files.readAllBytes(Fixtures.image(name).path()),
                ColorMode.RGB));
    }

    @ParameterizedTest
    @MethodSource("samePhotos")
    void oneDisplayedPhotoInOtherFormatsIsFoundAndOthersAreNot(List<String> same)
            throws Exception {
        for (String a : same) {
            for (String b : same) {
                assertThat(a + " and " + b, photo(a).distance(photo(b)),
                        lessThanOrEqualTo(Duplicates.DEFAULT_THRESHOLD));
            }
            for (List<String> other : samePhotos().toList()) {
                if (!other.equals(same)) {
                    assertThat(a + " and " + other.get(0), photo(a).distance(photo(
                            other.get(0))), greaterThan(3 * Duplicates.DEFAULT_THRESHOLD));
                }
            }
        }
    }

    static Pixels decode(BufferedImage image, String format) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, format, out);
        return DECODER.decode(out.toByteArray(), ColorMode.RGB);
    }

    @Test
    void aGarmentReEncodedResizedOrFramedIsFound() throws Exception {
        for (int i = 0; i < 50; i++) {
            BufferedImage garment = ImageIO.read(new ByteArrayInputStream(TestFolders.png(i)));
            Look original = Look.of(decode(garment, "png"));
            BufferedImage framed = new BufferedImage(30, 30, BufferedImage.TYPE_BYTE_GRAY);
            Graphics2D g = framed.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, 30, 30);
            g.drawImage(garment, 1, 1, null);
            g.dispose();
            Map<String, Pixels> copies = Map.of(
                    "JPEG", decode(garment, "jpeg"),
                    "42x42", Resampler.resize(decode(garment, "png"), 42, 42,
                            Interpolation.BICUBIC),
                    "in a white frame", decode(framed, "png"));
            for (Map.Entry<String, Pixels> copy : copies.entrySet()) {
                assertThat("test image " + i + ", " + copy.getKey(),
                        original.distance(Look.of(copy.getValue())),
                        lessThanOrEqualTo(Duplicates.DEFAULT_THRESHOLD));
            }
        }
    }

    /** The index finds exactly what comparing every pair finds, at every threshold. */
    @ParameterizedTest
    @ValueSource(doubles = {0, 1, 2.5, 4, 8})
    void theIndexFindsEveryPairWithinAndNoOther(double threshold) throws Exception {
        Random random = new Random(20);
        List<Look> looks = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            Pixels garment = DECODER.decode(TestFolders.png(i), ColorMode.L);
            looks.add(Look.of(garment));
            // look-alikes at every distance around the thresholds, and views other than whole
            looks.add(Look.of(DuplicatesTest.brighter(garment, random.nextInt(9))));
            if (i % 3 == 0) {
                looks.add(Look.of(Resampler.resize(garment, 26, 26, Interpolation.BICUBIC)));
            }
        }
        LookIndex index = new LookIndex(looks, threshold);
        int pairs = 0;
        for (int i = 0; i < looks.size(); i++) {
            Set<Integer> expected = new TreeSet<>();
            for (int j = 0; j < looks.size(); j++) {
                if (looks.get(i).within(looks.get(j), threshold)) {
                    expected.add(j);
                }
            }
            Set<Integer> found = new TreeSet<>();
            index.forEachWithin(looks.get(i), found::add);
            assertThat("look " + i, found, is(expected));
            pairs += expected.size() - 1;
        }
        assertThat("the test has pairs to find", threshold == 0 || pairs > 100, is(true));
    }
}
