package dev.kodiak.core.infer;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The forward pass both runtimes share once DJL has loaded their model: a pool of predictors (a
 * predictor serves one call at a time, any thread), a sub-manager per call so that concurrent
 * calls never share native memory, and the checks on what the model returns.
 */
final class DjlForward implements AutoCloseable {
    private final Model model;
    private final Path file;
    private final ConcurrentLinkedDeque<Predictor<NDList, NDList>> idle =
            new ConcurrentLinkedDeque<>();

    DjlForward(Model model, Path file) {
        this.model = model;
        this.file = file;
    }

    float[][] forward(float[] batch, int n, int[] shape) throws InferenceException {
        int size = InferenceModel.imageSize(batch, n, shape);
        Shape input = new Shape(n, shape[0], shape[1], shape[2]);
        Predictor<NDList, NDList> predictor = idle.pollFirst();
        if (predictor == null) {
            predictor = model.newPredictor(new NoopTranslator());
        }
        try (NDManager manager = model.getNDManager().newSubManager()) {
            NDArray array = manager.create(FloatBuffer.wrap(batch, 0, n * size), input);
            NDList output = predictor.predict(new NDList(array));
            float[][] rows = rows(output, input, n);
            output.close();
            idle.offerFirst(predictor);
            predictor = null;
            return rows;
        } catch (TranslateException | RuntimeException e) {
            throw new InferenceException(file + " failed on an input of shape " + input + " ("
                    + e.getMessage() + "); check the input spec in kodiak.json against the "
                    + "model", e);
        } finally {
            if (predictor != null) {
                predictor.close(); // after a failure, do not reuse its state
            }
        }
    }

    private float[][] rows(NDList output, Shape input, int n) throws InferenceException {
        if (output.size() != 1) {
            throw new InferenceException(file + " returns " + output.size() + " tensors; a "
                    + "classifier must return one (batch, classes) tensor", null);
        }
        NDArray scores = output.singletonOrThrow();
        Shape got = scores.getShape();
        if (got.dimension() != 2 || got.get(0) != n) {
            throw new InferenceException(file + " returns shape " + got + " for input " + input
                    + "; a classifier must return (batch, classes)", null);
        }
        if (scores.getDataType() != DataType.FLOAT32) {
            scores = scores.toType(DataType.FLOAT32, false);
        }
        float[] flat = scores.toFloatArray();
        int classes = (int) got.get(1);
        float[][] rows = new float[n][classes];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * classes, rows[i], 0, classes);
        }
        return rows;
    }

    @Override
    public void close() {
        for (Predictor<NDList, NDList> p; (p = idle.pollFirst()) != null; ) {
            p.close();
        }
        model.close();
    }
}
