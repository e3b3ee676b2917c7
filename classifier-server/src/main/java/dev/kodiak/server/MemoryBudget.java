package dev.kodiak.server;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A pool of bytes that work reserves before it allocates: request bodies held in memory, and the
 * peak heap an image's decode takes. Whoever fits goes first (a large reservation never blocks
 * smaller ones queued behind it), and nobody waits longer than asked, so an expensive request
 * that cannot start soon is refused quickly instead of piling up. Thread-safe.
 */
final class MemoryBudget {
    private final String name;
    private final long capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private long used;

    /**
     * Creates a budget.
     *
     * @param name what it holds, for messages and metrics
     * @param capacity bytes, at least 1
     */
    MemoryBudget(String name, long capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("Invalid " + name + " budget: " + capacity);
        }
        this.name = name;
        this.capacity = capacity;
    }

    /**
     * Reserves bytes, waiting up to {@code timeoutNanos} for others to release theirs.
     *
     * @param bytes how many, at least 0
     * @param timeoutNanos the longest wait
     * @return true if reserved (release them later), false if they did not become free in time
     *     or can never fit
     * @throws InterruptedException if interrupted while waiting
     */
    boolean tryReserve(long bytes, long timeoutNanos) throws InterruptedException {
        if (bytes > capacity) {
            return false;
        }
        long left = timeoutNanos;
        lock.lockInterruptibly();
        try {
            while (used + bytes > capacity) {
                if (left <= 0) {
                    return false;
                }
                left = released.awaitNanos(left);
            }
            used += bytes;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives bytes back.
     *
     * @param bytes what {@link #tryReserve} reserved
     */
    void release(long bytes) {
        if (bytes <= 0) {
            return;
        }
        lock.lock();
        try {
            used = Math.max(0, used - bytes);
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns what is reserved now.
     *
     * @return bytes in use
     */
    long used() {
        lock.lock();
        try {
            return used;
        } finally {
            lock.unlock();
        }
    }

    /** @return the capacity in bytes */
    long capacity() {
        return capacity;
    }

    /** @return the budget's name */
    String name() {
        return name;
    }

    /**
     * How long to wait for a reservation, from the request's deadline and a cap.
     *
     * @param deadlineNanos the request's {@link System#nanoTime()} deadline
     * @param capNanos the most to wait
     * @return nanoseconds, at least 0
     */
    static long waitFor(long deadlineNanos, long capNanos) {
        return Math.max(0, Math.min(capNanos, deadlineNanos - System.nanoTime()));
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return name + " " + used() + "/" + capacity + " bytes";
    }
}
