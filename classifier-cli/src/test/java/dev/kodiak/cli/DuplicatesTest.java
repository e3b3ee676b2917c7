package dev.kodiak.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Grouping around the kept image: no chains, the same bytes, 1,000 distinct garments. */
class DuplicatesTest {
    private static final ImageDecoder DECODER = new ImageDecoder();

    /** A garment, made brighter by {@code shift} gray levels everywhere: a look-alike. */
    static Pixels brighter(Pixels gray, int shift) {
        byte[] out = gray.data();
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Math.min(255, (out[i] & 0xFF) + shift);
        }
        return new Pixels(gray.width(), gray.height(), ColorMode.L, out);
    }

    private static Duplicates.Image image(String name, Pixels pixels, long size) {
        return new Duplicates.Image(Path.of(name), name, Look.of(pixels), size, size);
    }

    private static Pixels garment(int i) throws Exception {
        return DECODER.decode(TestFolders.png(i), ColorMode.L);
    }

    /** A chain: A and B about 3 gray levels apart, B and C about 3, A and C about 6. */
    private static List<Duplicates.Image> chain(long a, long b, long c) throws Exception {
        Pixels garment = garment(0);
        return List.of(image("a.png", garment, a), image("b.png", brighter(garment, 3), b),
                image("c.png", brighter(garment, 6), c));
    }

    @Test
    void aChainIsNotOneGroup() throws Exception {
        List<Duplicates.Image> images = chain(300, 200, 100);
        // a little under 3 and 6: where LANCZOS rings below black, both clip to 0
        assertThat(images.get(0).look().distance(images.get(1).look()), closeTo(2.75, 0.5));
        assertThat(images.get(1).look().distance(images.get(2).look()), closeTo(2.75, 0.5));
        assertThat(images.get(0).look().distance(images.get(2).look()), closeTo(5.5, 1));

        // A is kept (the largest); B is within 4 of it, C is not, whatever B is to C
        List<Duplicates.Group> groups = Duplicates.group(images, 4);
        assertThat(groups.size(), is(1));
        assertThat(groups.get(0).keep().path(), is(Path.of("a.png")));
        assertThat(groups.get(0).members().size(), is(1));
        Duplicates.Member b = groups.get(0).members().get(0);
        assertThat(b.image().path(), is(Path.of("b.png")));
        assertThat(b.sameBytes(), is(false));
        assertThat(b.distance(), is(images.get(0).look().distance(images.get(1).look())));
    }

    @Test
    void theKeptImageInTheMiddleTakesBothEnds() throws Exception {
        List<Duplicates.Group> groups = Duplicates.group(chain(200, 300, 100), 4);
        assertThat(groups.size(), is(1));
        assertThat(groups.get(0).keep().path(), is(Path.of("b.png")));
        assertThat(groups.get(0).members().stream().map(m -> m.image().path().toString())
                .collect(Collectors.toCollection(TreeSet::new)), is(Set.of("a.png", "c.png")));
        for (Duplicates.Member m : groups.get(0).members()) {
            assertThat(m.distance(), lessThanOrEqualTo(4.0));
        }
    }

    @Test
    void theSameBytesAreOneGroupEvenAtThresholdZero() throws Exception {
        Pixels garment = garment(1);
        List<Duplicates.Image> images = List.of(
                new Duplicates.Image(Path.of("a/x.png"), "same", Look.of(garment), 784, 500),
                new Duplicates.Image(Path.of("x.png"), "same", Look.of(garment), 784, 500),
                new Duplicates.Image(Path.of("y.png"), "other", Look.of(brighter(garment, 1)),
                        784, 500));
        List<Duplicates.Group> groups = Duplicates.group(images, 0);
        assertThat(groups.size(), is(1));
        assertThat("the one highest in the tree is kept", groups.get(0).keep().path(),
                is(Path.of("x.png")));
        assertThat(groups.get(0).members().size(), is(1));
        assertThat(groups.get(0).members().get(0).sameBytes(), is(true));
        assertThat(groups.get(0).members().get(0).match(), is("same bytes"));
        assertThat(groups.get(0).members().get(0).distance(), is(0.0));
    }

    /**
     * The 1,000 distinct garments of issue 20, where the 64-bit difference hash found 740
     * duplicates: thousands of pairs are within its 8 bits, none within the default look
     * distance.
     */
    @Test
    void aThousandDistinctGarmentsHaveNoDuplicates() throws Exception {
        List<Duplicates.Image> images = new ArrayList<>();
        List<Long> hashes = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            byte[] png = TestFolders.png(i);
            Pixels rgb = DECODER.decode(png, ColorMode.RGB);
            images.add(Duplicates.Image.of(Path.of(i + ".png"), png, rgb));
            hashes.add(PerceptualHash.difference(rgb));
        }
        int alike = 0;
        double nearest = Double.MAX_VALUE;
        for (int i = 0; i < images.size(); i++) {
            for (int j = i + 1; j < images.size(); j++) {
                alike += PerceptualHash.distance(hashes.get(i), hashes.get(j)) <= 8 ? 1 : 0;
                nearest = Math.min(nearest, images.get(i).look().distance(
                        images.get(j).look()));
            }
        }
        assertThat("pairs within 8 bits of the difference hash", alike, greaterThan(1000));
        assertThat(nearest, greaterThan(Duplicates.DEFAULT_THRESHOLD));
        assertThat("and yet the nearest two are not far", nearest,
                lessThan(2 * Duplicates.DEFAULT_THRESHOLD));
        assertThat(Duplicates.group(images, Duplicates.DEFAULT_THRESHOLD), is(empty()));

        Pixels jpeg = LookTest.decode(ImageIO.read(new ByteArrayInputStream(
                TestFolders.png(7))), "jpeg");
        List<Duplicates.Group> withCopy = Duplicates.group(List.of(images.get(7),
                Duplicates.Image.of(Path.of("7.jpg"), new byte[] {1}, jpeg)),
                Duplicates.DEFAULT_THRESHOLD);
        assertThat("a re-encoded copy is found", withCopy.size(), is(1));
    }
}
