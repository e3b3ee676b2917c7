package dev.kodiak.core.decode;

import java.lang.reflect.InvocationTargetException;
import java.util.Locale;

/**
 * Which WebP decoder an {@link ImageDecoder} uses, from the system property {@value #PROPERTY}:
 *
 * <ul>
 *   <li>{@code auto} (the default): libwebp, the library PIL decodes with, through the FFM API
 *       when it can be used (Java 22 or later and the library installed, for example Debian's
 *       {@code libwebpdemux2} and {@code libwebp7}), else {@code java};
 *   <li>{@code libwebp}: that library, or an error when it cannot be used;
 *   <li>{@code java}: ImageIO (TwelveMonkeys): bit-exact with PIL for lossless WebPs, within
 *       noise for lossy ones (its VP8 decoder upsamples chroma otherwise).
 * </ul>
 *
 * <p>{@value #LIBRARY_PROPERTY} names another library file (default {@code libwebpdemux.so.2}
 * on Linux; it links libwebp). The library is loaded once per JVM, when the first decoder asks
 * for it, and that load is logged once, with the reason when it fails. The FFM class is reached
 * only by reflection and only on Java 22 or later, so neither Java 21 nor TeaVM ever sees it.
 */
final class WebpDecoderChoice {
    /** The system property that chooses the decoder. */
    static final String PROPERTY = "kodiak.webp.decoder";
    /** The system property that names the libwebpdemux library file. */
    static final String LIBRARY_PROPERTY = "kodiak.libwebp.library";

    private static final System.Logger LOG = System.getLogger(ImageDecoder.class.getName());
    /** Built from parts so that no tool following class names finds a Java 22 class here. */
    private static final String IMPLEMENTATION = WebpDecoderChoice.class.getPackageName()
            + ".Lib" + "Webp";

    /** The decoders. */
    enum Kind {
        /** libwebp when it can be used, else ImageIO. */
        AUTO,
        /** libwebp through the FFM API. */
        LIBWEBP,
        /** ImageIO (TwelveMonkeys). */
        JAVA;

        /**
         * Reads a property value.
         *
         * @param value {@code auto}, {@code libwebp} or {@code java}, any case; null or blank
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
                case "libwebp" -> LIBWEBP;
                case "java" -> JAVA;
                default -> throw new IllegalArgumentException("Invalid " + PROPERTY + ": '"
                        + value + "'; use auto, libwebp or java");
            };
        }
    }

    private WebpDecoderChoice() {
    }

    /**
     * The native decoder the system property asks for.
     *
     * @return the library, or null for the ImageIO decoder
     * @throws IllegalArgumentException if the property has an invalid value
     * @throws IllegalStateException if it asks for {@code libwebp} and that cannot be used
     */
    static NativeWebp fromProperty() {
        return of(Kind.parse(System.getProperty(PROPERTY)));
    }

    /**
     * The native decoder for a kind.
     *
     * @param kind the decoder wanted
     * @return the library, or null for the ImageIO decoder
     * @throws IllegalStateException if {@code kind} is {@code LIBWEBP} and it cannot be used
     */
    static NativeWebp of(Kind kind) {
        return switch (kind) {
            case JAVA -> null;
            case AUTO -> Library.LIBRARY;
            case LIBWEBP -> {
                if (Library.LIBRARY == null) {
                    throw new IllegalStateException(PROPERTY + "=libwebp, but libwebp cannot be "
                            + "used: " + Library.UNAVAILABLE + "; install libwebp (Debian: "
                            + "libwebpdemux2 and libwebp7) and run on Java 22 or later, or set "
                            + PROPERTY + "=auto");
                }
                yield Library.LIBRARY;
            }
        };
    }

    /**
     * Why libwebp cannot be used here.
     *
     * @return the reason, or null when it can
     */
    static String unavailable() {
        return Library.UNAVAILABLE;
    }

    /** The library, loaded when first needed and kept for the life of the JVM. */
    private static final class Library {
        static final NativeWebp LIBRARY;
        static final String UNAVAILABLE;

        static {
            NativeWebp library = null;
            String reason = null;
            int feature = Runtime.version().feature();
            if (feature < 22) {
                reason = "Java " + feature + " has no FFM API (it is final from Java 22)";
            } else {
                try {
                    library = (NativeWebp) Class.forName(IMPLEMENTATION)
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
                LOG.log(System.Logger.Level.DEBUG, "WebP decoder: libwebp, {0}",
                        library.describe());
            } else {
                LOG.log(System.Logger.Level.INFO, "WebP decoder: java (ImageIO), because "
                        + "libwebp cannot be used: {0}. Install libwebp (Debian: libwebpdemux2 "
                        + "and libwebp7) and run on Java 22+ to decode lossy WebPs exactly as "
                        + "PIL does", reason);
            }
        }
    }
}
