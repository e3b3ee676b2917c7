package dev.kodiak.core.forward;

import java.util.ArrayList;
import java.util.List;

/**
 * The operators this runtime implements, each made from a node once at load (where its
 * attributes are read and checked) and run on every forward pass. Every attribute a node may
 * carry is either honoured or refused with {@link ForwardException.Problem#UNSUPPORTED}, so a
 * model runs exactly as ONNX defines it or not at all.
 */
final class Operators {
    /** One node, ready to run. */
    interface Step {
        /**
         * Runs the node.
         *
         * @param in its inputs in order, null where an optional input is absent
         * @return its outputs in order
         */
        Tensor[] run(Tensor[] in) throws ForwardException;
    }

    /** The op types of the default domain this runtime runs, in the order the docs list them. */
    static final List<String> SUPPORTED = List.of("Conv", "Gemm", "MatMul", "Add", "Sub", "Mul",
            "Div", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "MaxPool", "AveragePool",
            "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization", "Flatten", "Reshape",
            "Transpose", "Squeeze", "Unsqueeze", "Shape", "Gather", "Concat", "Softmax",
            "LogSoftmax", "Identity", "Dropout", "Constant", "ConstantOfShape", "Cast",
            "QuantizeLinear", "DequantizeLinear");

    private Operators() {
    }

    /** A node's attributes, read once; any attribute not read is refused by {@link #done()}. */
    static final class Attributes {
        private final OnnxGraph.Node node;
        private final List<String> read = new ArrayList<>();

        Attributes(OnnxGraph.Node node) {
            this.node = node;
        }

        private OnnxGraph.Attribute get(String name, int type) throws ForwardException {
            read.add(name);
            OnnxGraph.Attribute a = node.attributes.get(name);
            if (a != null && a.type != type && a.type != 0) {
                throw unsupported(node, "attribute '" + name + "' of type " + a.type);
            }
            return a;
        }

        int i(String name, int fallback) throws ForwardException {
            OnnxGraph.Attribute a = get(name, OnnxGraph.Attribute.INT);
            return a == null ? fallback : (int) a.i;
        }

        float f(String name, float fallback) throws ForwardException {
            OnnxGraph.Attribute a = get(name, OnnxGraph.Attribute.FLOAT);
            return a == null ? fallback : a.f;
        }

        String s(String name, String fallback) throws ForwardException {
            OnnxGraph.Attribute a = get(name, OnnxGraph.Attribute.STRING);
            return a == null ? fallback : a.s;
        }

        int[] ints(String name) throws ForwardException {
            OnnxGraph.Attribute a = get(name, OnnxGraph.Attribute.INTS);
            if (a == null) {
                return null;
            }
            int[] out = new int[a.ints.size];
            for (int k = 0; k < out.length; k++) {
                out[k] = (int) a.ints.values[k];
            }
            return out;
        }

        OnnxGraph.Attribute raw(String name) {
            read.add(name);
            return node.attributes.get(name);
        }

        void done() throws ForwardException {
            for (String name : node.attributes.keySet()) {
                if (!read.contains(name)) {
                    throw unsupported(node, "attribute '" + name + "'");
                }
            }
        }
    }

    static ForwardException unsupported(OnnxGraph.Node node, String what) {
        return new ForwardException(ForwardException.Problem.UNSUPPORTED, node.label()
                + " with " + what, null);
    }

    static ForwardException input(OnnxGraph.Node node, String what) {
        return new ForwardException(ForwardException.Problem.INPUT, node.label() + ": " + what,
                null);
    }

    /**
     * Makes a node's step.
     *
     * @param node the node
     * @param opset the model's opset of the default domain
     * @return the step, or null when this runtime does not know the op type (the caller lists
     *     every such op type in one message)
     * @throws ForwardException if the op is known but an attribute or its value is not
     */
    static Step create(OnnxGraph.Node node, long opset) throws ForwardException {
        if (!node.domain.isEmpty() && !node.domain.equals("ai.onnx")) {
            return null;
        }
        Attributes a = new Attributes(node);
        Step step = switch (node.opType) {
            case "Conv" -> conv(node, a);
            case "MaxPool", "AveragePool" -> pool(node, a);
            case "GlobalAveragePool", "GlobalMaxPool" -> globalPool(node);
            case "Gemm" -> gemm(node, a);
            case "MatMul" -> in -> new Tensor[] {Shapes.matMul(node, in[0], in[1])};
            case "Add", "Sub", "Mul", "Div" -> binary(node);
            case "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip" -> unary(node, a, opset);
            case "BatchNormalization" -> batchNorm(node, a);
            case "Softmax", "LogSoftmax" -> softmax(node, a, opset);
            case "Identity" -> in -> new Tensor[] {in[0]};
            case "Dropout" -> dropout(node, a);
            case "Constant" -> constant(node, a);
            case "ConstantOfShape" -> constantOfShape(node, a);
            case "Cast" -> cast(node, a);
            case "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Shape", "Gather",
                    "Concat" -> Shapes.create(node, a, opset);
            case "QuantizeLinear", "DequantizeLinear" -> quantize(node, a);
            default -> null;
        };
        if (step != null) {
            a.done();
        }
        return step;
    }

    /** Reads pads, strides, dilations and auto_pad of Conv and the pools into a resolver. */
    private interface WindowOf {
        Kernels.Window of(int h, int w, int kh, int kw) throws ForwardException;
    }

    private static WindowOf window(OnnxGraph.Node node, Attributes a, boolean dilated)
            throws ForwardException {
        String autoPad = a.s("auto_pad", "NOTSET");
        int[] pads = a.ints("pads");
        int[] strides = a.ints("strides");
        int[] dilations = dilated ? a.ints("dilations") : null;
        if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID")
                && !autoPad.equals("SAME_UPPER") && !autoPad.equals("SAME_LOWER")) {
            throw unsupported(node, "auto_pad " + autoPad);
        }
        for (int[] list : new int[][] {pads, strides, dilations}) {
            if (list != null && list.length != 2 && list.length != 4) {
                throw unsupported(node, "a window of " + list.length / (list == pads ? 2 : 1)
                        + " dimensions (only 2-D is implemented)");
            }
        }
        return (h, w, kh, kw) -> {
            int sh = strides == null ? 1 : strides[0];
            int sw = strides == null ? 1 : strides[1];
            int dh = dilations == null ? 1 : dilations[0];
            int dw = dilations == null ? 1 : dilations[1];
            if (autoPad.startsWith("SAME")) {
                int ph = Math.max(0, ((h + sh - 1) / sh - 1) * sh + (kh - 1) * dh + 1 - h);
                int pw = Math.max(0, ((w + sw - 1) / sw - 1) * sw + (kw - 1) * dw + 1 - w);
                boolean upper = autoPad.equals("SAME_UPPER");
                int top = upper ? ph / 2 : ph - ph / 2;
                int left = upper ? pw / 2 : pw - pw / 2;
                return new Kernels.Window(kh, kw, sh, sw, dh, dw, top, left, ph - top,
                        pw - left);
            }
            boolean none = pads == null || autoPad.equals("VALID");
            return new Kernels.Window(kh, kw, sh, sw, dh, dw, none ? 0 : pads[0],
                    none ? 0 : pads[1], none ? 0 : pads[2], none ? 0 : pads[3]);
        };
    }

    private static void needRank(OnnxGraph.Node node, Tensor t, int rank, String what)
            throws ForwardException {
        if (t.rank() != rank) {
            throw rank == 4 && t.rank() != 4
                    ? unsupported(node, what + " of shape " + Tensor.shapeText(t.shape)
                    + " (only 2-D images, NCHW, are implemented)")
                    : input(node, what + " of shape " + Tensor.shapeText(t.shape)
                    + " where rank " + rank + " is needed");
        }
    }

    private static Step conv(OnnxGraph.Node node, Attributes a) throws ForwardException {
        WindowOf windowOf = window(node, a, true);
        int groups = a.i("group", 1);
        int[] kernel = a.ints("kernel_shape");
        return in -> {
            Tensor x = in[0];
            Tensor wt = in[1];
            needRank(node, x, 4, "input");
            needRank(node, wt, 4, "weight");
            int n = x.shape[0];
            int c = x.shape[1];
            int h = x.shape[2];
            int w = x.shape[3];
            int m = wt.shape[0];
            int kh = wt.shape[2];
            int kw = wt.shape[3];
            if (kernel != null && (kernel.length != 2 || kernel[0] != kh || kernel[1] != kw)) {
                throw input(node, "kernel_shape " + Tensor.shapeText(kernel) + " and weight "
                        + Tensor.shapeText(wt.shape) + " disagree");
            }
            if (c % groups != 0 || m % groups != 0 || wt.shape[1] != c / groups) {
                throw input(node, "input " + Tensor.shapeText(x.shape) + ", weight "
                        + Tensor.shapeText(wt.shape) + " and group " + groups + " disagree");
            }
            Tensor bias = in.length > 2 ? in[2] : null;
            if (bias != null && bias.data.length != m) {
                throw input(node, "a bias of " + bias.data.length + " values for " + m
                        + " output channels");
            }
            Kernels.Window win = windowOf.of(h, w, kh, kw);
            int oh = win.outHeight(h, false);
            int ow = win.outWidth(w, false);
            float[] out = Kernels.conv(x.data, n, c, h, w, wt.data, m,
                    bias == null ? null : bias.data, groups, win, oh, ow);
            return new Tensor[] {new Tensor(new int[] {n, m, oh, ow}, out)};
        };
    }

    private static Step pool(OnnxGraph.Node node, Attributes a) throws ForwardException {
        boolean average = node.opType.equals("AveragePool");
        WindowOf windowOf = window(node, a, !average);
        int[] kernel = a.ints("kernel_shape");
        boolean ceil = a.i("ceil_mode", 0) != 0;
        boolean countPad = average && a.i("count_include_pad", 0) != 0;
        if (!average && a.i("storage_order", 0) != 0) {
            throw unsupported(node, "storage_order 1");
        }
        if (kernel == null || kernel.length != 2) {
            throw unsupported(node, "a kernel_shape other than 2-D");
        }
        if (node.outputs.size() > 1 && !node.outputs.get(1).isEmpty()) {
            throw unsupported(node, "the Indices output");
        }
        return in -> {
            Tensor x = in[0];
            needRank(node, x, 4, "input");
            int h = x.shape[2];
            int w = x.shape[3];
            Kernels.Window win = windowOf.of(h, w, kernel[0], kernel[1]);
            int oh = win.outHeight(h, ceil);
            int ow = win.outWidth(w, ceil);
            if (ceil) { // the last window must start inside the input or its left pad
                if ((oh - 1) * win.sh() >= h + win.pt()) {
                    oh--;
                }
                if ((ow - 1) * win.sw() >= w + win.pl()) {
                    ow--;
                }
            }
            float[] out = Kernels.pool(x.data, x.shape[0] * x.shape[1], h, w, win, oh, ow,
                    average, countPad);
            return new Tensor[] {new Tensor(new int[] {x.shape[0], x.shape[1], oh, ow}, out)};
        };
    }

    private static Step globalPool(OnnxGraph.Node node) {
        boolean average = node.opType.equals("GlobalAveragePool");
        return in -> {
            Tensor x = in[0];
            if (x.rank() < 3) {
                throw input(node, "input of shape " + Tensor.shapeText(x.shape));
            }
            int planes = x.shape[0] * x.shape[1];
            int size = x.data.length / Math.max(1, planes);
            float[] out = new float[planes];
            for (int p = 0; p < planes; p++) {
                float acc = average ? 0 : Float.NEGATIVE_INFINITY;
                for (int i = 0; i < size; i++) {
                    float v = x.data[p * size + i];
                    acc = average ? acc + v : Math.max(acc, v);
                }
                out[p] = average ? acc / size : acc;
            }
            int[] shape = new int[x.rank()];
            shape[0] = x.shape[0];
            shape[1] = x.shape[1];
            for (int i = 2; i < shape.length; i++) {
                shape[i] = 1;
            }
            return new Tensor[] {new Tensor(shape, out)};
        };
    }

    private static Step gemm(OnnxGraph.Node node, Attributes a) throws ForwardException {
        float alpha = a.f("alpha", 1f);
        float beta = a.f("beta", 1f);
        boolean transA = a.i("transA", 0) != 0;
        boolean transB = a.i("transB", 0) != 0;
        return in -> {
            Tensor ta = in[0];
            Tensor tb = in[1];
            Tensor tc = in.length > 2 ? in[2] : null;
            needRank(node, ta, 2, "A");
            needRank(node, tb, 2, "B");
            float[] am = transA ? Shapes.transpose2d(ta.data, ta.shape[0], ta.shape[1])
                    : ta.data;
            int rows = transA ? ta.shape[1] : ta.shape[0];
            int inner = transA ? ta.shape[0] : ta.shape[1];
            int bInner = transB ? tb.shape[1] : tb.shape[0];
            int cols = transB ? tb.shape[0] : tb.shape[1];
            if (inner != bInner) {
                throw input(node, "A " + Tensor.shapeText(ta.shape) + " and B "
                        + Tensor.shapeText(tb.shape) + " do not multiply");
            }
            float[] out = new float[rows * cols];
            if (transB) {
                Kernels.multiplyTransposed(am, rows, inner, tb.data, cols, out);
            } else {
                Kernels.multiply(am, 0, rows, inner, tb.data, 0, cols, out, 0);
            }
            if (alpha != 1f) {
                for (int i = 0; i < out.length; i++) {
                    out[i] *= alpha;
                }
            }
            Tensor result = new Tensor(new int[] {rows, cols}, out);
            if (tc != null && beta != 0f) {
                Tensor c = tc;
                if (beta != 1f) {
                    float[] scaled = new float[c.data.length];
                    for (int i = 0; i < scaled.length; i++) {
                        scaled[i] = beta * c.data[i];
                    }
                    c = new Tensor(c.shape, scaled);
                }
                result = Shapes.broadcast(node, result, c, '+');
            }
            return new Tensor[] {result};
        };
    }

    private static Step binary(OnnxGraph.Node node) {
        char op = switch (node.opType) {
            case "Add" -> '+';
            case "Sub" -> '-';
            case "Mul" -> '*';
            default -> '/';
        };
        return in -> new Tensor[] {Shapes.broadcast(node, in[0], in[1], op)};
    }

    private static Step unary(OnnxGraph.Node node, Attributes a, long opset)
            throws ForwardException {
        String op = node.opType;
        float alpha = op.equals("LeakyRelu") ? a.f("alpha", 0.01f) : 0;
        float minAttr = op.equals("Clip") && opset < 11 ? a.f("min", -Float.MAX_VALUE) : 0;
        float maxAttr = op.equals("Clip") && opset < 11 ? a.f("max", Float.MAX_VALUE) : 0;
        return in -> {
            float[] x = in[0].data;
            float[] out = new float[x.length];
            float lo = minAttr;
            float hi = maxAttr;
            if (op.equals("Clip") && opset >= 11) {
                lo = in.length > 1 && in[1] != null ? in[1].data[0] : Float.NEGATIVE_INFINITY;
                hi = in.length > 2 && in[2] != null ? in[2].data[0] : Float.POSITIVE_INFINITY;
            }
            for (int i = 0; i < x.length; i++) {
                float v = x[i];
                out[i] = switch (op) {
                    case "Relu" -> v > 0 ? v : 0;
                    case "LeakyRelu" -> v >= 0 ? v : alpha * v;
                    case "Sigmoid" -> (float) (1 / (1 + Math.exp(-v)));
                    case "Tanh" -> (float) Math.tanh(v);
                    default -> Math.min(hi, Math.max(lo, v));
                };
            }
            return new Tensor[] {new Tensor(in[0].shape, out)};
        };
    }

    private static Step batchNorm(OnnxGraph.Node node, Attributes a) throws ForwardException {
        float epsilon = a.f("epsilon", 1e-5f);
        a.f("momentum", 0.9f); // a training parameter: inference ignores it
        if (a.i("training_mode", 0) != 0) {
            throw unsupported(node, "training_mode 1");
        }
        if (a.i("spatial", 1) != 1) {
            throw unsupported(node, "spatial 0");
        }
        if (node.outputs.size() > 1) {
            throw unsupported(node, "the running mean and variance outputs");
        }
        return in -> {
            Tensor x = in[0];
            int c = x.rank() < 2 ? 1 : x.shape[1];
            int n = x.shape[0];
            int plane = x.data.length / Math.max(1, n * c);
            float[] scale = in[1].data;
            float[] bias = in[2].data;
            float[] mean = in[3].data;
            float[] var = in[4].data;
            if (scale.length != c || bias.length != c || mean.length != c || var.length != c) {
                throw input(node, "parameters of another size than the " + c + " channels");
            }
            float[] out = new float[x.data.length];
            for (int ch = 0; ch < c; ch++) {
                float s = (float) (scale[ch] / Math.sqrt(var[ch] + epsilon));
                float shift = bias[ch] - mean[ch] * s;
                for (int b = 0; b < n; b++) {
                    int at = (b * c + ch) * plane;
                    for (int i = 0; i < plane; i++) {
                        out[at + i] = x.data[at + i] * s + shift;
                    }
                }
            }
            return new Tensor[] {new Tensor(x.shape, out)};
        };
    }

    private static Step softmax(OnnxGraph.Node node, Attributes a, long opset)
            throws ForwardException {
        boolean log = node.opType.equals("LogSoftmax");
        int axisAttr = a.i("axis", opset >= 13 ? -1 : 1);
        return in -> {
            Tensor x = in[0];
            int axis = axisAttr < 0 ? axisAttr + x.rank() : axisAttr;
            if (axis < 0 || axis >= Math.max(1, x.rank())) {
                throw input(node, "axis " + axisAttr + " for shape " + Tensor.shapeText(x.shape));
            }
            int outer = 1;
            for (int i = 0; i < axis; i++) {
                outer *= x.shape[i];
            }
            // before opset 13 the input is flattened to 2-D at the axis
            int len = opset >= 13 ? x.shape[axis] : x.data.length / Math.max(1, outer);
            int inner = x.data.length / Math.max(1, outer * len);
            float[] out = new float[x.data.length];
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    int base = o * len * inner + i;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int k = 0; k < len; k++) {
                        max = Math.max(max, x.data[base + k * inner]);
                    }
                    double sum = 0;
                    for (int k = 0; k < len; k++) {
                        sum += Math.exp(x.data[base + k * inner] - max);
                    }
                    for (int k = 0; k < len; k++) {
                        float d = x.data[base + k * inner] - max;
                        out[base + k * inner] = log ? (float) (d - Math.log(sum))
                                : (float) (Math.exp(d) / sum);
                    }
                }
            }
            return new Tensor[] {new Tensor(x.shape, out)};
        };
    }

    private static Step dropout(OnnxGraph.Node node, Attributes a) throws ForwardException {
        a.f("ratio", 0.5f);
        a.i("seed", 0);
        a.i("is_test", 1);
        if (node.outputs.size() > 1 && !node.outputs.get(1).isEmpty()) {
            throw unsupported(node, "the mask output");
        }
        return in -> {
            if (in.length > 2 && in[2] != null && in[2].data[0] != 0) {
                throw unsupported(node, "training_mode true");
            }
            return new Tensor[] {in[0]};
        };
    }

    private static Step constant(OnnxGraph.Node node, Attributes a) throws ForwardException {
        OnnxGraph.Attribute value = a.raw("value");
        OnnxGraph.Attribute f = a.raw("value_float");
        OnnxGraph.Attribute fs = a.raw("value_floats");
        OnnxGraph.Attribute i = a.raw("value_int");
        OnnxGraph.Attribute is = a.raw("value_ints");
        Tensor t;
        if (value != null && value.t != null) {
            t = value.t;
        } else if (f != null) {
            t = new Tensor(new int[0], new float[] {f.f});
        } else if (fs != null) {
            t = new Tensor(new int[] {fs.floats.size}, fs.floats.toArray());
        } else if (i != null) {
            t = new Tensor(new int[0], new float[] {i.i}, Tensor.INT64);
        } else if (is != null) {
            float[] d = new float[is.ints.size];
            for (int k = 0; k < d.length; k++) {
                d[k] = is.ints.values[k];
            }
            t = new Tensor(new int[] {d.length}, d, Tensor.INT64);
        } else {
            throw unsupported(node, "no value, or a sparse or string value");
        }
        Tensor result = t;
        return in -> new Tensor[] {result};
    }

    private static Step constantOfShape(OnnxGraph.Node node, Attributes a)
            throws ForwardException {
        OnnxGraph.Attribute value = a.raw("value");
        Tensor fill = value == null || value.t == null
                ? new Tensor(new int[] {1}, new float[] {0}) : value.t;
        if (fill.data.length != 1) {
            throw unsupported(node, "a value of " + fill.data.length + " elements");
        }
        return in -> {
            int[] shape = in[0].ints();
            float[] out = new float[Tensor.size(shape)];
            java.util.Arrays.fill(out, fill.data[0]);
            return new Tensor[] {new Tensor(shape, out, fill.type)};
        };
    }

    private static Step cast(OnnxGraph.Node node, Attributes a) throws ForwardException {
        int to = a.i("to", 0);
        a.i("saturate", 1);
        if (to != Tensor.FLOAT && to != Tensor.DOUBLE && to != Tensor.INT32
                && to != Tensor.INT64 && to != Tensor.BOOL && to != Tensor.UINT8
                && to != Tensor.INT8) {
            throw unsupported(node, "to " + Tensor.typeName(to));
        }
        return in -> {
            Tensor x = in[0];
            float[] out = new float[x.data.length];
            for (int i = 0; i < out.length; i++) {
                float v = x.data[i];
                out[i] = switch (to) {
                    case Tensor.FLOAT, Tensor.DOUBLE -> v;
                    case Tensor.BOOL -> v != 0 ? 1 : 0;
                    case Tensor.UINT8 -> ((int) v) & 0xff;
                    case Tensor.INT8 -> (byte) (int) v;
                    default -> (float) (long) v; // toward zero, as C casts
                };
            }
            return new Tensor[] {new Tensor(x.shape, out, to == Tensor.DOUBLE ? Tensor.FLOAT
                    : to)};
        };
    }

    private static Step quantize(OnnxGraph.Node node, Attributes a) throws ForwardException {
        boolean quantize = node.opType.equals("QuantizeLinear");
        int axisAttr = a.i("axis", 1);
        if (a.i("saturate", 1) != 1) {
            throw unsupported(node, "saturate 0");
        }
        if (a.i("block_size", 0) != 0) {
            throw unsupported(node, "blocked quantization (block_size)");
        }
        a.i("output_dtype", 0);
        if (node.attributes.containsKey("output_dtype")
                && node.attributes.get("output_dtype").i != 0) {
            throw unsupported(node, "output_dtype");
        }
        return in -> {
            Tensor x = in[0];
            Tensor scale = in[1];
            Tensor zero = in.length > 2 ? in[2] : null;
            int outType = quantize ? (zero == null ? Tensor.UINT8 : zero.type) : Tensor.FLOAT;
            if (quantize && outType != Tensor.UINT8 && outType != Tensor.INT8) {
                throw unsupported(node, "a zero point of type " + Tensor.typeName(outType));
            }
            int channels = scale.data.length;
            int inner = 1;
            if (scale.rank() > 1 || channels > 1) {
                int axis = axisAttr < 0 ? axisAttr + x.rank() : axisAttr;
                if (axis < 0 || axis >= x.rank() || x.shape[axis] != channels
                        || scale.rank() != 1) {
                    throw input(node, "scale of shape " + Tensor.shapeText(scale.shape)
                            + " for input " + Tensor.shapeText(x.shape) + " on axis "
                            + axisAttr);
                }
                for (int k = axis + 1; k < x.rank(); k++) {
                    inner *= x.shape[k];
                }
            }
            if (zero != null && zero.data.length != channels) {
                throw input(node, "a zero point of " + zero.data.length + " values for "
                        + channels + " scales");
            }
            float lo = outType == Tensor.INT8 ? -128 : 0;
            float hi = outType == Tensor.INT8 ? 127 : 255;
            float[] out = new float[x.data.length];
            for (int i = 0; i < out.length; i++) {
                int ch = channels == 1 ? 0 : (i / inner) % channels;
                float s = scale.data[ch];
                float z = zero == null ? 0 : zero.data[ch];
                if (quantize) {
                    float q = (float) Math.rint(x.data[i] / s) + z;
                    out[i] = Math.min(hi, Math.max(lo, q));
                } else {
                    out[i] = (x.data[i] - z) * s;
                }
            }
            return new Tensor[] {new Tensor(x.shape, out, outType)};
        };
    }
}
