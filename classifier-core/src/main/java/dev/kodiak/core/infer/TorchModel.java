package dev.kodiak.core.infer;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A TorchScript model loaded through DJL's PyTorch engine on the CPU, turning a batch of CHW
 * float tensors into one row of scores per image.
 *
 * <pre>{@code
 * try (TorchModel model = TorchModel.load(Path.of("model.pt"), EngineSettings.defaults())) {
 *     float[][] scores = model.forward(batch, 8, new int[] {3, 224, 224});
 * }
 * }</pre>
 *
 * <p>Thread-safe: each call borrows a DJL predictor no other call is using (idle ones are
 * reused) and its own NDManager, so concurrent calls never share native memory; batching
 * happens in the caller. Close it once, after all calls.
 */
public final class TorchModel implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TorchModel.class.getName());

    private final ZooModel<NDList, NDList> model;
    private final Path file;
    /** Idle predictors, reused: a predictor serves one call at a time, any thread. */
    private final ConcurrentLinkedDeque<Predictor<NDList, NDList>> idle =
            new ConcurrentLinkedDeque<>();

    private TorchModel(ZooModel<NDList, NDList> model, Path file) {
        this.model = model;
        this.file = file;
    }

    /**
     * Loads a TorchScript file, without network access.
     *
     * @param file the {@code .pt} file
     * @param settings engine threads; applied when this is the first model of the process
     * @return the loaded model
     * @throws InferenceException if the file is not a TorchScript model libtorch can load
     */
    public static TorchModel load(Path file, EngineSettings settings) throws InferenceException {
        settings.applyBeforeEngineStart();
        String name = file.getFileName().toString();
        boolean pt = name.endsWith(".pt");
        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                // a directory plus model name keeps DJL from warning about a "non-archive file"
                .optModelPath(pt ? file.getParent() : file)
                .optModelName(pt ? name.substring(0, name.length() - 3) : null)
                .optEngine("PyTorch")
                .optDevice(Device.cpu())
                .optTranslator(new NoopTranslator())
                .optOption("mapLocation", "true")
                .build();
        try {
            ZooModel<NDList, NDList> model = criteria.loadModel();
            settings.checkApplied(Engine.getEngine("PyTorch"));
            LOG.log(System.Logger.Level.DEBUG, "loaded {0} with {1}", file, settings);
            return new TorchModel(model, file);
        } catch (ModelNotFoundException | MalformedModelException | IOException
                 | RuntimeException e) {
            throw new InferenceException("libtorch cannot load " + file + " (" + e.getMessage()
                    + "); export the model with torch.jit.trace or torch.jit.script "
                    + "(tools/export_bundle.py does)", e);
        }
    }

    /**
     * Runs one forward pass over a batch.
     *
     * @param batch {@code n} tensors of {@code shape} laid out one after another
     * @param n the number of images in the batch, at least 1
     * @param shape one image's tensor shape, {channels, height, width}
     * @return one row of scores per image
     * @throws InferenceException if the model rejects the input or returns something other than
     *     a 2-D float tensor with {@code n} rows
     */
    public float[][] forward(float[] batch, int n, int[] shape) throws InferenceException {
        int size = shape[0] * shape[1] * shape[2];
        if (n < 1 || batch.length < (long) n * size) {
            throw new IllegalArgumentException("Invalid batch: " + batch.length + " floats for "
                    + n + " images of " + size);
        }
        Shape input = new Shape(n, shape[0], shape[1], shape[2]);
        Predictor<NDList, NDList> predictor = idle.pollFirst();
        if (predictor == null) {
            predictor = model.newPredictor();
        }
        try (NDManager manager = model.getNDManager().newSubManager()) {
            NDArray array = manager.create(FloatBuffer.wrap(batch, 0, n * size), input);
            NDList output = predictor.predict(new NDList(array));
            if (output.size() != 1) {
                throw new InferenceException(file + " returns " + output.size() + " tensors; a "
                        + "classifier must return one (batch, classes) tensor", null);
            }
            NDArray scores = output.singletonOrThrow();
            Shape got = scores.getShape();
            if (got.dimension() != 2 || got.get(0) != n) {
                throw new InferenceException(file + " returns shape " + got + " for input "
                        + input + "; a classifier must return (batch, classes)", null);
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

    /** Releases the predictors and the native model. */
    @Override
    public void close() {
        for (Predictor<NDList, NDList> p; (p = idle.pollFirst()) != null; ) {
            p.close();
        }
        model.close();
    }
}
