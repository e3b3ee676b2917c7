package dev.kodiak.cli;

import dev.kodiak.core.decode.DecodeException;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Interpolation;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Resampler;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import javax.imageio.ImageIO;

/**
 * Small PNG thumbnails of image files, EXIF orientation applied: as data: URLs, so that an HTML
 * report is one self-contained file, or as bytes for {@code clean}'s page.
 */
public final class Thumbnails {
    private Thumbnails() {
    }

    /**
     * A thumbnail as a data: URL (see {@link #thumbnail}).
     *
     * @return a {@code data:image/png;base64,...} URL, or null when the file cannot be read
     */
    static String dataUrl(Path file, int box) {
        byte[] png = thumbnail(file, box);
        return png == null ? null : "data:image/png;base64," + Base64.getEncoder()
                .encodeToString(png);
    }

    /**
     * A PNG thumbnail that fits in a {@code box} x {@code box} square: tiny images are enlarged by
     * whole factors with nearest neighbour (crisp pixels), large ones shrunk with PIL's bilinear.
     *
     * @param file the image file
     * @param box the square's side, in pixels
     * @return the PNG, or null when the file cannot be read or is not an image
     */
    public static byte[] thumbnail(Path file, int box) {
        try {
            return thumbnail(Files.readAllBytes(file), box);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * A PNG thumbnail of an image's bytes (see {@link #thumbnail(Path, int)}).
     *
     * @param bytes an image file's bytes
     * @param box the square's side, in pixels
     * @return the PNG, or null when the bytes are not a readable image
     */
    public static byte[] thumbnail(byte[] bytes, int box) {
        try {
            Pixels pixels = new ImageDecoder().decode(bytes, ColorMode.RGB);
            int longest = Math.max(pixels.width(), pixels.height());
            Pixels small;
            if (longest <= box) {
                int factor = Math.max(1, box / longest);
                small = Resampler.resize(pixels, pixels.width() * factor,
                        pixels.height() * factor, Interpolation.NEAREST);
            } else {
                double scale = (double) box / longest;
                small = Resampler.resize(pixels, Math.max(1, (int) Math.round(pixels.width()
                        * scale)), Math.max(1, (int) Math.round(pixels.height() * scale)),
                        Interpolation.BILINEAR);
            }
            return png(small);
        } catch (IOException | DecodeException e) {
            return null;
        }
    }

    /** Encodes RGB pixels as PNG. */
    static byte[] png(Pixels pixels) throws IOException {
        BufferedImage image = new BufferedImage(pixels.width(), pixels.height(),
                BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < pixels.height(); y++) {
            for (int x = 0; x < pixels.width(); x++) {
                image.setRGB(x, y, pixels.get(x, y, 0) << 16 | pixels.get(x, y, 1) << 8
                        | pixels.get(x, y, 2));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
