package dev.kodiak.core.decode;

import java.lang.reflect.InvocationTargetException;
import java.util.Locale;

/**
 * Which JPEG decoder an {@link ImageDecoder} uses, from the system property
 * {@value #PROPERTY}:
 *
 * <ul>
 *   <li>{@code auto} (the default): libjpeg-turbo's TurboJPEG library through the FFM API when
 *       it can be used (Java 22 or later and the library installed, for example Debian's
 *       {@code libturbojpeg0}), else {@code java};
 *   <li>{@code turbojpeg}: that library, or an error when it cannot be used;
 *   <li>{@code java}: ImageIO (TwelveMonkeys over the JDK's libjpeg 6b), as before: bit-exact
 *       with PIL except 4:4:0 chroma subsampling.
 * </ul>
 *
 * <p>{@value #LIBRARY_PROPERTY} names another library file (default {@code libturbojpeg.so.0}
 * on Linux). The library is loaded once per JVM, when the first decoder asks for it, and that
 * load is logged once, with the reason when it fails. The FFM class is reached only by
 * reflection and only on Java 22 or later, so neither Java 21 nor TeaVM ever sees it.
 */
final class JpegDecoderChoice {
    /** The system property that chooses the decoder. */
    static final String PROPERTY = "kodiak.jpeg.decoder";
    /** The system property that names the TurboJPEG library file. */
    static final String LIBRARY_PROPERTY = "kodiak.turbojpeg.library";

    private static final System.Logger LOG = System.getLogger(ImageDecoder.class.getName());
    /** Built from parts so that no tool following class names finds a Java 22 class here. */
    private static final String IMPLEMENTATION = JpegDecoderChoice.class.getPackageName()
            + ".Turbo" + "Jpeg";

    /** The decoders. */
    enum Kind {
        /** TurboJPEG when it can be used, else ImageIO. */
        AUTO,
        /** TurboJPEG through the FFM API. */
        TURBOJPEG,
        /** ImageIO over the JDK's libjpeg. */
        JAVA;

        /**
         * Reads a property value.
         *
         * @param value {@code auto}, {@code turbojpeg} or {@code java}, any case; null or blank
         *     means {@code auto}
         * @return the kind
         * @throws IllegalArgumentException for any other value
         */
        static Kind parse(String value) {
            if (value == null || value.isBlank()) {
                return AUTO;
            }
            return switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "auto" -> AUTO;
                case "turbojpeg" -> TURBOJPEG;
                case "java" -> JAVA;
                default -> throw new IllegalArgumentException("Invalid " + PROPERTY + ": '"
                        + value + "'; use auto, turbojpeg or java");
            };
        }
    }

    private JpegDecoderChoice() {
    }

    /**
     * The native decoder the system property asks for.
     *
     * @return the library, or null for the ImageIO decoder
     * @throws IllegalArgumentException if the property has an invalid value
     * @throws IllegalStateException if it asks for {@code turbojpeg} and that cannot be used
     */
    static NativeJpeg fromProperty() {
        return of(Kind.parse(System.getProperty(PROPERTY)));
    }

    /**
     * The native decoder for a kind.
     *
     * @param kind the decoder wanted
     * @return the library, or null for the ImageIO decoder
     * @throws IllegalStateException if {@code kind} is {@code TURBOJPEG} and it cannot be used
     */
    static NativeJpeg of(Kind kind) {
        return switch (kind) {
            case JAVA -> null;
            case AUTO -> Turbo.LIBRARY;
            case TURBOJPEG -> {
                if (Turbo.LIBRARY == null) {
                    throw new IllegalStateException(PROPERTY + "=turbojpeg, but TurboJPEG "
                            + "cannot be used: " + Turbo.UNAVAILABLE + "; install libjpeg-turbo's "
                            + "TurboJPEG library (Debian: libturbojpeg0) and run on Java 22 or "
                            + "later, or set " + PROPERTY + "=auto");
                }
                yield Turbo.LIBRARY;
            }
        };
    }

    /**
     * Why TurboJPEG cannot be used here.
     *
     * @return the reason, or null when it can
     */
    static String unavailable() {
        return Turbo.UNAVAILABLE;
    }

    /** The library, loaded when first needed and kept for the life of the JVM. */
    private static final class Turbo {
        static final NativeJpeg LIBRARY;
        static final String UNAVAILABLE;

        static {
            NativeJpeg library = null;
            String reason = null;
            int feature = Runtime.version().feature();
            if (feature < 22) {
                reason = "Java " + feature + " has no FFM API (it is final from Java 22)";
            } else {
                try {
                    library = (NativeJpeg) Class.forName(IMPLEMENTATION)
                            .getDeclaredConstructor(String.class)
                            .newInstance(System.getProperty(LIBRARY_PROPERTY));
                } catch (InvocationTargetException e) {
                    Throwable cause = e.getCause();
                    reason = cause.getClass().getSimpleName() + ": " + cause.getMessage();
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    reason = e.getClass().getSimpleName() + ": " + e.getMessage();
                }
            }
            LIBRARY = library;
            UNAVAILABLE = reason;
            if (library != null) {
                LOG.log(System.Logger.Level.DEBUG, "JPEG decoder: turbojpeg, {0}",
                        library.describe());
            } else {
                LOG.log(System.Logger.Level.INFO, "JPEG decoder: java (ImageIO), because "
                        + "TurboJPEG cannot be used: {0}. Install libjpeg-turbo''s TurboJPEG "
                        + "library (Debian: libturbojpeg0) and run on Java 22+ for faster JPEG "
                        + "decoding, exact for 4:4:0 photos too", reason);
            }
        }
    }
}
