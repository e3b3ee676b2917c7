package dev.kodiak.core;

/**
 * Something Kodiak refused: a bundle it cannot use, an image it cannot decode, a model that
 * failed on an input. The checked exceptions of classifier-core all extend it, so a caller that
 * only needs to know "Kodiak said no" catches one type:
 *
 * <pre>{@code
 * try (Classifier classifier = Classifier.open(bundle)) {
 *     return classifier.classify(bytes);
 * } catch (KodiakException e) {
 *     log.warn(e.getMessage());   // says what happened and what to do
 * }
 * }</pre>
 *
 * <p>Each subclass carries its own detail for callers that react differently:
 * {@code BundleException.problem()}, {@code DecodeException.reason()}, and so on.
 */
public abstract class KodiakException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what happened and what to do
     * @param cause the underlying failure, or null
     */
    protected KodiakException(String message, Throwable cause) {
        super(message, cause);
    }
}
