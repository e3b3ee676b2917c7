package dev.kodiak.core.fields;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects what is wrong with a document (a manifest, an input spec, the server's configuration)
 * so that it can be reported all at once, each problem naming its field, rather than one fix and
 * rerun at a time. {@link #at(String)} gives a view that puts a prefix before field names (such
 * as {@code "input."}) and adds to the same list.
 *
 * <pre>{@code
 * Problems problems = new Problems();
 * Fields input = new Fields(json, problems.at("input."));
 * int width = input.whole("width");           // "input.width is missing (a whole number)"
 * problems.check(width <= 8192, "width", "must be at most 8192");
 * if (!problems.isEmpty()) {
 *     throw new IllegalArgumentException("Invalid input spec: " + problems.joined());
 * }
 * }</pre>
 *
 * <p>Not thread-safe: one document is read by one thread.
 */
public final class Problems {
    private final List<String> list;
    private final String prefix;

    /** Creates an empty collector with no prefix. */
    public Problems() {
        this(new ArrayList<>(), "");
    }

    /**
     * Creates a collector that adds to a list the caller owns (for callers that already keep one).
     *
     * @param list where problems go
     * @param prefix put before each field name
     */
    public Problems(List<String> list, String prefix) {
        this.list = list;
        this.prefix = prefix;
    }

    /**
     * A view for the fields of a nested object: the same list, a longer prefix.
     *
     * @param nested what to add to the prefix, such as {@code "input."}
     * @return the view
     */
    public Problems at(String nested) {
        return new Problems(list, prefix + nested);
    }

    /**
     * Returns the prefix put before field names.
     *
     * @return the prefix, empty at the top
     */
    public String prefix() {
        return prefix;
    }

    /**
     * Adds a problem with a field: the prefixed field name, then what is wrong.
     *
     * @param field the field's name
     * @param what what is wrong with it, such as {@code "must be a string"}
     */
    public void field(String field, String what) {
        list.add(prefix + field + " " + what);
    }

    /**
     * Adds a problem that is not about one field, as it is (no prefix).
     *
     * @param message the whole message
     */
    public void add(String message) {
        list.add(message);
    }

    /**
     * Adds a problem with a field unless a condition holds.
     *
     * @param ok the condition
     * @param field the field's name
     * @param what what is wrong when it does not hold
     * @return {@code ok}
     */
    public boolean check(boolean ok, String field, String what) {
        if (!ok) {
            field(field, what);
        }
        return ok;
    }

    /**
     * Whether nothing is wrong.
     *
     * @return true when no problem was added
     */
    public boolean isEmpty() {
        return list.isEmpty();
    }

    /**
     * Returns how many problems were added, through this view or any other on the same list.
     *
     * @return the count
     */
    public int count() {
        return list.size();
    }

    /**
     * Returns the problems.
     *
     * @return a copy, in the order they were added
     */
    public List<String> all() {
        return List.copyOf(list);
    }

    /**
     * Returns the problems as one sentence.
     *
     * @return the problems joined by {@code "; "}
     */
    public String joined() {
        return String.join("; ", list);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return joined();
    }
}
