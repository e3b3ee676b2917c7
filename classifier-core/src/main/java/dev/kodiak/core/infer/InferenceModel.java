package dev.kodiak.core.infer;

/**
 * A model loaded by one runtime, turning a batch of CHW float tensors into one row of scores per
 * image. {@link TorchModel} and {@link OnnxModel} implement it; batching happens in the caller.
 *
 * <p>Implementations are thread-safe: concurrent calls never share native memory. Close once,
 * after all calls.
 */
public sealed interface InferenceModel extends AutoCloseable permits TorchModel, OnnxModel {
    /**
     * Runs one forward pass over a batch.
     *
     * @param batch {@code n} tensors of {@code shape} laid out one after another
     * @param n the number of images in the batch, at least 1
     * @param shape one image's tensor shape, {channels, height, width}
     * @return one row of scores per image
     * @throws InferenceException if the model rejects the input or returns something other than
     *     a 2-D float tensor with {@code n} rows
     * @throws IllegalArgumentException if {@code batch} is shorter than {@code n} tensors
     */
    float[][] forward(float[] batch, int n, int[] shape) throws InferenceException;

    /**
     * Returns the engine running the model.
     *
     * @return {@link InferenceEngine#ONNXRUNTIME} or {@link InferenceEngine#PYTORCH}
     */
    InferenceEngine engine();

    /** Releases the native model. */
    @Override
    void close();

    /**
     * Checks a batch's size: shared by the implementations.
     *
     * @param batch the floats
     * @param n the images
     * @param shape one image's shape
     * @return floats per image
     */
    static int imageSize(float[] batch, int n, int[] shape) {
        int size = shape[0] * shape[1] * shape[2];
        if (n < 1 || batch.length < (long) n * size) {
            throw new IllegalArgumentException("Invalid batch: " + batch.length + " floats for "
                    + n + " images of " + size);
        }
        return size;
    }
}
