/*
 * Writes an Adobe YCCK JPEG (4 components, APP14 transform 2) from an RGB image, for Kodiak's
 * decoder fixtures: PIL cannot write YCCK, and phones never do, but print workflows and old
 * Photoshop exports still produce them. Needs only the JDK:
 *
 *     java tools/MakeYcckJpeg.java input.png output.jpg
 *
 * The colours are chosen so that PIL's reading (libjpeg YCCK -> inverted CMYK -> convert("RGB"))
 * shows the input photo again, with some black ink (K) in the darker areas.
 */
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.File;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

public final class MakeYcckJpeg {
    private static final String FORMAT = "javax_imageio_jpeg_image_1.0";

    /** Only its type matters: it makes the JDK writer emit an Adobe marker for 4 channels. */
    private static final class Cmyk extends ColorSpace {
        private static final long serialVersionUID = 1L;

        Cmyk() {
            super(ColorSpace.TYPE_CMYK, 4);
        }

        @Override public float[] toRGB(float[] v) { return new float[3]; }
        @Override public float[] fromRGB(float[] v) { return new float[4]; }
        @Override public float[] toCIEXYZ(float[] v) { return new float[3]; }
        @Override public float[] fromCIEXYZ(float[] v) { return new float[4]; }
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    public static void main(String[] args) throws Exception {
        BufferedImage src = ImageIO.read(new File(args[0]));
        int w = src.getWidth();
        int h = src.getHeight();
        WritableRaster ycck = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = src.getRGB(x, y);
                int red = (rgb >> 16) & 255;
                int green = (rgb >> 8) & 255;
                int blue = rgb & 255;
                int k = (255 - Math.max(red, Math.max(green, blue))) / 2;
                double f = 255.0 / (255 - k);
                // libjpeg stores YCC of (255 - stored CMY); PIL un-inverts Adobe CMYK, so the
                // transform's "RGB" is the CMY ink PIL finally sees.
                double r = 255 - Math.min(255, red * f);
                double g = 255 - Math.min(255, green * f);
                double b = 255 - Math.min(255, blue * f);
                ycck.setPixel(x, y, new int[] {
                    clamp(0.299 * r + 0.587 * g + 0.114 * b),
                    clamp(-0.168736 * r - 0.331264 * g + 0.5 * b + 128),
                    clamp(0.5 * r - 0.418688 * g - 0.081312 * b + 128),
                    255 - k});
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.95f);
        ImageTypeSpecifier type = ImageTypeSpecifier.createInterleaved(new Cmyk(),
                new int[] {0, 1, 2, 3}, DataBuffer.TYPE_BYTE, false, false);
        IIOMetadata metadata = writer.getDefaultImageMetadata(type, param);
        IIOMetadataNode root = (IIOMetadataNode) metadata.getAsTree(FORMAT);
        ((IIOMetadataNode) root.getElementsByTagName("app14Adobe").item(0))
                .setAttribute("transform", "2");
        metadata.setFromTree(FORMAT, root);
        try (ImageOutputStream out = ImageIO.createImageOutputStream(new File(args[1]))) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(ycck, null, metadata), param);
        }
        writer.dispose();
    }
}
