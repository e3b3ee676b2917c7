package dev.kodiak.server;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;

/** Images the server tests make on the fly: large ones that would not belong in git. */
public final class TestImages {
    private TestImages() {
    }

    /**
     * A valid 16-bit RGBA PNG: a colour band on a grey field, which deflate packs into well
     * under a megabyte.
     */
    public static byte[] png16Rgba(int width, int height) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream h = new DataOutputStream(ihdr);
        h.writeInt(width);
        h.writeInt(height);
        h.write(new byte[] {16, 6, 0, 0, 0});
        chunk(png, "IHDR", ihdr.toByteArray());
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(idat)) {
            byte[] row = new byte[1 + width * 8];
            for (int y = 0; y < height; y++) {
                row[0] = 0;
                boolean band = y / 500 % 2 == 0;
                for (int x = 0; x < width; x++) {
                    int at = 1 + x * 8;
                    int v = band && x > 1000 && x < 6000 ? 0xC000 : 0x8000;
                    for (int c = 0; c < 3; c++) {
                        row[at + 2 * c] = (byte) (v >> 8);
                        row[at + 2 * c + 1] = (byte) (c * 17);
                    }
                    row[at + 6] = (byte) 0xFF;
                    row[at + 7] = (byte) 0xFF;
                }
                z.write(row);
            }
        }
        chunk(png, "IDAT", idat.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data)
            throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(data.length);
        byte[] name = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        d.write(name);
        d.write(data);
        CRC32 crc = new CRC32();
        crc.update(name);
        crc.update(data);
        d.writeInt((int) crc.getValue());
    }
}
