package dev.kodiak.server;

import java.util.Locale;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One configuration key, described once: its name, its default, how its text is read, which
 * values it takes, and a line of documentation. {@link ServerSettings} reads every setting of
 * {@link ServerSettings#ALL} through this description, and derives from it the environment
 * variable, the error messages, the list of keys deployment files are checked against, and the
 * commented {@code conf/application.yaml} of the distribution.
 *
 * <pre>{@code
 * static final Setting<Long> MAX_BODY_BYTES = Setting.of("kodiak.limits.max-body-bytes",
 *         "10485760", Long::parseLong, "a byte count", "the largest request body (413 above)")
 *         .range(v -> v >= 1024 && v <= Integer.MAX_VALUE, "from 1024 to 2147483647");
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param <T> the value's type
 */
final class Setting<T> {
    private final String key;
    private final String fallback;
    private final String fallbackDoc;
    private final Function<String, T> parser;
    private final String expected;
    private final Predicate<T> valid;
    private final String range;
    private final String doc;
    private final boolean secret;

    private Setting(String key, String fallback, String fallbackDoc, Function<String, T> parser,
            String expected, Predicate<T> valid, String range, String doc, boolean secret) {
        this.key = key;
        this.fallback = fallback;
        this.fallbackDoc = fallbackDoc;
        this.parser = parser;
        this.expected = expected;
        this.valid = valid;
        this.range = range;
        this.doc = doc;
        this.secret = secret;
    }

    /**
     * Describes a setting with a fixed default.
     *
     * @param key the dotted key, such as {@code kodiak.limits.max-body-bytes}
     * @param fallback the default, as text the parser reads
     * @param parser reads the text; throws for text it does not take
     * @param expected what the text must look like, for messages ({@code "a byte count"})
     * @param doc one line for the configuration file
     * @param <T> the value's type
     * @return the setting
     */
    static <T> Setting<T> of(String key, String fallback, Function<String, T> parser,
            String expected, String doc) {
        return new Setting<>(key, fallback, null, parser, expected, v -> true, null, doc,
                false);
    }

    /**
     * The same setting, with the values it takes beyond parsing.
     *
     * @param check whether a parsed value is allowed
     * @param allowed what is allowed, for messages ({@code "at least 1"})
     * @return a new setting
     */
    Setting<T> range(Predicate<T> check, String allowed) {
        return new Setting<>(key, fallback, fallbackDoc, parser, expected, check, allowed, doc,
                secret);
    }

    /**
     * The same setting, with a default that depends on the machine or on other settings: the
     * reader supplies it, and {@code described} says what it is in the configuration file.
     *
     * @param described the default in words, such as {@code "half the max heap"}
     * @return a new setting
     */
    Setting<T> computedDefault(String described) {
        return new Setting<>(key, null, described, parser, expected, valid, range, doc,
                secret);
    }

    /**
     * The same setting, as a secret: messages never show its value.
     *
     * @return a new setting
     */
    Setting<T> secret() {
        return new Setting<>(key, fallback, fallbackDoc, parser, expected, valid, range, doc,
                true);
    }

    /**
     * Whether the value is a secret.
     *
     * @return true when messages must not show it
     */
    boolean isSecret() {
        return secret;
    }

    /**
     * Returns the dotted key.
     *
     * @return the key
     */
    String key() {
        return key;
    }

    /**
     * Returns the environment variable that overrides the key: upper case, dots and dashes as
     * underscores ({@code kodiak.limits.max-body-bytes} is {@code KODIAK_LIMITS_MAX_BODY_BYTES}).
     *
     * @return the variable's name
     */
    String env() {
        return env(key);
    }

    static String env(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /**
     * Returns the fixed default.
     *
     * @return the text, or null when the default is computed
     */
    String fallback() {
        return fallback;
    }

    /**
     * Returns the default in words, for documentation.
     *
     * @return the fixed default's text, or the description of the computed one
     */
    String fallbackDoc() {
        return fallback != null ? fallback : fallbackDoc;
    }

    /**
     * Returns the line of documentation.
     *
     * @return the text
     */
    String doc() {
        return doc;
    }

    /**
     * Returns what the text must look like.
     *
     * @return such as {@code "an ISO-8601 duration such as PT10S"}
     */
    String expected() {
        return expected;
    }

    /**
     * Returns what values are allowed beyond parsing.
     *
     * @return such as {@code "at least 1"}, or null when any parsed value is
     */
    String allowed() {
        return range;
    }

    /**
     * Reads a value.
     *
     * @param text the text
     * @return the value
     * @throws RuntimeException whatever the parser throws for text it does not take
     */
    T parse(String text) {
        return parser.apply(text);
    }

    /**
     * Whether a parsed value is allowed.
     *
     * @param value the value
     * @return true if it is in range
     */
    boolean allows(T value) {
        return valid.test(value);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return key;
    }
}
