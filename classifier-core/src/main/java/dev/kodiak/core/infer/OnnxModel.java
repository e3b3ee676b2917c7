package dev.kodiak.core.infer;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * An ONNX model loaded through DJL's OnnxRuntime engine (ONNX Runtime) on the CPU: the
 * {@link TorchModel} twin for a bundle's {@code model.onnx}.
 *
 * <pre>{@code
 * try (OnnxModel model = OnnxModel.load(Path.of("model.onnx"), Threads.defaults())) {
 *     float[][] scores = model.forward(batch, 8, new int[] {3, 224, 224});
 * }
 * }</pre>
 *
 * <p>Options are per model (ONNX Runtime session options): all graph optimizations, sequential
 * execution, {@link Threads#resolvedIntraOp()} intra-op threads, and no spinning (idle threads
 * sleep instead of busy-waiting, so they do not take the cores decoding needs).
 *
 * <p>One JVM-wide property remains: DJL starts a second engine (libtorch, when it is on the class
 * path) beside ONNX Runtime for NDArray operations ONNX Runtime lacks. Kodiak needs none of them,
 * so unless the application has set {@code ai.djl.onnx.disable_alternative} itself, loading the
 * first ONNX model sets it to {@code true} (and logs it at DEBUG): a JVM that only runs ONNX never
 * extracts or loads libtorch. Set it to {@code false} before the first model to keep DJL's
 * default.
 *
 * <p>Thread-safe: each call borrows a DJL predictor no other call is using and its own
 * NDManager. Close it once, after all calls.
 */
public final class OnnxModel implements InferenceModel {
    private static final System.Logger LOG = System.getLogger(OnnxModel.class.getName());
    /** DJL's switch for the second engine (ai.djl.onnxruntime.engine.OrtEngine). */
    static final String NO_ALTERNATIVE = "ai.djl.onnx.disable_alternative";

    private final DjlForward forward;

    private OnnxModel(DjlForward forward) {
        this.forward = forward;
    }

    /**
     * Loads an ONNX file.
     *
     * @param file the {@code .onnx} file
     * @param threads intra- and inter-op threads of this model's session
     * @return the loaded model
     * @throws InferenceException if ONNX Runtime cannot load the file, or cannot start
     */
    public static OnnxModel load(Path file, Threads threads) throws InferenceException {
        keepLibtorchOut();
        Model model = null;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setIntraOpNumThreads(threads.resolvedIntraOp());
            options.setInterOpNumThreads(threads.resolvedInterOp());
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            model = Model.newInstance(file.getFileName().toString(), Device.cpu(),
                    "OnnxRuntime");
            // ONNX Runtime copies the options into the session; closing them afterwards is safe
            model.load(file.getParent(), file.getFileName().toString(),
                    Map.of("sessionOptions", options));
            LOG.log(System.Logger.Level.DEBUG, "loaded {0} with ONNX Runtime {1}, {2}", file,
                    Engine.getEngine("OnnxRuntime").getVersion(), threads);
            return new OnnxModel(new DjlForward(model, file));
        } catch (OrtException | MalformedModelException | IOException | RuntimeException e) {
            if (model != null) {
                model.close();
            }
            throw new InferenceException("ONNX Runtime cannot load " + file + " ("
                    + e.getMessage() + "); re-export the bundle with tools/export_bundle.py "
                    + "(ONNX opset 14 or later), or choose engine pytorch", e);
        }
    }

    private static synchronized void keepLibtorchOut() {
        if (System.getProperty(NO_ALTERNATIVE) == null) {
            System.setProperty(NO_ALTERNATIVE, "true");
            LOG.log(System.Logger.Level.DEBUG, "set -D{0}=true so that ONNX Runtime runs without "
                    + "libtorch beside it; set it yourself to choose otherwise", NO_ALTERNATIVE);
        }
    }

    /** {@inheritDoc} */
    @Override
    public float[][] forward(float[] batch, int n, int[] shape) throws InferenceException {
        return forward.forward(batch, n, shape);
    }

    /** {@inheritDoc} */
    @Override
    public InferenceEngine engine() {
        return InferenceEngine.ONNXRUNTIME;
    }

    /** Releases the predictors and the native session. */
    @Override
    public void close() {
        forward.close();
    }
}
