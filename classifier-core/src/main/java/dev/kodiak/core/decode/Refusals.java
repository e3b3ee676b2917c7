package dev.kodiak.core.decode;

import java.util.Locale;

/**
 * The words of the refusals every decoding path shares: damaged, truncated, and the decoder's
 * own warning that the data ended early. Messages say what happened and what to do.
 */
final class Refusals {
    private Refusals() {
    }

    /**
     * A file a decoder failed on.
     *
     * @param format the image's format
     * @param e what the decoder threw; its message, or its type, is quoted
     * @return the exception to throw, {@code CORRUPT}
     */
    static DecodeException corrupt(ImageFormat format, Exception e) {
        String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new DecodeException(DecodeException.Reason.CORRUPT, "The " + format
                + " image is damaged or truncated and cannot be decoded (" + detail + "); "
                + "open it in an image viewer, re-save it, and send it again", e);
    }

    /**
     * A file that ends before its image does.
     *
     * @param format the image's format
     * @param warning the decoder's words for it
     * @return the exception to throw, {@code CORRUPT}
     */
    static DecodeException truncated(ImageFormat format, String warning) {
        return new DecodeException(DecodeException.Reason.CORRUPT, "The " + format
                + " file is truncated (" + warning + "); send the whole file");
    }

    /**
     * Whether a decoder's warning says the data ended early (ImageIO's and libjpeg's words).
     *
     * @param warning the warning
     * @return true for "premature end" or "truncated"
     */
    static boolean saysTruncated(String warning) {
        String lower = warning.toLowerCase(Locale.ROOT);
        return lower.contains("premature end") || lower.contains("truncated");
    }
}
