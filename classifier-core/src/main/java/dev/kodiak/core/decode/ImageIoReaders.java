package dev.kodiak.core.decode;

import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;

/**
 * Chooses the ImageIO plugin that reads a format, for the JPEGs and WebPs no native library
 * takes: TwelveMonkeys' JPEG reader over the JDK's (it hands over raw components, CMYK and YCCK
 * included), the first registered reader for the others. Each call returns a new reader, which
 * the caller disposes.
 */
final class ImageIoReaders {
    private ImageIoReaders() {
    }

    /**
     * A new reader for a format.
     *
     * @param format the format
     * @return the reader; dispose it
     * @throws DecodeException {@code UNSUPPORTED_FORMAT} when no plugin reads the format
     */
    static ImageReader reader(ImageFormat format) throws DecodeException {
        String name = format.name().toLowerCase(Locale.ROOT);
        ImageReader reader = find(name);
        if (reader == null) {
            ImageIO.scanForPlugins(); // for class loaders that hid the plugins at first use
            reader = find(name);
        }
        if (reader == null) {
            throw new DecodeException(DecodeException.Reason.UNSUPPORTED_FORMAT, "No " + format
                    + " decoder is on the class path; add com.twelvemonkeys.imageio:imageio-"
                    + name + " to the application");
        }
        return reader;
    }

    private static ImageReader find(String name) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(name);
        ImageReader first = null;
        while (readers.hasNext()) {
            ImageReader candidate = readers.next();
            if (!name.equals("jpeg")
                    || candidate.getClass().getName().startsWith("com.twelvemonkeys")) {
                if (first != null) {
                    first.dispose();
                }
                return candidate;
            }
            if (first == null) {
                first = candidate;
            } else {
                candidate.dispose();
            }
        }
        return first;
    }
}
