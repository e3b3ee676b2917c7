package dev.kodiak.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One server's (or one protocol's) requests at one concurrency, pooled over every round of a
 * side-by-side run: each request's latency, the failures, and the time the rounds took.
 * Thread-safe for the load's clients; read it once they are done.
 */
final class Tally {
    final int clients;
    final List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger failures = new AtomicInteger();
    double seconds;

    /**
     * Starts an empty tally.
     *
     * @param clients the concurrency it is measured at
     */
    Tally(int clients) {
        this.clients = clients;
    }

    /** @return requests answered per second over the rounds */
    double throughput() {
        return latencies.size() / seconds;
    }

    /**
     * A latency percentile.
     *
     * @param p from 0 to 1, such as 0.99
     * @return milliseconds, or NaN with no requests
     */
    double percentile(double p) {
        List<Double> sorted = new ArrayList<>(latencies);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        sorted.sort(null);
        return sorted.get(Math.min(sorted.size() - 1,
                (int) Math.ceil(p * sorted.size()) - 1));
    }
}
