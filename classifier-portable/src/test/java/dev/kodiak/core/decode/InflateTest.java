package dev.kodiak.core.decode;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.util.Random;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The small inflater for PNG text chunks gives the JDK's deflater's input back, for stored,
 * fixed and dynamic Huffman blocks, and refuses damaged, cut and oversized streams.
 */
class InflateTest {
    static byte[] deflate(byte[] data, int level, int strategy) {
        Deflater deflater = new Deflater(level);
        deflater.setStrategy(strategy);
        deflater.setInput(data);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        return out.toByteArray();
    }

    /** Text-like data (repeats, so back references) and noise, of several sizes. */
    static byte[] sample(Random random, int size) {
        byte[] data = new byte[size];
        String words = "exif 00 4d4d002a tiff:Orientation=\"6\" <rdf:Description/> ";
        for (int i = 0; i < size; i++) {
            data[i] = random.nextInt(4) == 0 ? (byte) random.nextInt(256)
                    : (byte) words.charAt((i * 7 + random.nextInt(3)) % words.length());
        }
        return data;
    }

    @ParameterizedTest(name = "level {0}")
    @ValueSource(ints = {0, 1, 6, 9})
    void givesBackWhatTheJdkDeflated(int level) throws Inflate.Failure {
        Random random = new Random(level);
        for (int size : new int[] {0, 1, 100, 5000, 70000}) {
            for (int strategy : new int[] {Deflater.DEFAULT_STRATEGY, Deflater.HUFFMAN_ONLY,
                Deflater.FILTERED}) {
                byte[] data = sample(random, size);
                byte[] zlib = deflate(data, level, strategy);
                assertArrayEquals(data, Inflate.zlib(zlib, 0, zlib.length, 1 << 20),
                        "size " + size + " strategy " + strategy);
            }
        }
    }

    @Test
    void fixedHuffmanBlocksToo() throws Inflate.Failure {
        // a short input makes zlib choose the fixed code
        byte[] data = "tiff:Orientation>5".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] zlib = deflate(data, 9, Deflater.DEFAULT_STRATEGY);
        assertThat("a fixed-code block", (zlib[2] >> 1) & 3, is(1));
        assertArrayEquals(data, Inflate.zlib(zlib, 0, zlib.length, 100));
    }

    @Test
    void damagedCutAndOversizedStreamsAreRefused() {
        byte[] data = sample(new Random(3), 5000);
        byte[] zlib = deflate(data, 6, Deflater.DEFAULT_STRATEGY);
        Inflate.Failure cut = assertThrows(Inflate.Failure.class,
                () -> Inflate.zlib(zlib, 0, zlib.length / 2, 1 << 20));
        assertThat(cut.getMessage(), containsString("cut short"));
        Inflate.Failure large = assertThrows(Inflate.Failure.class,
                () -> Inflate.zlib(zlib, 0, zlib.length, 4999));
        assertThat(large.getMessage(), containsString("more than 4999 bytes"));
        assertThrows(Inflate.Failure.class, () -> Inflate.zlib(new byte[] {0x78}, 0, 1, 10));
        byte[] notZlib = zlib.clone();
        notZlib[0] = 0x79;
        assertThrows(Inflate.Failure.class,
                () -> Inflate.zlib(notZlib, 0, notZlib.length, 1 << 20));
        // seeded damage: refused or inflated, never another exception
        Random random = new Random(9);
        for (int n = 0; n < 500; n++) {
            byte[] damaged = zlib.clone();
            damaged[2 + random.nextInt(damaged.length - 2)] = (byte) random.nextInt(256);
            try {
                Inflate.zlib(damaged, 0, damaged.length, 1 << 20);
            } catch (Inflate.Failure e) {
                assertThat(e.getMessage().isEmpty(), is(false));
            }
        }
    }
}
