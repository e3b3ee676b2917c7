package dev.kodiak.core.decode;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kodiak.core.preprocess.ColorMode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * PIL 9.4's BMP quirks on bitmaps too small to be fixtures; each expected value is what
 * {@code Image.open(f).convert("RGB")} gave for the same bytes. The fixtures (RLE8 from
 * ImageMagick, RLE4 and delta escapes by hand, OS/2 1.x and 2.x, bit fields) are checked against
 * PIL's pixels in classifier-core's DecodeTest.
 */
class BmpImageTest {
    private static final byte[] PALETTE_4 = {0, 20, 30, 0, 10, 21, 31, 0, 20, 22, 32, 0,
        30, 23, 33, 0};

    static byte[] bmp(int width, int height, int bits, int compression, int colors,
            byte[] palette, byte[] pixels) {
        ByteBuffer header = ByteBuffer.allocate(54).order(ByteOrder.LITTLE_ENDIAN);
        header.put((byte) 'B').put((byte) 'M').putInt(54 + palette.length + pixels.length)
                .putInt(0).putInt(54 + palette.length).putInt(40).putInt(width).putInt(height)
                .putShort((short) 1).putShort((short) bits).putInt(compression)
                .putInt(pixels.length).putInt(2835).putInt(2835).putInt(colors).putInt(0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header.array());
        out.writeBytes(palette);
        out.writeBytes(pixels);
        return out.toByteArray();
    }

    static String rgb(byte[] file) throws DecodeException {
        byte[] data = BmpImage.read(file).pixels(ColorMode.RGB).data();
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < data.length; i += 3) {
            s.append(i == 0 ? "" : " ").append(data[i] & 0xFF).append(',')
                    .append(data[i + 1] & 0xFF).append(',').append(data[i + 2] & 0xFF);
        }
        return s.toString();
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Test
    void aDeltaEscapeIsReadAsPil94ReadsIt() throws DecodeException {
        // run, delta (2 right, 1 up), run, end: PIL takes the offsets from "1, 3"
        byte[] rle = bytes(1, 2, 0, 2, 2, 1, 1, 3, 0, 1);
        assertThat(rgb(bmp(4, 2, 8, 1, 4, PALETTE_4, rle)),
                is("30,20,0 30,20,0 30,20,0 30,20,0 32,22,20 30,20,0 30,20,0 30,20,0"));
    }

    @Test
    void aGrayRampPaletteMakesPilReadTheBytesAsGray() throws DecodeException {
        byte[] ramp = new byte[16 * 4];
        for (int i = 0; i < 16; i++) {
            ramp[i * 4] = (byte) i;
            ramp[i * 4 + 1] = (byte) i;
            ramp[i * 4 + 2] = (byte) i;
        }
        // 4-bit pixels 1, 2, 3, 15: PIL reads the row's bytes 0x12, 0x3F, 0, 0 as "L"
        assertThat(rgb(bmp(4, 1, 4, 0, 16, ramp, bytes(0x12, 0x3F, 0, 0))),
                is("18,18,18 63,63,63 0,0,0 0,0,0"));
        // 8-bit pixels with a black and white palette: PIL reads them as 1-bit
        byte[] blackWhite = bytes(0, 0, 0, 0, 255, 255, 255, 0);
        assertThat(rgb(bmp(4, 1, 8, 0, 2, blackWhite, bytes(0, 1, 2, 255))),
                is("0,0,0 0,0,0 0,0,0 0,0,0"));
        // 1-bit pixels with a one-colour black palette: "L" rows are longer than the file's
        DecodeException e = assertThrows(DecodeException.class,
                () -> rgb(bmp(8, 1, 1, 0, 1, bytes(0, 0, 0, 0), bytes(0xA0, 0, 0, 0))));
        assertThat(e.reason(), is(DecodeException.Reason.CORRUPT));
    }

    @Test
    void sixteenBitsAre555AndTopDownRowsComeFirst() throws DecodeException {
        assertThat(rgb(bmp(2, 1, 16, 0, 0, new byte[0], bytes(0xFF, 0x7F, 0x34, 0x12))),
                is("255,255,255 32,139,164"));
        assertThat(rgb(bmp(1, -2, 24, 0, 0, new byte[0], bytes(1, 2, 3, 0, 4, 5, 6, 0))),
                is("3,2,1 6,5,4"));
    }

    @Test
    void sizesNoBitmapCanHaveAreCorruptAndACutFileIsTruncated() {
        DecodeException negative = assertThrows(DecodeException.class,
                () -> BmpImage.read(bmp(-4, 2, 24, 0, 0, new byte[0], new byte[32])));
        assertThat(negative.reason(), is(DecodeException.Reason.CORRUPT));
        assertThat(negative.getMessage(), containsString("claims 4294967292x2 pixels, which no "
                + "bitmap can be"));
        DecodeException zero = assertThrows(DecodeException.class,
                () -> BmpImage.read(bmp(0, 2, 24, 0, 0, new byte[0], new byte[0])));
        assertThat(zero.reason(), is(DecodeException.Reason.CORRUPT));
        DecodeException cut = assertThrows(DecodeException.class,
                () -> rgb(bmp(4, 4, 24, 0, 0, new byte[0], new byte[20])));
        assertThat(cut.getMessage(), containsString("The BMP file is truncated"));
        DecodeException jpeg = assertThrows(DecodeException.class,
                () -> BmpImage.read(bmp(4, 4, 24, 4, 0, new byte[0], new byte[64])));
        assertThat(jpeg.reason(), is(DecodeException.Reason.UNSUPPORTED_FORMAT));
    }

    @Test
    void anRleThatEndsEarlyLeavesIndexZero() throws DecodeException {
        // PIL refuses this file ("not enough image data"); Kodiak reads the rest as index 0
        byte[] rle = bytes(2, 1, 0, 0, 0, 3, 0, 1, 2, 0, 0, 1);
        assertThat(rgb(bmp(4, 2, 8, 1, 4, PALETTE_4, rle)),
                is("30,20,0 31,21,10 32,22,20 30,20,0 31,21,10 31,21,10 30,20,0 30,20,0"));
    }
}
