package dev.kodiak.core.infer;

/**
 * How many threads a model's forward pass may use.
 *
 * <p>ONNX Runtime applies them per model (session options). libtorch keeps one intra-op count
 * for the whole process, which the last model that asks for one sets, and fixes its inter-op
 * count the first time it runs operators in parallel; a later, different inter-op request is
 * logged and ignored. {@code 0} leaves the choice to Kodiak's measured default
 * ({@link #resolvedIntraOp()}).
 *
 * @param intraOp threads inside one operator (a convolution), 0 for the default
 * @param interOp threads running independent operators, 0 for the default
 */
public record Threads(int intraOp, int interOp) {
    /**
     * Checks the thread counts.
     *
     * @throws IllegalArgumentException if a count is negative
     */
    public Threads {
        if (intraOp < 0 || interOp < 0) {
            throw new IllegalArgumentException("Invalid threads: intra-op " + intraOp
                    + ", inter-op " + interOp + "; use 0 for the default or a positive count");
        }
    }

    /**
     * Returns the defaults.
     *
     * @return settings with both counts 0
     */
    public static Threads defaults() {
        return new Threads(0, 0);
    }

    /**
     * The intra-op count used: the given one, or one per available processor.
     *
     * @return at least 1
     */
    public int resolvedIntraOp() {
        return intraOp > 0 ? intraOp : Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /**
     * The inter-op count used: the given one, or 1 (Kodiak's models are chains of operators, and
     * batching already keeps the cores busy).
     *
     * @return at least 1
     */
    public int resolvedInterOp() {
        return interOp > 0 ? interOp : 1;
    }
}
