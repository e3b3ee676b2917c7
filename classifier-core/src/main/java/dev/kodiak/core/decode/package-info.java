/**
 * Bytes to pixels for every format users upload (JPEG, PNG, GIF, BMP, WebP), with EXIF
 * orientation applied and colours converted exactly as PIL's {@code Image.convert} does.
 * Hostile input fails fast with a typed {@link dev.kodiak.core.decode.DecodeException}: the image
 * size is read from the header and checked before any pixel memory is allocated.
 *
 * <p>JPEGs go through libjpeg-turbo's TurboJPEG library (PIL's own decoder) by the FFM API on
 * Java 22 and later when the library is installed, else through ImageIO; the system property
 * {@code kodiak.jpeg.decoder} ({@code auto}, {@code turbojpeg}, {@code java}) chooses. The one
 * class that uses the FFM API is compiled for Java 22 from {@code src/main/java22} and loaded by
 * reflection, so the package still runs on Java 21.
 */
package dev.kodiak.core.decode;
