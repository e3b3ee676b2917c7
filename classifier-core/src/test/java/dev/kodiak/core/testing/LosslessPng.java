package dev.kodiak.core.testing;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/** Pixels written as a PNG that decodes to exactly the same values (8-bit gray or RGB). */
public final class LosslessPng {
    private LosslessPng() {
    }

    /**
     * Encodes the pixels.
     *
     * @param pixels 8-bit L or RGB pixels, e.g. an image core has resized as the widget does
     * @return the PNG's bytes
     * @throws IOException if ImageIO cannot write a PNG
     */
    public static byte[] of(Pixels pixels) throws IOException {
        boolean gray = pixels.mode() == ColorMode.L;
        BufferedImage image = new BufferedImage(pixels.width(), pixels.height(),
                gray ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < pixels.height(); y++) {
            for (int x = 0; x < pixels.width(); x++) {
                if (gray) {
                    image.getRaster().setSample(x, y, 0, pixels.get(x, y, 0));
                } else {
                    image.setRGB(x, y, pixels.get(x, y, 0) << 16 | pixels.get(x, y, 1) << 8
                            | pixels.get(x, y, 2));
                }
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
