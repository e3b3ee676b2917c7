package dev.kodiak.core.decode;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kodiak.core.preprocess.ColorMode;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * PIL 9.4's LZW decoder (GifDecode.c as ImageFile.load drives it) on codes too odd for a
 * fixture; each expected value is what PIL gave for the same bytes. The fixtures (transparency,
 * frames smaller than or past the screen, local and short palettes, interlacing, a file without
 * its trailer) are checked against PIL's pixels in classifier-core's DecodeTest.
 */
class GifImageTest {
    /** Four entries: 10,20,30 40,50,60 70,80,90 100,110,120. */
    private static final byte[] PALETTE = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120};

    /** 3-bit codes (LZW minimum code size 2: clear 4, end 5), packed least significant first. */
    static byte[] codes(int... codes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int acc = 0;
        int n = 0;
        for (int c : codes) {
            acc |= c << n;
            n += 3;
            while (n >= 8) {
                out.write(acc & 0xFF);
                acc >>= 8;
                n -= 8;
            }
        }
        if (n > 0) {
            out.write(acc);
        }
        return out.toByteArray();
    }

    /** A 4x1 GIF with a global palette of 4 entries, its data in one sub-block, then junk. */
    static byte[] gif(byte[] data, int junk) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {'G', 'I', 'F', '8', '9', 'a', 4, 0, 1, 0, (byte) 0x81, 0, 0});
        out.writeBytes(PALETTE);
        out.writeBytes(new byte[] {',', 0, 0, 0, 0, 4, 0, 1, 0, 0, 2, (byte) data.length});
        out.writeBytes(data);
        out.writeBytes(new byte[] {0, ';'});
        out.writeBytes(new byte[junk]);
        return out.toByteArray();
    }

    static String rgb(byte[] file) throws DecodeException {
        byte[] data = GifImage.read(file).pixels(ColorMode.RGB).data();
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < data.length; i += 3) {
            s.append(i == 0 ? "" : " ").append(data[i] & 0xFF).append(',')
                    .append(data[i + 1] & 0xFF).append(',').append(data[i + 2] & 0xFF);
        }
        return s.toString();
    }

    @Test
    void aClearRightAfterAClearIsIgnoredAndKwKwKIsRead() throws DecodeException {
        assertThat(rgb(gif(codes(4, 4, 1, 2, 3, 0), 0)),
                is("40,50,60 70,80,90 100,110,120 10,20,30"));
        // 6 is the next free entry: the previous string and its first index
        assertThat(rgb(gif(codes(4, 1, 6, 2), 0)), is("40,50,60 40,50,60 40,50,60 70,80,90"));
    }

    @Test
    void anEndCodeMakesPilReadAgainSoTheFilesLengthDecides() throws DecodeException {
        byte[] data = codes(4, 1, 5, 2, 3, 0);
        // the file ends within PIL's first read of 64 KB: "image file is truncated"
        DecodeException e = assertThrows(DecodeException.class, () -> rgb(gif(data, 60000)));
        assertThat(e.getMessage(), containsString("The GIF file is truncated"));
        // a second read finds more bytes: the codes after the end code go on
        assertThat(rgb(gif(data, 70000)), is("40,50,60 70,80,90 100,110,120 10,20,30"));
    }

    @Test
    void brokenCodesAreCorrupt() {
        DecodeException first = assertThrows(DecodeException.class,
                () -> rgb(gif(codes(4, 6, 1), 0)));
        assertThat(first.getMessage(), containsString("code 6 after a clear"));
        DecodeException past = assertThrows(DecodeException.class,
                () -> rgb(gif(codes(4, 1, 7, 1), 0)));
        assertThat(past.getMessage(), containsString("code 7 past the table's end"));
        byte[] big = gif(codes(4, 1, 2, 3, 0), 0);
        big[13 + 12 + 1 + 9] = 13; // an LZW code size over 12 bits
        assertThat(assertThrows(DecodeException.class, () -> GifImage.read(big)).reason(),
                is(DecodeException.Reason.CORRUPT));
    }

    @Test
    void aFileWithNoImageIsCorrupt() {
        byte[] file = Arrays.copyOf(gif(codes(4, 1, 2, 3, 0), 0), 13 + 12);
        DecodeException e = assertThrows(DecodeException.class, () -> GifImage.read(file));
        assertThat(e.getMessage(), containsString("holds no image"));
    }
}
