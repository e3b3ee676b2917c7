package dev.kodiak.core.decode;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * The corners of PIL 9.4's {@code getexif} for PNGs that the fixtures (made by
 * tools/make_fixtures.py, checked against PIL's pixels in DecodeTest) do not reach: the hex of
 * ImageMagick's raw profile, the XMP search, text PIL would not decode.
 */
class PngMetadataTest {
    private static final byte[] EXIF_6 = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 1, 0x12, 0, 3, 0, 0,
        0, 1, 0, 6, 0, 0, 0, 0, 0, 0};

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] png(byte[]... chunks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        out.writeBytes(chunk("IHDR", new byte[] {0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0}));
        for (byte[] c : chunks) {
            out.writeBytes(c);
        }
        out.writeBytes(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    static byte[] chunk(String type, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(data.length >>> 24);
        out.write(data.length >>> 16);
        out.write(data.length >>> 8);
        out.write(data.length);
        out.writeBytes(ascii(type));
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(ascii(type));
        crc.update(data);
        long v = crc.getValue();
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.write((int) (v >>> shift));
        }
        return out.toByteArray();
    }

    static byte[] text(String key, byte[] value) {
        byte[] k = ascii(key + "\0");
        byte[] data = new byte[k.length + value.length];
        System.arraycopy(k, 0, data, 0, k.length);
        System.arraycopy(value, 0, data, k.length, value.length);
        return chunk("tEXt", data);
    }

    static byte[] itxt(String key, byte[] value) {
        byte[] head = ascii(key + "\0\0\0\0\0");
        byte[] data = new byte[head.length + value.length];
        System.arraycopy(head, 0, data, 0, head.length);
        System.arraycopy(value, 0, data, head.length, value.length);
        return chunk("iTXt", data);
    }

    static final byte[] IDAT = chunk("IDAT", new byte[] {0x78, 1});

    @Test
    void rawProfileHexRunsAcrossLinesAndSkipsSpacesBetweenBytes() {
        String hex = "4d4d002a00000008000101120003000000010006000000000000";
        String text = "\nexif\n      26\n" + hex.substring(0, 7) + "\n" + hex.substring(7, 20)
                + " \t" + hex.substring(20) + "\n";
        assertThat(PngMetadata.rawProfileBytes(ascii(text)), is(EXIF_6));
        assertThat(PngMetadata.orientation(png(text("Raw profile type exif", ascii(text)),
                IDAT)), is(6));
        // a space inside a byte's two digits: bytes.fromhex fails, so no orientation
        assertThat(PngMetadata.rawProfileBytes(ascii("\na\n1\n4 d")), is(nullValue()));
        assertThat(PngMetadata.rawProfileBytes(ascii("\nexif\n")).length, is(0));
    }

    @Test
    void xmpIsSearchedForItsFirstWholeMatch() {
        assertThat(PngMetadata.xmpOrientation(ascii("tiff:Orientation=\"x\" "
                + "tiff:Orientation>6")), is(6));
        assertThat(PngMetadata.xmpOrientation(ascii("tiff:Orientation='3'")), is(-1));
        assertThat(PngMetadata.xmpOrientation(ascii("tiff:Orientation=\"9\"")), is(9));
        assertThat(PngMetadata.orientation(png(text("XML:com.adobe.xmp",
                ascii("<x tiff:Orientation=\"9\"/>")), IDAT)), is(1));
        assertThat(PngMetadata.xmpOrientation(ascii("tiff:Orientation>")), is(-1));
    }

    @Test
    void anExifTagOfAnyValueHidesTheXmp() {
        byte[] exif9 = EXIF_6.clone();
        exif9[19] = 9;
        assertThat(PngMetadata.orientation(png(chunk("eXIf", exif9),
                text("XML:com.adobe.xmp", ascii("tiff:Orientation=\"6\"")), IDAT)), is(1));
    }

    @Test
    void theLastChunkOfAKeyWinsAndTextPilCannotDecodeDoesNotCount() {
        assertThat(PngMetadata.orientation(png(text("XML:com.adobe.xmp",
                ascii("tiff:Orientation=\"6\"")), IDAT, text("XML:com.adobe.xmp",
                ascii("tiff:Orientation=\"3\"")))), is(3));
        byte[] notUtf8 = ascii("tiff:Orientation=\"8\" \u00ff");
        assertThat(PngMetadata.orientation(png(itxt("XML:com.adobe.xmp", notUtf8), IDAT)),
                is(1));
        assertThat(PngMetadata.orientation(png(itxt("XML:com.adobe.xmp",
                "tiff:Orientation=\"8\" é".getBytes(StandardCharsets.UTF_8)), IDAT)), is(8));
        // tEXt with the key "exif" is info["exif"] itself
        assertThat(PngMetadata.orientation(png(text("exif", EXIF_6), IDAT)), is(6));
    }

    @Test
    void textPastPilsSixtyFourMegabytesIsNotRead() {
        java.util.List<byte[]> chunks = new java.util.ArrayList<>();
        for (int i = 0; i < 70; i++) {
            byte[] text = new byte[1 << 20];
            byte[] tag = ascii("tiff:Orientation=\"" + (i < 66 ? 3 : 6) + "\"");
            System.arraycopy(tag, 0, text, 0, tag.length);
            java.util.zip.Deflater deflater = new java.util.zip.Deflater(9);
            deflater.setInput(text);
            deflater.finish();
            byte[] zlib = new byte[1 << 16];
            int n = deflater.deflate(zlib);
            deflater.end();
            byte[] head = ascii("XML:com.adobe.xmp\0\0");
            byte[] data = new byte[head.length + n];
            System.arraycopy(head, 0, data, 0, head.length);
            System.arraycopy(zlib, 0, data, head.length, n);
            chunks.add(chunk("zTXt", data));
        }
        chunks.add(IDAT);
        // the last four say 6, but PIL refuses the file by then: Kodiak stops reading text
        assertThat(PngMetadata.orientation(png(chunks.toArray(new byte[0][]))), is(3));
    }

    @Test
    void utf8IsStrict() {
        assertThat(PngMetadata.utf8(new byte[] {(byte) 0xC0, (byte) 0x80}, 0, 2), is(false));
        assertThat(PngMetadata.utf8(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, 0, 3),
                is(false));
        assertThat(PngMetadata.utf8(new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98,
            (byte) 0x80}, 0, 4), is(true));
        assertThat(PngMetadata.utf8(new byte[] {(byte) 0xE2, (byte) 0x82}, 0, 2), is(false));
    }
}
