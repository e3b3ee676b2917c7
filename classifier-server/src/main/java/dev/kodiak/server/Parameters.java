package dev.kodiak.server;

import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks the names of a request's parameters, so that a misspelt one is an error that names
 * it rather than a setting silently ignored ({@code ?topk=2} answering with every label).
 */
final class Parameters {
    private Parameters() {
    }

    /**
     * Refuses parameters a route does not take.
     *
     * @param given the names the request has
     * @param known the names the route takes
     * @param where where they were, for the message (such as {@code "the query string"})
     * @param strict true to refuse every unknown name (the query string); false to refuse only
     *     names close to a known one (the body's fields, where a client may carry its own)
     * @throws ApiException 400 {@code INVALID_PARAMETER} naming the first unknown parameter and
     *     the known one nearest to it
     */
    static void check(Collection<String> given, Set<String> known, String where,
            boolean strict) {
        for (String name : given) {
            if (known.contains(name)) {
                continue;
            }
            String nearest = nearest(name, known);
            if (nearest != null) {
                throw ApiException.badRequest("INVALID_PARAMETER", "Unknown parameter '" + name
                        + "' in " + where + "; did you mean '" + nearest + "'? This route takes "
                        + list(known));
            }
            if (strict) {
                throw ApiException.badRequest("INVALID_PARAMETER", "Unknown parameter '"
                        + (name.length() > 40 ? name.substring(0, 40) + "..." : name) + "' in "
                        + where + "; this route takes " + list(known));
            }
        }
    }

    /** The known name within two edits (ignoring case, '-' for '_'), or null. */
    static String nearest(String name, Set<String> known) {
        String best = null;
        int bestDistance = 3;
        String n = name.toLowerCase(Locale.ROOT).replace('-', '_');
        if (n.length() > 40) {
            return null;
        }
        for (String k : new TreeSet<>(known)) {
            int d = distance(n, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    /** Levenshtein's edit distance. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1),
                        previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    private static String list(Set<String> known) {
        return known.isEmpty() ? "no parameters" : String.join(", ", new TreeSet<>(known));
    }
}
