package dev.kodiak.core.fields;

import java.util.List;

/**
 * One JSON object's fields, as the parser at hand sees them: the JVM's (Gson) or the browser's
 * ({@code JSON.parse}, through TeaVM). The readers of Kodiak's JSON formats, such as
 * {@code InputSpecReader} and {@code ManifestReader}, are written against
 * this view in pure Java, so the server, the library and the browser widget read a manifest by the
 * same code and name the same problems.
 *
 * <p>Implementations only look values up: they never throw for a missing or mistyped value, they
 * return the "not that type" value each method documents.
 */
public interface JsonFields {
    /**
     * Whether a field is present and not {@code null}.
     *
     * @param key a field name
     * @return true if the field has a value
     */
    boolean has(String key);

    /**
     * A string field.
     *
     * @param key a field name
     * @return the value if it is a JSON string, otherwise {@code null}
     */
    String string(String key);

    /**
     * A number field.
     *
     * @param key a field name
     * @return the value if it is a JSON number, otherwise {@code NaN}
     */
    double number(String key);

    /**
     * A boolean field.
     *
     * @param key a field name
     * @return the value if it is a JSON boolean, otherwise {@code null}
     */
    Boolean bool(String key);

    /**
     * An array of numbers.
     *
     * @param key a field name
     * @return the values if the field is a JSON array, with {@code NaN} for each element that is
     *     not a number; {@code null} if the field is not an array
     */
    double[] numbers(String key);

    /**
     * An array of strings.
     *
     * @param key a field name
     * @return the values if the field is a JSON array, with {@code null} for each element that
     *     is not a string; {@code null} if the field is not an array
     */
    String[] strings(String key);

    /**
     * An array of arrays of numbers, such as a matrix.
     *
     * @param key a field name
     * @return one row per element if the field is a JSON array: the element's numbers as
     *     {@link #numbers(String)} gives them, or {@code null} for an element that is not an
     *     array; {@code null} if the field is not an array
     */
    double[][] rows(String key);

    /**
     * A nested object.
     *
     * @param key a field name
     * @return the object's fields if the field is a JSON object, otherwise {@code null}
     */
    JsonFields object(String key);

    /**
     * The object's field names.
     *
     * @return the names, in the order of the text where the parser keeps it
     */
    List<String> keys();

    /**
     * A field's value as text, for messages and free-form values: a string as it is, anything
     * else as JSON.
     *
     * @param key a field name
     * @return the text, or {@code null} if the field is missing
     */
    String text(String key);
}
