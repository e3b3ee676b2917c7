package dev.kodiak.web;

import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.topk.TopKOptions;

/**
 * Where a widget's model runs: in the page ({@link BrowserRuntime}) or on a Kodiak server
 * ({@link ServerRuntime}). Both take the decoded image and give an {@link Answer} in the API's
 * shape, so the widget renders and announces them alike.
 */
interface ModelRuntime {
    /** What a widget hears while the runtime gets ready. */
    interface LoadListener {
        /** Megabytes so far and in all (-1 when not known). */
        void progress(double loaded, double total);

        /** What is happening, for the status line. */
        void status(String text);

        /** Ready to classify; {@code modelName} names the model for the widget's heading. */
        void ready(String modelName);

        /** It cannot get ready. */
        void failed(LoadFailure failure);
    }

    /** What a widget hears about one image. */
    interface AnswerListener {
        /** The answer. */
        void answer(Answer answer);

        /**
         * A failure in plain words; {@code retryAfterSeconds} above 0 when it is worth trying
         * again (a busy server).
         */
        void failure(String message, int retryAfterSeconds);

        /** How many bytes were uploaded for the image (server runtime only). */
        default void uploaded(int bytes) {
        }
    }

    /**
     * Returns the runtime's name, as {@code data-runtime} and answers give it.
     *
     * @return {@code browser} or {@code server}
     */
    String name();

    /** Gets ready: loads the model, or the server's description of it. */
    void load(LoadListener listener);

    /** The model's labels, in output order; empty before {@link #load}. */
    java.util.List<String> labels();

    /** The model's name, for the widget's heading; empty before {@link #load}. */
    String modelName();

    /**
     * Classifies an image: core's preprocessing, then the model.
     *
     * @param image the decoded, upright image
     * @param options k and the unsure threshold
     * @param listener hears the answer
     */
    void classify(Pixels image, TopKOptions options, AnswerListener listener);
}
