package dev.kodiak.web;

/**
 * One model ready to run in the page, by one of two engines: Kodiak's own forward pass
 * ({@link KodiakSession}) for the small models it can run, or onnxruntime-web
 * ({@link OrtSession}) for the rest. Both run a float32 batch and hand back the scores.
 */
interface ModelSession {
    /** Receives the scores, n rows one after another, or null with the engine's reason. */
    interface Scores {
        void accept(float[] scores, String error);
    }

    /**
     * Runs the model.
     *
     * @param batch {@code n * c * h * w} floats, CHW per image
     * @param shape {@code {n, c, h, w}}
     * @param callback receives the scores
     */
    void run(float[] batch, int[] shape, Scores callback);

    /**
     * Returns the engine's name, as the answer's {@code engine} gives it.
     *
     * @return {@code kodiak} or {@code onnxruntime-web}
     */
    String engine();
}
