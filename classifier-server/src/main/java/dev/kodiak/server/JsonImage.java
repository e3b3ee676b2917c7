package dev.kodiak.server;

import java.util.Locale;

/**
 * The top-level {@code "image"} string of a JSON request body, found and base64-decoded straight
 * from the body's bytes. A JSON parser would first make the string (a 10 MB body is a 10 MB
 * string, held as characters while it grows, then copied), and base64 decoding would copy it
 * again: about ten times the body in all. Here the image costs only its decoded bytes; the rest
 * of the body, with the image's value blanked out, is small and goes to the JSON parser, which
 * still checks the whole document's syntax.
 *
 * <p>The scan follows JSON's structure (strings and their escapes, nesting) only far enough to
 * find top-level members; anything malformed is left for the parser to report.
 *
 * <p>Stateless; thread-safe.
 */
final class JsonImage {
    /** Base64 values of ASCII characters, both alphabets (standard and URL-safe); -1 elsewhere. */
    private static final int[] VALUES = new int[128];

    static {
        java.util.Arrays.fill(VALUES, -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < alphabet.length(); i++) {
            VALUES[alphabet.charAt(i)] = i;
        }
        VALUES['-'] = 62;
        VALUES['_'] = 63;
    }

    private JsonImage() {
    }

    /**
     * Where the top-level {@code "image"} member's string value lies in the body.
     *
     * @param start the index of its first byte, after the opening quote
     * @param end the index of its closing quote
     * @param count how many top-level {@code "image"} members the body has
     */
    record Span(int start, int end, int count) {
    }

    /**
     * Finds the value of the top-level {@code "image"} member, when it is a string.
     *
     * @param json the body
     * @return where the value is, or null when there is none or the body is not an object
     */
    static Span find(byte[] json) {
        int at = space(json, 0);
        if (at >= json.length || json[at] != '{') {
            return null;
        }
        Span found = null;
        int count = 0;
        at = space(json, at + 1);
        while (at < json.length && json[at] == '"') {
            int keyEnd = stringEnd(json, at);
            if (keyEnd < 0) {
                break;
            }
            boolean image = isImage(json, at + 1, keyEnd);
            at = space(json, keyEnd + 1);
            if (at >= json.length || json[at] != ':') {
                break;
            }
            at = space(json, at + 1);
            if (at >= json.length) {
                break;
            }
            int valueEnd;
            if (json[at] == '"') {
                valueEnd = stringEnd(json, at);
                if (valueEnd < 0) {
                    break;
                }
                if (image) {
                    found = new Span(at + 1, valueEnd, 0);
                }
                valueEnd++;
            } else {
                valueEnd = skipValue(json, at);
            }
            count += image ? 1 : 0;
            at = space(json, valueEnd);
            if (at >= json.length || json[at] != ',') {
                break;
            }
            at = space(json, at + 1);
        }
        return found == null ? null : new Span(found.start(), found.end(), count);
    }

    /**
     * The body with the content of every string longer than {@code longest} bytes emptied (the
     * image's among them): what a JSON parser may read without building large strings. No
     * parameter Kodiak reads is that long.
     *
     * @param json the body
     * @param longest the longest string kept
     * @return the body itself when nothing is that long, else a smaller copy
     */
    static byte[] slim(byte[] json, int longest) {
        int[] cuts = new int[16];
        int n = 0;
        long removed = 0;
        for (int at = 0; at < json.length; at++) {
            if (json[at] != '"') {
                continue;
            }
            int close = stringEnd(json, at);
            int end = close < 0 ? json.length : close;
            if (end - at - 1 > longest) {
                if (n == cuts.length) {
                    cuts = java.util.Arrays.copyOf(cuts, n * 2);
                }
                cuts[n++] = at + 1;
                cuts[n++] = end;
                removed += end - at - 1;
            }
            at = end;
        }
        if (n == 0) {
            return json;
        }
        byte[] out = new byte[(int) (json.length - removed)];
        int from = 0;
        int to = 0;
        for (int i = 0; i < n; i += 2) {
            System.arraycopy(json, from, out, to, cuts[i] - from);
            to += cuts[i] - from;
            from = cuts[i + 1];
        }
        System.arraycopy(json, from, out, to, json.length - from);
        return out;
    }

    /**
     * Decodes the image's value: standard or URL-safe base64, optionally inside a
     * {@code data:...;base64,} URL, with JSON escapes ({@code \/}, {@code \n}, {@code \u0041})
     * and whitespace allowed, as line-wrapping encoders write it.
     *
     * @param json the body
     * @param span the image's value
     * @param reserve called with the decoded size before the bytes are allocated (it may refuse
     *     by throwing)
     * @return the image's bytes
     * @throws ApiException 400 {@code INVALID_BASE64} naming the first character that is not
     *     base64 and its position
     */
    static byte[] decode(byte[] json, Span span, java.util.function.LongConsumer reserve) {
        Chars chars = new Chars(json, span);
        int from = dataUrlStart(chars);
        int before = from == 0 ? 0 : chars.position();
        // first pass: check, and count the bytes
        long count = 0;
        int padding = 0;
        chars.seek(from, before);
        for (int c; (c = chars.next()) >= 0; ) {
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                continue;
            }
            if (c == '=') {
                padding++;
                if (padding > 2) {
                    throw invalid("it has more than two '=' at its end");
                }
                continue;
            }
            if (padding > 0) {
                throw invalid("it has " + describe(c) + " after its '=' padding, at position "
                        + chars.position());
            }
            if (c >= 128 || VALUES[c] < 0) {
                throw invalid("it holds " + describe(c) + " at position " + chars.position()
                        + ", which is not in base64's alphabet (A-Z, a-z, 0-9, + and /, or - "
                        + "and _)");
            }
            count++;
        }
        if (count % 4 == 1) {
            throw invalid("its last group has a single character; the data was cut short");
        }
        if (padding > 0 && (count + padding) % 4 != 0) {
            throw invalid("its '=' padding does not complete a group of four characters");
        }
        long size = count / 4 * 3 + Math.max(0, count % 4 - 1);
        if (size == 0) {
            return new byte[0];
        }
        reserve.accept(size);
        byte[] out = new byte[(int) size];
        chars.seek(from, before);
        int bits = 0;
        int held = 0;
        int at = 0;
        for (int c; (c = chars.next()) >= 0 && at < out.length; ) {
            if (c >= 128 || VALUES[c] < 0) {
                continue; // whitespace or padding, checked above
            }
            bits = bits << 6 | VALUES[c];
            held += 6;
            if (held >= 8) {
                held -= 8;
                out[at++] = (byte) (bits >> held);
            }
        }
        return out;
    }

    /** Skips a {@code data:...;base64,} prefix; returns where the base64 starts. */
    private static int dataUrlStart(Chars chars) {
        chars.seek(0, 0);
        StringBuilder head = new StringBuilder();
        for (int c; head.length() < 5 && (c = chars.next()) >= 0; ) {
            if (head.length() == 0 && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
                continue;
            }
            head.append((char) c);
        }
        if (!head.toString().toLowerCase(Locale.ROOT).equals("data:")) {
            return 0;
        }
        StringBuilder media = new StringBuilder();
        for (int c; (c = chars.next()) >= 0; ) {
            if (c == ',') {
                if (!media.toString().toLowerCase(Locale.ROOT).endsWith(";base64")) {
                    break;
                }
                return chars.offset();
            }
            if (media.length() < 256) {
                media.append((char) c);
            }
        }
        throw ApiException.badRequest("INVALID_BASE64", "The data: URL is not base64 encoded; "
                + "send data:image/...;base64,<data>");
    }

    private static ApiException invalid(String why) {
        return ApiException.badRequest("INVALID_BASE64", "The 'image' field is not valid base64: "
                + why + "; send the file's bytes in base64");
    }

    private static String describe(int c) {
        return c >= 0x21 && c < 0x7F ? "'" + (char) c + "'"
                : String.format(Locale.ROOT, "the character U+%04X", c);
    }

    /** The characters of a JSON string value, escapes decoded, with their positions. */
    private static final class Chars {
        private final byte[] json;
        private final int start;
        private final int end;
        private int at;
        private int position;

        Chars(byte[] json, Span span) {
            this.json = json;
            this.start = span.start();
            this.end = span.end();
            this.at = start;
        }

        /**
         * Goes to a byte offset within the value, as {@link #offset()} gave it, where
         * {@code characters} characters lie before it.
         */
        void seek(int offset, int characters) {
            at = start + offset;
            position = characters;
        }

        /** The byte offset of the next character within the value. */
        int offset() {
            return at - start;
        }

        /** The position of the last character returned, counted in characters from 1. */
        int position() {
            return position;
        }

        /** The next character (a code point), or -1 at the end of the value. */
        int next() {
            if (at >= end) {
                return -1;
            }
            position++;
            int b = json[at++] & 0xFF;
            if (b == '\\' && at < end) {
                int e = json[at++];
                return switch (e) {
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    case 't' -> '\t';
                    case 'b' -> '\b';
                    case 'f' -> '\f';
                    case 'u' -> unicode();
                    default -> e; // \" \\ \/ and anything the parser will refuse
                };
            }
            if (b < 0x80) {
                return b;
            }
            // a multi-byte UTF-8 character: never base64; report it whole
            int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : 1;
            int cp = b & (0x3F >> extra);
            for (int i = 0; i < extra && at < end; i++) {
                cp = cp << 6 | json[at++] & 0x3F;
            }
            return cp;
        }

        private int unicode() {
            if (at + 4 > end) {
                at = end;
                return 0xFFFD;
            }
            int v = 0;
            for (int i = 0; i < 4; i++) {
                int d = Character.digit(json[at++], 16);
                if (d < 0) {
                    return 0xFFFD;
                }
                v = v << 4 | d;
            }
            return v;
        }
    }

    private static int space(byte[] json, int at) {
        while (at < json.length && (json[at] == ' ' || json[at] == '\t' || json[at] == '\n'
                || json[at] == '\r')) {
            at++;
        }
        return at;
    }

    /** The index of the quote that ends the string starting at {@code quote}, or -1. */
    private static int stringEnd(byte[] json, int quote) {
        for (int at = quote + 1; at < json.length; at++) {
            if (json[at] == '\\') {
                at++;
            } else if (json[at] == '"') {
                return at;
            }
        }
        return -1;
    }

    /** Whether a member's name, between its quotes, is {@code image} (escapes decoded). */
    private static boolean isImage(byte[] json, int start, int end) {
        if (end - start > 40) {
            return false;
        }
        Chars chars = new Chars(json, new Span(start, end, 0));
        StringBuilder name = new StringBuilder();
        for (int c; (c = chars.next()) >= 0; ) {
            name.appendCodePoint(c);
        }
        return name.toString().equals("image");
    }

    /** The index just past a value that is not a string: a number, literal, object or array. */
    private static int skipValue(byte[] json, int at) {
        int depth = 0;
        while (at < json.length) {
            byte b = json[at];
            if (b == '"') {
                int close = stringEnd(json, at);
                if (close < 0) {
                    return json.length;
                }
                at = close + 1;
                continue;
            }
            if (b == '{' || b == '[') {
                depth++;
            } else if (b == '}' || b == ']') {
                if (depth == 0) {
                    return at;
                }
                depth--;
                if (depth == 0) {
                    return at + 1;
                }
            } else if (depth == 0 && (b == ',' || b == ' ' || b == '\t' || b == '\n'
                    || b == '\r')) {
                return at;
            }
            at++;
        }
        return at;
    }
}
