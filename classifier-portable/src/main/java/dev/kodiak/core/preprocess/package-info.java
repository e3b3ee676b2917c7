/**
 * Preprocessing that matches PIL and torchvision exactly: colour conversion, resize (squish, crop,
 * pad) with PIL's resampling filters, and the float tensor (scale, invert, mean/std, CHW).
 *
 * <p>Pure Java over plain arrays, with no AWT, ImageIO or DJL types, so that TeaVM compiles the
 * same classes for the browser widget: the phone shrinks a photo with the very code the server
 * runs.
 */
package dev.kodiak.core.preprocess;
