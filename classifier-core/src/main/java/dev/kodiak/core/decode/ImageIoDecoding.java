package dev.kodiak.core.decode;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decoding through an ImageIO plugin ({@link ImageIoReaders}): the header's size checked
 * against the limits before the reader allocates pixels, its samples turned into pixels by a
 * rule of PIL's, its warnings of data that ended early turned into errors, and whatever it
 * throws on hostile bytes turned into {@code CORRUPT}. Stateless.
 */
final class ImageIoDecoding {
    private static final System.Logger LOG = System.getLogger(ImageDecoder.class.getName());

    /** Turns what the reader decodes into pixels, by the format's rules. */
    interface Samples {
        /**
         * Reads image 0 and converts it.
         *
         * @param reader the reader, its input set and its header checked
         * @return the stored pixels, before the EXIF orientation
         * @throws IOException if the reader fails
         * @throws DecodeException if the samples are of a kind Kodiak refuses
         */
        Pixels read(ImageReader reader) throws IOException, DecodeException;
    }

    private ImageIoDecoding() {
    }

    /**
     * Reads format, size and orientation from the header, without decoding pixels.
     *
     * @param format the format, sniffed from the bytes
     * @param bytes the encoded image
     * @return what the header says
     * @throws DecodeException {@code CORRUPT} if the reader cannot read the header
     */
    static ImageInfo readHeader(ImageFormat format, byte[] bytes) throws DecodeException {
        ImageReader reader = ImageIoReaders.reader(format);
        try (ImageInputStream in = new ByteImageInput(bytes)) {
            reader.setInput(in, true, true);
            return new ImageInfo(format, reader.getWidth(0), reader.getHeight(0),
                    Headers.orientation(format, bytes));
        } catch (IOException | RuntimeException e) {
            throw Refusals.corrupt(format, e);
        } finally {
            reader.dispose();
        }
    }

    /**
     * Decodes an image: header, limits, samples, warnings, orientation.
     *
     * @param format the format, sniffed from the bytes
     * @param bytes the encoded image
     * @param mode the colour mode wanted
     * @param limits the limits the header's size must meet
     * @param samples the rule that turns the decoded samples into pixels
     * @return the upright pixels
     * @throws DecodeException {@code TOO_LARGE} from the header, {@code CORRUPT} for damaged
     *     or truncated data
     */
    static Pixels decode(ImageFormat format, byte[] bytes, ColorMode mode, ImageLimits limits,
            Samples samples) throws DecodeException {
        ImageReader reader = ImageIoReaders.reader(format);
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        try (ImageInputStream in = new ByteImageInput(bytes)) {
            reader.setInput(in, true, true);
            limits.check(format, reader.getWidth(0), reader.getHeight(0), mode.channels());
            Pixels pixels = samples.read(reader);
            for (String warning : warnings) {
                if (Refusals.saysTruncated(warning)) {
                    throw Refusals.truncated(format, warning);
                }
                LOG.log(System.Logger.Level.DEBUG, "decoder warning on {0} image: {1}",
                        format, warning);
            }
            return pixels.orient(Headers.orientation(format, bytes));
        } catch (DecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw Refusals.corrupt(format, e);
        } finally {
            reader.dispose();
        }
    }
}
