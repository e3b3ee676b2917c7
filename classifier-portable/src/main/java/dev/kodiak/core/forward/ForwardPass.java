package dev.kodiak.core.forward;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Kodiak's own forward pass: a small ONNX model (one image input, one score output) run in
 * plain Java, with no native library and no WebAssembly, so the browser widget needs no ONNX
 * Runtime download for the models it can run. It implements a subset of ONNX's operators in
 * float32 ({@link #OPERATORS}), including QuantizeLinear and DequantizeLinear so int8 models in
 * QDQ form run too. A model that uses anything else is refused at {@link #read} with
 * {@link ForwardException.Problem#UNSUPPORTED}, naming what it cannot run, and the caller runs
 * it with ONNX Runtime instead. Like every runtime, it may only answer for a bundle once the
 * bundle's probe agrees ({@code ModelCheck}).
 *
 * <pre>{@code
 * ForwardPass pass = ForwardPass.read(onnxBytes, "model.onnx");
 * float[] scores = pass.forward(batch, n, new int[] {1, 28, 28}); // n rows of scores
 * }</pre>
 *
 * <p>Immutable after {@link #read} and thread-safe: each call allocates its own tensors.
 */
public final class ForwardPass {
    /** The ONNX operators (default domain) this runtime implements. */
    public static final List<String> OPERATORS = Operators.SUPPORTED;

    private final String modelName;
    private final List<OnnxGraph.Node> nodes;
    private final List<Operators.Step> steps;
    private final Map<String, Tensor> constants;
    private final String inputName;
    private final int[] inputShape;
    private final String outputName;
    private final List<String> operators;

    private ForwardPass(String modelName, List<OnnxGraph.Node> nodes, List<Operators.Step> steps,
            Map<String, Tensor> constants, OnnxGraph.Value input, String outputName,
            List<String> operators) {
        this.modelName = modelName;
        this.nodes = nodes;
        this.steps = steps;
        this.constants = constants;
        this.inputName = input.name();
        this.inputShape = input.shape();
        this.outputName = outputName;
        this.operators = operators;
    }

    /**
     * Reads an ONNX model and prepares its forward pass: every node is checked against what
     * this runtime implements, and the nodes whose inputs are all constant (the weights'
     * DequantizeLinear of an int8 model, for one) are computed once here.
     *
     * @param onnx the model file's bytes
     * @param modelName the file's name, for messages
     * @return the forward pass
     * @throws ForwardException {@link ForwardException.Problem#UNSUPPORTED} naming every
     *     operator (or the attribute) this runtime cannot run, or
     *     {@link ForwardException.Problem#MALFORMED} if the bytes are not ONNX
     */
    public static ForwardPass read(byte[] onnx, String modelName) throws ForwardException {
        OnnxGraph graph;
        try {
            graph = OnnxGraph.read(onnx);
        } catch (ForwardException e) {
            throw new ForwardException(e.problem(), cannot(modelName) + e.getMessage(), e);
        } catch (RuntimeException e) { // a value the reader's checks did not foresee
            throw new ForwardException(ForwardException.Problem.MALFORMED, cannot(modelName)
                    + "the file is damaged (" + e + ")", e);
        }
        List<Operators.Step> steps = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> operators = new ArrayList<>();
        for (OnnxGraph.Node node : graph.nodes) {
            String op = node.domain.isEmpty() ? node.opType : node.domain + "." + node.opType;
            if (!operators.contains(op)) {
                operators.add(op);
            }
            Operators.Step step;
            try {
                step = Operators.create(node, graph.opset);
            } catch (ForwardException e) {
                throw new ForwardException(ForwardException.Problem.UNSUPPORTED,
                        cannot(modelName) + "operator " + e.getMessage() + fallback(), e);
            }
            if (step == null && !missing.contains(op)) {
                missing.add(op);
            }
            steps.add(step);
        }
        if (!missing.isEmpty()) {
            throw new ForwardException(ForwardException.Problem.UNSUPPORTED, cannot(modelName)
                    + (missing.size() == 1 ? "operator " : "operators ") + list(missing)
                    + fallback(), null);
        }
        if (graph.inputs.size() != 1 || graph.outputs.isEmpty()) {
            throw new ForwardException(ForwardException.Problem.UNSUPPORTED, cannot(modelName)
                    + "it has " + graph.inputs.size() + " inputs and " + graph.outputs.size()
                    + " outputs where one image input and a score output are needed"
                    + fallback(), null);
        }
        Map<String, Tensor> constants = new HashMap<>(graph.initializers);
        List<OnnxGraph.Node> live = new ArrayList<>();
        List<Operators.Step> liveSteps = new ArrayList<>();
        for (int i = 0; i < graph.nodes.size(); i++) {
            OnnxGraph.Node node = graph.nodes.get(i);
            boolean constant = true;
            for (String in : node.inputs) {
                constant &= in.isEmpty() || constants.containsKey(in);
            }
            if (constant) {
                run(modelName, node, steps.get(i), constants);
            } else {
                live.add(node);
                liveSteps.add(steps.get(i));
            }
        }
        return new ForwardPass(modelName, live, liveSteps, constants, graph.inputs.get(0),
                graph.outputs.get(0).name(), List.copyOf(operators));
    }

    private static String cannot(String modelName) {
        return "This runtime cannot run model " + modelName + ": ";
    }

    private static String fallback() {
        return "; run it with ONNX Runtime (the widget does so on its own)";
    }

    private static String list(List<String> items) {
        StringBuilder s = new StringBuilder(); // not String.join: TeaVM compiles this
        for (String item : items) {
            s.append(s.length() == 0 ? "" : ", ").append(item);
        }
        return s.toString();
    }

    /**
     * Returns the model's operators, each once, in graph order.
     *
     * @return op types (prefixed by their domain outside the default one)
     */
    public List<String> operators() {
        return operators;
    }

    /**
     * Returns the shape the model declares for its input.
     *
     * @return dimensions, -1 where symbolic (the batch)
     */
    public int[] inputShape() {
        return inputShape.clone();
    }

    /**
     * Runs the model on a batch of images.
     *
     * @param batch {@code n} CHW tensors of {@code shape}, one after another
     * @param n the number of images, at least 1
     * @param shape one image's shape, {channels, height, width}
     * @return {@code n} rows of scores, one after another (as {@code ModelCheck.judge} and
     *     JavaScript runtimes take them)
     * @throws ForwardException {@link ForwardException.Problem#INPUT} if the input does not fit
     *     the model
     * @throws IllegalArgumentException if {@code batch} holds fewer than {@code n} tensors
     */
    public float[] forward(float[] batch, int n, int[] shape) throws ForwardException {
        int size = shape[0] * shape[1] * shape[2];
        if (n < 1 || batch.length < (long) n * size) {
            throw new IllegalArgumentException("Invalid batch: " + batch.length + " floats for "
                    + n + " images of " + size);
        }
        float[] data = batch.length == n * size ? batch : new float[n * size];
        if (data != batch) {
            System.arraycopy(batch, 0, data, 0, n * size);
        }
        int[] full = {n, shape[0], shape[1], shape[2]};
        if (inputShape.length != 4) {
            throw new ForwardException(ForwardException.Problem.INPUT, "Model " + modelName
                    + " takes input " + Tensor.shapeText(inputShape) + ", not an NCHW image "
                    + Tensor.shapeText(full), null);
        }
        for (int i = 1; i < 4; i++) {
            if (inputShape[i] >= 0 && inputShape[i] != full[i]) {
                throw new ForwardException(ForwardException.Problem.INPUT, "Model " + modelName
                        + " takes input " + Tensor.shapeText(inputShape) + ", not "
                        + Tensor.shapeText(full) + "; set the input spec to what the model was "
                        + "exported with", null);
            }
        }
        Map<String, Tensor> values = new HashMap<>(constants);
        values.put(inputName, new Tensor(full, data));
        for (int i = 0; i < nodes.size(); i++) {
            run(modelName, nodes.get(i), steps.get(i), values);
        }
        Tensor out = values.get(outputName);
        if (out == null) {
            throw new ForwardException(ForwardException.Problem.UNSUPPORTED, cannot(modelName)
                    + "no node computes output '" + outputName + "'", null);
        }
        if (out.rank() == 0 || out.shape[0] != n) {
            throw new ForwardException(ForwardException.Problem.INPUT, "Model " + modelName
                    + " gives output " + Tensor.shapeText(out.shape) + " for " + n
                    + " images; export it with one row of scores per image", null);
        }
        return out.type == Tensor.FLOAT ? out.data : out.data.clone();
    }

    private static void run(String modelName, OnnxGraph.Node node, Operators.Step step,
            Map<String, Tensor> values) throws ForwardException {
        Tensor[] in = new Tensor[node.inputs.size()];
        for (int k = 0; k < in.length; k++) {
            String name = node.inputs.get(k);
            if (!name.isEmpty()) {
                in[k] = values.get(name);
                if (in[k] == null) {
                    throw new ForwardException(ForwardException.Problem.MALFORMED,
                            cannot(modelName) + node.label() + " reads '" + name + "', which no "
                            + "earlier node computes", null);
                }
            }
        }
        Tensor[] out;
        try {
            out = step.run(in);
        } catch (ForwardException e) {
            throw new ForwardException(e.problem(), (e.problem()
                    == ForwardException.Problem.UNSUPPORTED ? cannot(modelName) + "operator "
                    : "Model " + modelName + ", operator ") + e.getMessage(), e);
        } catch (RuntimeException e) { // an index out of bounds: shapes the checks missed
            throw new ForwardException(ForwardException.Problem.INPUT, "Model " + modelName
                    + ", operator " + node.label() + " failed on its inputs (" + e + ")", e);
        }
        for (int k = 0; k < out.length && k < node.outputs.size(); k++) {
            if (!node.outputs.get(k).isEmpty()) {
                values.put(node.outputs.get(k), out[k]);
            }
        }
    }
}
