package dev.kodiak.server;

import static dev.kodiak.server.json.JsonP.JSON;

import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How one model of the repository is served: which versions are loaded (the version policy),
 * how unversioned requests are split between them (traffic weights, for a canary), and which
 * version gets a copy of live requests without answering them (the shadow). Read from the
 * model's {@code serving.json} in the repository, or set at run time through the management
 * route; both take the same JSON:
 *
 * <pre>{@code
 * {"version_policy": "latest",          // or "all", or {"specific": [3, 4]}
 *  "traffic": {"3": 95, "4": 5},        // optional: weights of unversioned requests
 *  "shadow": 5}                         // optional: a version that gets copies
 * }</pre>
 *
 * <p>A request with a {@code kodiak-routing-key} header lands on the version its key hashes
 * to, so one key always gets the same version while the weights stay the same.
 *
 * @param policy which versions are loaded
 * @param specific the versions of a {@code specific} policy, empty otherwise
 * @param weights traffic weights by version, empty for "all to the default version"
 * @param shadow the shadow version, or 0 for none
 */
record Serving(Policy policy, Set<Integer> specific, Map<Integer, Integer> weights, int shadow) {
    /** Which versions of a model are loaded. */
    enum Policy {
        /** The highest version that loads. */
        LATEST,
        /** Every version that loads. */
        ALL,
        /** The versions listed. */
        SPECIFIC
    }

    /** The default: the latest version takes all traffic, no shadow. */
    static final Serving DEFAULT = new Serving(Policy.LATEST, Set.of(), Map.of(), 0);

    /** The request header whose value pins a request to a version. */
    static final String ROUTING_KEY = "kodiak-routing-key";

    /** Copies the collections and checks the values. */
    Serving {
        specific = Collections.unmodifiableSet(new TreeSet<>(specific));
        weights = Collections.unmodifiableMap(new TreeMap<>(weights));
        if (policy == Policy.SPECIFIC && specific.isEmpty()) {
            throw new IllegalArgumentException("a specific version policy lists at least one "
                    + "version");
        }
        for (Map.Entry<Integer, Integer> w : weights.entrySet()) {
            if (w.getKey() < 1 || w.getValue() < 0) {
                throw new IllegalArgumentException("traffic weight " + w.getValue()
                        + " of version " + w.getKey() + " is invalid: versions are positive "
                        + "integers and weights whole numbers of 0 or more");
            }
        }
        if (!weights.isEmpty() && weights.values().stream().mapToInt(Integer::intValue)
                .sum() == 0) {
            throw new IllegalArgumentException("the traffic weights add up to 0; give at least "
                    + "one version a positive weight");
        }
        if (shadow < 0) {
            throw new IllegalArgumentException("shadow version " + shadow + " is invalid");
        }
    }

    /**
     * The versions to load, given those available (on disk) and those already known not to load.
     *
     * @param available the versions the repository has, any order
     * @param broken versions that failed to load with their current files
     * @return the versions to have loaded; for {@code latest}, the highest that is not broken,
     *     and always every version with a traffic weight and the shadow
     */
    NavigableSet<Integer> wanted(Set<Integer> available, Set<Integer> broken) {
        NavigableSet<Integer> wanted = new TreeSet<>();
        switch (policy) {
            case LATEST -> {
                for (int v : new TreeSet<>(available).descendingSet()) {
                    if (!broken.contains(v)) {
                        wanted.add(v);
                        break;
                    }
                }
            }
            case ALL -> wanted.addAll(available);
            case SPECIFIC -> specific.stream().filter(available::contains).forEach(wanted::add);
        }
        weights.keySet().stream().filter(available::contains).forEach(wanted::add);
        if (shadow > 0 && available.contains(shadow)) {
            wanted.add(shadow);
        }
        return wanted;
    }

    /**
     * Chooses the version of an unversioned request.
     *
     * @param ready the versions serving now
     * @param routingKey the request's routing key, or null
     * @return the version, or 0 when none serves
     */
    int choose(NavigableSet<Integer> ready, String routingKey) {
        if (ready.isEmpty()) {
            return 0;
        }
        List<int[]> split = new ArrayList<>();
        long total = 0;
        for (Map.Entry<Integer, Integer> w : weights.entrySet()) {
            if (w.getValue() > 0 && ready.contains(w.getKey())) {
                split.add(new int[] {w.getKey(), w.getValue()});
                total += w.getValue();
            }
        }
        if (total == 0) {
            // no weights, or none of the weighted versions serves: the highest serving one,
            // but not the shadow unless nothing else serves
            for (int v : ready.descendingSet()) {
                if (v != shadow) {
                    return v;
                }
            }
            return ready.last();
        }
        long point = routingKey == null ? ThreadLocalRandom.current().nextLong(total)
                : Math.floorMod(hash(routingKey), total);
        for (int[] share : split) {
            point -= share[1];
            if (point < 0) {
                return share[0];
            }
        }
        return split.get(split.size() - 1)[0];
    }

    /** FNV-1a over the key's UTF-8 bytes, then a finalizer that spreads it over all 64 bits. */
    static long hash(String key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /**
     * Reads the JSON form.
     *
     * @param json the object
     * @return the serving
     * @throws IllegalArgumentException naming what is wrong
     */
    static Serving read(JsonObject json) {
        Policy policy = Policy.LATEST;
        Set<Integer> specific = new TreeSet<>();
        JsonValue p = json.get("version_policy");
        if (p instanceof JsonString s) {
            policy = switch (s.getString()) {
                case "latest" -> Policy.LATEST;
                case "all" -> Policy.ALL;
                default -> throw new IllegalArgumentException("version_policy '" + s.getString()
                        + "' is not one of \"latest\", \"all\" or {\"specific\": [...]}");
            };
        } else if (p instanceof JsonObject o && o.get("specific") instanceof jakarta.json.JsonArray a) {
            policy = Policy.SPECIFIC;
            for (JsonValue v : a) {
                specific.add(version(v, "version_policy.specific"));
            }
        } else if (p != null && p.getValueType() != JsonValue.ValueType.NULL) {
            throw new IllegalArgumentException("version_policy must be \"latest\", \"all\" or "
                    + "{\"specific\": [versions]}");
        }
        Map<Integer, Integer> weights = new TreeMap<>();
        JsonValue t = json.get("traffic");
        if (t instanceof JsonObject o) {
            for (Map.Entry<String, JsonValue> e : o.entrySet()) {
                int version = version(JSON.createValue(e.getKey()), "traffic");
                if (!(e.getValue() instanceof JsonNumber n) || !n.isIntegral()
                        || n.longValue() < 0 || n.longValue() > 1_000_000) {
                    throw new IllegalArgumentException("traffic." + e.getKey() + " must be a "
                            + "whole number from 0 to 1000000, not " + e.getValue());
                }
                weights.put(version, n.intValue());
            }
        } else if (t != null && t.getValueType() != JsonValue.ValueType.NULL) {
            throw new IllegalArgumentException("traffic must be an object of version: weight, "
                    + "such as {\"3\": 95, \"4\": 5}");
        }
        JsonValue s = json.get("shadow");
        int shadow = s == null || s.getValueType() == JsonValue.ValueType.NULL ? 0
                : version(s, "shadow");
        for (String key : json.keySet()) {
            if (!Set.of("version_policy", "traffic", "shadow").contains(key)) {
                throw new IllegalArgumentException("'" + key + "' is not a serving setting; "
                        + "they are version_policy, traffic and shadow");
            }
        }
        return new Serving(policy, specific, weights, shadow);
    }

    private static int version(JsonValue value, String field) {
        String text = value instanceof JsonString s ? s.getString() : value.toString();
        try {
            int v = Integer.parseInt(text.trim());
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // named below
        }
        throw new IllegalArgumentException(field + " names version '" + text + "', but versions "
                + "are positive integers");
    }

    /**
     * Writes the JSON form.
     *
     * @return the object
     */
    JsonObject toJson() {
        JsonObjectBuilder b = JSON.createObjectBuilder();
        switch (policy) {
            case LATEST -> b.add("version_policy", "latest");
            case ALL -> b.add("version_policy", "all");
            case SPECIFIC -> {
                var a = JSON.createArrayBuilder();
                specific.forEach(a::add);
                b.add("version_policy", JSON.createObjectBuilder().add("specific", a));
            }
        }
        var t = JSON.createObjectBuilder();
        weights.forEach((v, w) -> t.add(Integer.toString(v), w));
        b.add("traffic", t);
        if (shadow > 0) {
            b.add("shadow", shadow);
        } else {
            b.addNull("shadow");
        }
        return b.build();
    }
}
