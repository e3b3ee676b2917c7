/**
 * Bytes to pixels for every format users upload (JPEG, PNG, GIF, BMP, WebP), with EXIF
 * orientation applied and colours converted exactly as PIL's {@code Image.convert} does.
 * Hostile input fails fast with a typed {@link dev.kodiak.core.decode.DecodeException}: the image
 * size is read from the header and checked before any pixel memory is allocated.
 *
 * <p>PNGs, GIFs and BMPs are read by Kodiak's own decoders (in classifier-portable, shared with
 * the browser widget). JPEGs go through libjpeg-turbo's TurboJPEG library and WebPs through
 * libwebp (PIL's own decoders) by the FFM API on Java 22 and later when the libraries are
 * installed, else through ImageIO; the system properties {@code kodiak.jpeg.decoder} and
 * {@code kodiak.webp.decoder} choose. The classes that use the FFM API are compiled for Java 22
 * from {@code src/main/java22} and loaded by reflection, so the package still runs on Java 21.
 */
package dev.kodiak.core.decode;
