package dev.kodiak.core.infer;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.ndarray.NDList;
import ai.djl.translate.NoopTranslator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TorchScript model loaded through DJL's PyTorch engine (libtorch) on the CPU.
 *
 * <pre>{@code
 * try (TorchModel model = TorchModel.load(Path.of("model.pt"), Threads.defaults())) {
 *     float[][] scores = model.forward(batch, 8, new int[] {3, 224, 224});
 * }
 * }</pre>
 *
 * <p>Sets no system property. libtorch's graph executor optimizer, which recompiles during the
 * first calls and makes latency jumpy for small CNNs, is turned off for each calling thread
 * (libtorch keeps that switch per thread), unless {@code -Dai.djl.pytorch.graph_optimizer} is
 * given, which DJL then applies instead. The thread counts are libtorch's process-wide settings
 * (see {@link Threads}).
 *
 * <p>Thread-safe: each call borrows a DJL predictor no other call is using (idle ones are
 * reused) and its own NDManager. Close it once, after all calls.
 */
public final class TorchModel implements InferenceModel {
    private static final System.Logger LOG = System.getLogger(TorchModel.class.getName());
    /** The inter-op count libtorch was given in this process, 0 before the first model. */
    private static final AtomicInteger INTER_OP = new AtomicInteger();

    private final DjlForward forward;

    private TorchModel(DjlForward forward) {
        this.forward = forward;
    }

    /**
     * Loads a TorchScript file. DJL's PyTorch engine starts with the first call: it loads
     * libtorch from the {@code pytorch-native-cpu} jar on the class path (or downloads it, unless
     * {@code -Dai.djl.offline=true}).
     *
     * @param file the {@code .pt} file
     * @param threads libtorch's thread counts (process-wide)
     * @return the loaded model
     * @throws InferenceException if the file is not a TorchScript model libtorch can load, or
     *     libtorch itself cannot be loaded
     */
    public static TorchModel load(Path file, Threads threads) throws InferenceException {
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
        ZooModel<NDList, NDList> model;
        try {
            model = criteria.loadModel();
        } catch (ModelNotFoundException | MalformedModelException | IOException
                 | RuntimeException e) {
            throw new InferenceException("libtorch cannot load " + file + " (" + e.getMessage()
                    + "); export the model with torch.jit.trace or torch.jit.script "
                    + "(tools/export_bundle.py does), and check that the pytorch-native-cpu "
                    + "jar for this platform is on the class path (README: Library)", e);
        }
        applyThreads(threads);
        LOG.log(System.Logger.Level.DEBUG, "loaded {0} with libtorch, {1}", file, threads);
        return new TorchModel(new DjlForward(model, file));
    }

    private static void applyThreads(Threads threads) {
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            JniUtils.setNumThreads(threads.resolvedIntraOp());
        }
        int interOp = threads.resolvedInterOp();
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null
                && INTER_OP.compareAndSet(0, interOp)) {
            try {
                JniUtils.setNumInteropThreads(interOp);
            } catch (RuntimeException e) {
                // libtorch refuses once it has run operators in parallel
                LOG.log(System.Logger.Level.WARNING, "libtorch keeps {0} inter-op threads: {1}",
                        JniUtils.getNumInteropThreads(), e.getMessage());
            }
        } else if (threads.interOp() > 0 && JniUtils.getNumInteropThreads() != interOp) {
            LOG.log(System.Logger.Level.WARNING, "libtorch already runs with {0} inter-op "
                    + "threads in this process; the requested {1} is ignored",
                    JniUtils.getNumInteropThreads(), interOp);
        }
    }

    /** {@inheritDoc} */
    @Override
    public float[][] forward(float[] batch, int n, int[] shape) throws InferenceException {
        if (System.getProperty("ai.djl.pytorch.graph_optimizer") == null) {
            JniUtils.setGraphExecutorOptimize(false); // per thread; DJL applies the property
        }
        return forward.forward(batch, n, shape);
    }

    /** {@inheritDoc} */
    @Override
    public InferenceEngine engine() {
        return InferenceEngine.PYTORCH;
    }

    /** Releases the predictors and the native model. */
    @Override
    public void close() {
        forward.close();
    }
}
