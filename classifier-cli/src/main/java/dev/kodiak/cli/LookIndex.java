package dev.kodiak.cli;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Looks filed so that those within a distance of a given look are found without comparing it
 * with every other: each view is filed in a grid over the six DCT coefficients that vary most
 * among the looks, with cells twice the distance bound wide. Two views within
 * {@code threshold} of each other (root mean square over 64 coefficients) differ by at most
 * {@code 8 * threshold} in every coefficient, so the other lies in the query's cell or in the
 * neighbour on the side the query is near: at most 2<sup>6</sup> cells are looked in, and no
 * match is missed. Candidates found there are then compared in full.
 *
 * <p>The index is built once for a list of looks and a threshold. Not thread-safe: a query
 * marks what it has seen in the index's own array.
 */
final class LookIndex {
    /** How many coefficients the grid spans. */
    static final int DIMENSIONS = 6;

    private final double threshold;
    private final int[] dims;
    private final double radius;
    private final double cell;
    private final Grid whole;
    private final Grid inside;
    private final Grid centre;
    private final int[] seen;
    private int stamp;

    /**
     * Files looks for queries at one distance.
     *
     * @param looks the looks; a match is reported by its index in this list
     * @param threshold the largest {@link Look#distance} a query asks for, 0 or more
     */
    LookIndex(List<Look> looks, double threshold) {
        this.threshold = threshold;
        this.dims = widest(looks);
        // a little slack for float rounding: the grid must never miss what within() accepts
        this.radius = Math.sqrt(Look.SIZE) * threshold * 1.0001 + 1e-3;
        this.cell = 2 * radius;
        int n = looks.size();
        float[][] wholes = new float[n][];
        float[][] insides = new float[n][];
        float[][] centres = new float[n][];
        for (int i = 0; i < n; i++) {
            wholes[i] = looks.get(i).whole();
            insides[i] = looks.get(i).inside();
            centres[i] = looks.get(i).centre();
        }
        this.whole = new Grid(wholes);
        this.inside = new Grid(insides);
        this.centre = new Grid(centres);
        this.seen = new int[n];
    }

    /**
     * Calls back with every filed look within the threshold of a query (itself included when
     * it is filed), each once.
     *
     * @param query a look
     * @param match receives the index of each look with {@code query.within(it, threshold)}
     */
    void forEachWithin(Look query, IntConsumer match) {
        if (++stamp == 0) {
            Arrays.fill(seen, 0);
            stamp = 1;
        }
        float bound = (float) (threshold * threshold * Look.SIZE);
        // each grid finds the pairs of one comparison; a look already matched is skipped
        whole.near(query.whole(), bound, match);    // whole to whole
        inside.near(query.inside(), bound, match);  // inside to inside
        centre.near(query.whole(), bound, match);   // the query's whole to a filed centre
        whole.near(query.centre(), bound, match);   // the query's centre to a filed whole
    }

    /** The coefficients with the largest variance over the looks' whole views. */
    private static int[] widest(List<Look> looks) {
        double[] sum = new double[Look.SIZE];
        double[] squares = new double[Look.SIZE];
        for (Look look : looks) {
            float[] c = look.whole();
            for (int i = 0; i < Look.SIZE; i++) {
                sum[i] += c[i];
                squares[i] += (double) c[i] * c[i];
            }
        }
        Integer[] order = new Integer[Look.SIZE];
        double[] variance = new double[Look.SIZE];
        for (int i = 0; i < Look.SIZE; i++) {
            order[i] = i;
            double mean = looks.isEmpty() ? 0 : sum[i] / looks.size();
            variance[i] = looks.isEmpty() ? 0 : squares[i] / looks.size() - mean * mean;
        }
        Arrays.sort(order, (a, b) -> a.equals(b) ? 0 : variance[a] != variance[b]
                ? Double.compare(variance[b], variance[a]) : Integer.compare(a, b));
        int[] dims = new int[DIMENSIONS];
        for (int d = 0; d < DIMENSIONS; d++) {
            dims[d] = order[d];
        }
        return dims;
    }

    private long cellOf(double value) {
        return (long) Math.floor(value / cell);
    }

    private static long mix(long key, long cellIndex) {
        return key * 0x9E3779B97F4A7C15L + cellIndex;
    }

    /** One view of every look, filed by cell: an open-addressing table of cell keys. */
    private final class Grid {
        private final long[] keys;
        private final int[] starts;
        private final int[] ends;
        private final int[] members;
        /** The members' views, one after another in the members' order. */
        private final float[] views;
        private final int mask;

        Grid(float[][] views) {
            int n = views.length;
            long[] keyOf = new long[n];
            for (int i = 0; i < n; i++) {
                long key = 17;
                for (int dim : dims) {
                    key = mix(key, cellOf(views[i][dim]));
                }
                keyOf[i] = key;
            }
            // the members, grouped by key: sort the indices by key
            Integer[] byKey = new Integer[n];
            for (int i = 0; i < n; i++) {
                byKey[i] = i;
            }
            Arrays.sort(byKey, (a, b) -> Long.compare(keyOf[a], keyOf[b]));
            members = new int[n];
            this.views = new float[n * Look.SIZE];
            for (int i = 0; i < n; i++) {
                members[i] = byKey[i];
                System.arraycopy(views[byKey[i]], 0, this.views, i * Look.SIZE, Look.SIZE);
            }
            int capacity = Integer.highestOneBit(Math.max(4, n * 2 - 1)) << 1;
            mask = capacity - 1;
            keys = new long[capacity];
            starts = new int[capacity];
            ends = new int[capacity];
            Arrays.fill(starts, -1);
            for (int i = 0; i < n; ) {
                long key = keyOf[members[i]];
                int j = i;
                while (j < n && keyOf[members[j]] == key) {
                    j++;
                }
                int slot = slot(key);
                while (starts[slot] != -1) {
                    slot = (slot + 1) & mask;
                }
                keys[slot] = key;
                starts[slot] = i;
                ends[slot] = j;
                i = j;
            }
        }

        private int slot(long key) {
            return (int) ((key ^ (key >>> 29)) * 0xBF58476D1CE4E5B9L >>> 40) & mask;
        }

        /**
         * Calls back with every member not yet matched whose view is within the bound of
         * the given one, looking in the cells where such a view may be.
         */
        void near(float[] view, float bound, IntConsumer match) {
            visit(view, 0, 17, bound, match);
        }

        private void visit(float[] view, int d, long key, float bound, IntConsumer match) {
            if (d == dims.length) {
                for (int slot = slot(key); starts[slot] != -1; slot = (slot + 1) & mask) {
                    if (keys[slot] == key) {
                        for (int i = starts[slot]; i < ends[slot]; i++) {
                            // the views lie in order, the marks do not: compare first
                            if (Look.squared(view, views, i * Look.SIZE, bound) <= bound
                                    && seen[members[i]] != stamp) {
                                seen[members[i]] = stamp;
                                match.accept(members[i]);
                            }
                        }
                        return;
                    }
                }
                return;
            }
            double value = view[dims[d]];
            long own = cellOf(value);
            visit(view, d + 1, mix(key, own), bound, match);
            double offset = value - own * cell;
            if (offset < radius) {
                visit(view, d + 1, mix(key, own - 1), bound, match);
            } else if (cell - offset < radius) {
                visit(view, d + 1, mix(key, own + 1), bound, match);
            }
        }
    }
}
