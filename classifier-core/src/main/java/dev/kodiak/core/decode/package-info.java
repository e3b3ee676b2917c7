/**
 * Bytes to pixels for every format users upload (JPEG, PNG, GIF, BMP, WebP), with EXIF
 * orientation applied and colours converted exactly as PIL's {@code Image.convert} does.
 * Hostile input fails fast with a typed {@link dev.kodiak.core.decode.DecodeException}: the image
 * size is read from the header and checked before any pixel memory is allocated.
 */
package dev.kodiak.core.decode;
