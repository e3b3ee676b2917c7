package dev.kodiak.core.forward;

/**
 * The operators that move values rather than compute them (Flatten, Reshape, Transpose,
 * Squeeze, Unsqueeze, Shape, Gather, Concat), numpy-style broadcasting for the element-wise
 * operators, and MatMul. Stateless.
 */
final class Shapes {
    private Shapes() {
    }

    static Operators.Step create(OnnxGraph.Node node, Operators.Attributes a, long opset)
            throws ForwardException {
        switch (node.opType) {
            case "Flatten" -> {
                int axisAttr = a.i("axis", 1);
                return in -> {
                    Tensor x = in[0];
                    int axis = axisAttr < 0 ? axisAttr + x.rank() : axisAttr;
                    int outer = 1;
                    for (int i = 0; i < axis; i++) {
                        outer *= x.shape[i];
                    }
                    return new Tensor[] {new Tensor(new int[] {outer,
                        x.data.length / Math.max(1, outer)}, x.data, x.type)};
                };
            }
            case "Reshape" -> {
                boolean allowZero = a.i("allowzero", 0) != 0;
                return in -> new Tensor[] {reshape(node, in[0], in[1].ints(), allowZero)};
            }
            case "Transpose" -> {
                int[] perm = a.ints("perm");
                return in -> new Tensor[] {transpose(in[0], perm)};
            }
            case "Squeeze", "Unsqueeze" -> {
                int[] attrAxes = opset < 13 ? a.ints("axes") : null;
                boolean squeeze = node.opType.equals("Squeeze");
                return in -> {
                    int[] axes = attrAxes != null ? attrAxes
                            : in.length > 1 && in[1] != null ? in[1].ints() : null;
                    return new Tensor[] {squeeze ? squeeze(node, in[0], axes)
                            : unsqueeze(node, in[0], axes)};
                };
            }
            case "Shape" -> {
                int startAttr = a.i("start", 0);
                Integer endAttr = node.attributes.containsKey("end") ? a.i("end", 0) : null;
                return in -> {
                    int rank = in[0].rank();
                    int start = clamp(startAttr < 0 ? startAttr + rank : startAttr, rank);
                    int end = endAttr == null ? rank
                            : clamp(endAttr < 0 ? endAttr + rank : endAttr, rank);
                    int n = Math.max(0, end - start);
                    float[] d = new float[n];
                    for (int i = 0; i < n; i++) {
                        d[i] = in[0].shape[start + i];
                    }
                    return new Tensor[] {new Tensor(new int[] {n}, d, Tensor.INT64)};
                };
            }
            case "Gather" -> {
                int axisAttr = a.i("axis", 0);
                return in -> new Tensor[] {gather(node, in[0], in[1], axisAttr)};
            }
            case "Concat" -> {
                int axisAttr = a.i("axis", Integer.MIN_VALUE);
                if (axisAttr == Integer.MIN_VALUE) {
                    throw Operators.input(node, "no axis");
                }
                return in -> new Tensor[] {concat(node, in, axisAttr)};
            }
            default -> throw new IllegalStateException(node.opType);
        }
    }

    private static int clamp(int v, int rank) {
        return Math.max(0, Math.min(rank, v));
    }

    static Tensor reshape(OnnxGraph.Node node, Tensor x, int[] spec, boolean allowZero)
            throws ForwardException {
        int[] shape = new int[spec.length];
        int known = 1;
        int free = -1;
        for (int i = 0; i < spec.length; i++) {
            int d = spec[i];
            if (d == 0 && !allowZero) {
                if (i >= x.rank()) {
                    throw Operators.input(node, "shape " + Tensor.shapeText(spec)
                            + " copies a dimension the input " + Tensor.shapeText(x.shape)
                            + " does not have");
                }
                d = x.shape[i];
            }
            if (d == -1) {
                if (free >= 0) {
                    throw Operators.input(node, "shape " + Tensor.shapeText(spec)
                            + " with two -1");
                }
                free = i;
            } else {
                known *= d;
            }
            shape[i] = d;
        }
        if (free >= 0) {
            shape[free] = known == 0 ? 0 : x.data.length / known;
        }
        if (Tensor.size(shape) != x.data.length) {
            throw Operators.input(node, "input " + Tensor.shapeText(x.shape) + " cannot become "
                    + Tensor.shapeText(spec));
        }
        return new Tensor(shape, x.data, x.type);
    }

    static float[] transpose2d(float[] x, int rows, int cols) {
        float[] out = new float[x.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = x[r * cols + c];
            }
        }
        return out;
    }

    static Tensor transpose(Tensor x, int[] permAttr) {
        int rank = x.rank();
        int[] perm = permAttr;
        if (perm == null) {
            perm = new int[rank];
            for (int i = 0; i < rank; i++) {
                perm[i] = rank - 1 - i;
            }
        }
        int[] shape = new int[rank];
        int[] strides = strides(x.shape);
        int[] from = new int[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = x.shape[perm[i]];
            from[i] = strides[perm[i]];
        }
        float[] out = new float[x.data.length];
        int[] index = new int[rank];
        int src = 0;
        for (int o = 0; o < out.length; o++) {
            out[o] = x.data[src];
            for (int d = rank - 1; d >= 0; d--) {
                index[d]++;
                src += from[d];
                if (index[d] < shape[d]) {
                    break;
                }
                src -= from[d] * shape[d];
                index[d] = 0;
            }
        }
        return new Tensor(shape, out, x.type);
    }

    private static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    private static Tensor squeeze(OnnxGraph.Node node, Tensor x, int[] axes)
            throws ForwardException {
        boolean[] drop = new boolean[x.rank()];
        if (axes == null) {
            for (int i = 0; i < drop.length; i++) {
                drop[i] = x.shape[i] == 1;
            }
        } else {
            for (int axis : axes) {
                int k = axis < 0 ? axis + x.rank() : axis;
                if (k < 0 || k >= x.rank() || x.shape[k] != 1) {
                    throw Operators.input(node, "axis " + axis + " of shape "
                            + Tensor.shapeText(x.shape) + " is not 1");
                }
                drop[k] = true;
            }
        }
        int kept = 0;
        for (boolean d : drop) {
            kept += d ? 0 : 1;
        }
        int[] shape = new int[kept];
        int j = 0;
        for (int i = 0; i < drop.length; i++) {
            if (!drop[i]) {
                shape[j++] = x.shape[i];
            }
        }
        return new Tensor(shape, x.data, x.type);
    }

    private static Tensor unsqueeze(OnnxGraph.Node node, Tensor x, int[] axes)
            throws ForwardException {
        if (axes == null) {
            throw Operators.input(node, "no axes");
        }
        int rank = x.rank() + axes.length;
        boolean[] added = new boolean[rank];
        for (int axis : axes) {
            int k = axis < 0 ? axis + rank : axis;
            if (k < 0 || k >= rank || added[k]) {
                throw Operators.input(node, "axes " + Tensor.shapeText(axes) + " for shape "
                        + Tensor.shapeText(x.shape));
            }
            added[k] = true;
        }
        int[] shape = new int[rank];
        int j = 0;
        for (int i = 0; i < rank; i++) {
            shape[i] = added[i] ? 1 : x.shape[j++];
        }
        return new Tensor(shape, x.data, x.type);
    }

    private static Tensor gather(OnnxGraph.Node node, Tensor x, Tensor indices, int axisAttr)
            throws ForwardException {
        int axis = axisAttr < 0 ? axisAttr + x.rank() : axisAttr;
        if (axis < 0 || axis >= x.rank()) {
            throw Operators.input(node, "axis " + axisAttr + " of shape "
                    + Tensor.shapeText(x.shape));
        }
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= x.shape[i];
        }
        int inner = 1;
        for (int i = axis + 1; i < x.rank(); i++) {
            inner *= x.shape[i];
        }
        int dim = x.shape[axis];
        int[] idx = indices.ints();
        float[] out = new float[outer * idx.length * inner];
        for (int o = 0; o < outer; o++) {
            for (int k = 0; k < idx.length; k++) {
                int at = idx[k] < 0 ? idx[k] + dim : idx[k];
                if (at < 0 || at >= dim) {
                    throw Operators.input(node, "index " + idx[k] + " outside " + dim);
                }
                System.arraycopy(x.data, (o * dim + at) * inner, out, (o * idx.length + k)
                        * inner, inner);
            }
        }
        int[] shape = new int[x.rank() - 1 + indices.rank()];
        int j = 0;
        for (int i = 0; i < axis; i++) {
            shape[j++] = x.shape[i];
        }
        for (int d : indices.shape) {
            shape[j++] = d;
        }
        for (int i = axis + 1; i < x.rank(); i++) {
            shape[j++] = x.shape[i];
        }
        return new Tensor(shape, out, x.type);
    }

    private static Tensor concat(OnnxGraph.Node node, Tensor[] in, int axisAttr)
            throws ForwardException {
        Tensor first = in[0];
        int rank = first.rank();
        int axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
        if (axis < 0 || axis >= rank) {
            throw Operators.input(node, "axis " + axisAttr + " of shape "
                    + Tensor.shapeText(first.shape));
        }
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= first.shape[i];
        }
        int total = 0;
        for (Tensor t : in) {
            if (t.rank() != rank) {
                throw Operators.input(node, "inputs of different ranks");
            }
            for (int i = 0; i < rank; i++) {
                if (i != axis && t.shape[i] != first.shape[i]) {
                    throw Operators.input(node, "shapes " + Tensor.shapeText(first.shape)
                            + " and " + Tensor.shapeText(t.shape));
                }
            }
            total += t.shape[axis];
        }
        int[] shape = first.shape.clone();
        shape[axis] = total;
        float[] out = new float[Tensor.size(shape)];
        int at = 0;
        for (int o = 0; o < outer; o++) {
            for (Tensor t : in) {
                int chunk = t.data.length / Math.max(1, outer);
                System.arraycopy(t.data, o * chunk, out, at, chunk);
                at += chunk;
            }
        }
        return new Tensor(shape, out, first.type);
    }

    /** An element-wise operation of two tensors with numpy broadcasting. */
    static Tensor broadcast(OnnxGraph.Node node, Tensor a, Tensor b, char op)
            throws ForwardException {
        int rank = Math.max(a.rank(), b.rank());
        int[] shape = new int[rank];
        int[] sa = new int[rank];
        int[] sb = new int[rank];
        int[] stA = strides(a.shape);
        int[] stB = strides(b.shape);
        for (int i = 0; i < rank; i++) {
            int ia = i - (rank - a.rank());
            int ib = i - (rank - b.rank());
            int da = ia < 0 ? 1 : a.shape[ia];
            int db = ib < 0 ? 1 : b.shape[ib];
            if (da != db && da != 1 && db != 1) {
                throw Operators.input(node, "shapes " + Tensor.shapeText(a.shape) + " and "
                        + Tensor.shapeText(b.shape) + " do not broadcast");
            }
            shape[i] = Math.max(da, db);
            sa[i] = ia < 0 || da == 1 ? 0 : stA[ia];
            sb[i] = ib < 0 || db == 1 ? 0 : stB[ib];
        }
        int n = Tensor.size(shape);
        float[] out = new float[n];
        float[] x = a.data;
        float[] y = b.data;
        if (x.length == n && y.length == n) {
            for (int i = 0; i < n; i++) {
                out[i] = apply(op, x[i], y[i]);
            }
        } else if (y.length == 1) {
            float v = y[0];
            for (int i = 0; i < n; i++) {
                out[i] = apply(op, x[i % x.length], v);
            }
        } else {
            int[] index = new int[rank];
            int ia = 0;
            int ib = 0;
            for (int o = 0; o < n; o++) {
                out[o] = apply(op, x[ia], y[ib]);
                for (int d = rank - 1; d >= 0; d--) {
                    index[d]++;
                    ia += sa[d];
                    ib += sb[d];
                    if (index[d] < shape[d]) {
                        break;
                    }
                    ia -= sa[d] * shape[d];
                    ib -= sb[d] * shape[d];
                    index[d] = 0;
                }
            }
        }
        int type = a.type == b.type ? a.type : Tensor.FLOAT;
        if (op == '/' && type != Tensor.FLOAT) { // integer division truncates
            for (int i = 0; i < n; i++) {
                out[i] = (float) (out[i] < 0 ? Math.ceil(out[i]) : Math.floor(out[i]));
            }
        }
        return new Tensor(shape, out, type);
    }

    private static float apply(char op, float x, float y) {
        return switch (op) {
            case '+' -> x + y;
            case '-' -> x - y;
            case '*' -> x * y;
            default -> x / y;
        };
    }

    /** MatMul as numpy's matmul: 2-D products, broadcast over leading dimensions. */
    static Tensor matMul(OnnxGraph.Node node, Tensor a, Tensor b) throws ForwardException {
        if (a.rank() < 2 || b.rank() < 2) {
            throw Operators.unsupported(node, "a 1-D operand (shapes "
                    + Tensor.shapeText(a.shape) + " and " + Tensor.shapeText(b.shape) + ")");
        }
        int rows = a.shape[a.rank() - 2];
        int inner = a.shape[a.rank() - 1];
        int cols = b.shape[b.rank() - 1];
        if (b.shape[b.rank() - 2] != inner) {
            throw Operators.input(node, "shapes " + Tensor.shapeText(a.shape) + " and "
                    + Tensor.shapeText(b.shape) + " do not multiply");
        }
        int batchA = a.data.length / (rows * inner);
        int batchB = b.data.length / (inner * cols);
        if (batchB != 1 && batchA != batchB) {
            throw Operators.unsupported(node, "broadcast batch dimensions (shapes "
                    + Tensor.shapeText(a.shape) + " and " + Tensor.shapeText(b.shape) + ")");
        }
        float[] out = new float[batchA * rows * cols];
        if (batchB == 1) { // one product over every leading row
            Kernels.multiply(a.data, 0, batchA * rows, inner, b.data, 0, cols, out, 0);
        } else {
            for (int k = 0; k < batchA; k++) {
                Kernels.multiply(a.data, k * rows * inner, rows, inner, b.data,
                        k * inner * cols, cols, out, k * rows * cols);
            }
        }
        int[] shape = a.shape.clone();
        shape[shape.length - 1] = cols;
        return new Tensor(shape, out);
    }
}
