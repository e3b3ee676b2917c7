package dev.kodiak.core.forward;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model as read from its protobuf bytes: the graph's nodes in order, its initializers,
 * inputs and outputs, and the default domain's opset. Only the fields a forward pass needs are
 * kept; the rest (doc strings, metadata, value_info) are skipped. Not thread-safe while read,
 * immutable after.
 */
final class OnnxGraph {
    /** One attribute of a node. */
    static final class Attribute {
        static final int FLOAT = 1;
        static final int INT = 2;
        static final int STRING = 3;
        static final int TENSOR = 4;
        static final int FLOATS = 6;
        static final int INTS = 7;

        String name = "";
        int type;
        float f;
        long i;
        String s = "";
        Tensor t;
        final Wire.FloatList floats = new Wire.FloatList();
        final Wire.LongList ints = new Wire.LongList();
    }

    /** One node of the graph. */
    static final class Node {
        String name = "";
        String opType = "";
        String domain = "";
        final List<String> inputs = new ArrayList<>();
        final List<String> outputs = new ArrayList<>();
        final Map<String, Attribute> attributes = new HashMap<>();

        /** @return the node as messages name it: its op type and name */
        String label() {
            return name.isEmpty() ? opType : opType + " (node '" + name + "')";
        }
    }

    /** A graph input or output: a name and a shape, -1 where a dimension is symbolic. */
    record Value(String name, int[] shape) {
    }

    final List<Node> nodes = new ArrayList<>();
    final Map<String, Tensor> initializers = new HashMap<>();
    final List<Value> inputs = new ArrayList<>();
    final List<Value> outputs = new ArrayList<>();
    long opset = -1;
    boolean hasGraph;

    private OnnxGraph() {
    }

    /**
     * Reads a ModelProto.
     *
     * @param onnx the file's bytes
     * @return the graph
     * @throws ForwardException if the bytes are not an ONNX model this reader understands
     */
    static OnnxGraph read(byte[] onnx) throws ForwardException {
        OnnxGraph g = new OnnxGraph();
        Wire w = new Wire(onnx, 0, onnx.length);
        while (w.next()) {
            if (w.field() == 7 && w.type() == Wire.LENGTH) {
                g.readGraph(w.message());
                g.hasGraph = true;
            } else if (w.field() == 8 && w.type() == Wire.LENGTH) {
                Wire o = w.message();
                String domain = "";
                long version = -1;
                while (o.next()) {
                    if (o.field() == 1 && o.type() == Wire.LENGTH) {
                        domain = o.string();
                    } else if (o.field() == 2 && o.type() == Wire.VARINT) {
                        version = o.varint();
                    } else {
                        o.skip();
                    }
                }
                if (domain.isEmpty() || domain.equals("ai.onnx")) {
                    g.opset = version;
                }
            } else {
                w.skip();
            }
        }
        if (!g.hasGraph) {
            throw new ForwardException(ForwardException.Problem.MALFORMED, "The file holds no "
                    + "ONNX graph; check that it is the bundle's model.onnx", null);
        }
        return g;
    }

    private void readGraph(Wire w) throws ForwardException {
        while (w.next()) {
            switch (w.type() == Wire.LENGTH ? w.field() : 0) {
                case 1 -> nodes.add(readNode(w.message()));
                case 5 -> {
                    Tensor[] named = new Tensor[1];
                    String name = readTensor(w.message(), named);
                    initializers.put(name, named[0]);
                }
                case 11 -> inputs.add(readValue(w.message()));
                case 12 -> outputs.add(readValue(w.message()));
                case 15 -> throw new ForwardException(ForwardException.Problem.UNSUPPORTED,
                        "the graph has a sparse initializer", null);
                default -> w.skip();
            }
        }
        // before IR version 4, initializers were listed among the inputs too
        inputs.removeIf(v -> initializers.containsKey(v.name()));
    }

    private static Node readNode(Wire w) throws ForwardException {
        Node n = new Node();
        while (w.next()) {
            switch (w.type() == Wire.LENGTH ? w.field() : 0) {
                case 1 -> n.inputs.add(w.string());
                case 2 -> n.outputs.add(w.string());
                case 3 -> n.name = w.string();
                case 4 -> n.opType = w.string();
                case 7 -> n.domain = w.string();
                case 5 -> {
                    Attribute a = readAttribute(w.message(), n);
                    n.attributes.put(a.name, a);
                }
                default -> w.skip();
            }
        }
        return n;
    }

    private static Attribute readAttribute(Wire w, Node node) throws ForwardException {
        Attribute a = new Attribute();
        while (w.next()) {
            int field = w.field();
            if (field == 1 && w.type() == Wire.LENGTH) {
                a.name = w.string();
            } else if (field == 20 && w.type() == Wire.VARINT) {
                a.type = (int) w.varint();
            } else if (field == 2 && w.type() == Wire.FIXED32) {
                a.f = Float.intBitsToFloat(w.fixed32());
            } else if (field == 3 && w.type() == Wire.VARINT) {
                a.i = w.varint();
            } else if (field == 4 && w.type() == Wire.LENGTH) {
                a.s = w.string();
            } else if (field == 5 && w.type() == Wire.LENGTH) {
                Tensor[] t = new Tensor[1];
                readTensor(w.message(), t);
                a.t = t[0];
            } else if (field == 7) {
                w.floats(a.floats);
            } else if (field == 8) {
                w.varints(a.ints);
            } else if (field == 6 || field == 10 || field == 11 || field == 21) {
                throw new ForwardException(ForwardException.Problem.UNSUPPORTED, "attribute '"
                        + a.name + "' of " + node.label() + " holds a subgraph or a reference",
                        null);
            } else {
                w.skip();
            }
        }
        return a;
    }

    /** Reads a TensorProto into {@code into[0]} and returns its name. */
    static String readTensor(Wire w, Tensor[] into) throws ForwardException {
        Wire.LongList dims = new Wire.LongList();
        Wire.LongList ints = new Wire.LongList();
        Wire.FloatList floats = new Wire.FloatList();
        int type = 0;
        String name = "";
        int rawAt = -1;
        int rawLength = 0;
        boolean external = false;
        while (w.next()) {
            switch (w.field()) {
                case 1 -> w.varints(dims);
                case 2 -> type = (int) w.varint();
                case 4 -> w.floats(floats);
                case 5, 7 -> w.varints(ints);
                case 8 -> name = w.string();
                case 9 -> {
                    rawLength = w.length();
                    rawAt = w.position();
                    skipBytes(w, rawLength);
                }
                case 10 -> w.doubles(floats);
                case 13 -> {
                    external = true;
                    w.skip();
                }
                case 14 -> external |= w.varint() == 1;
                default -> w.skip();
            }
        }
        String label = "initializer '" + name + "'";
        if (external) {
            throw new ForwardException(ForwardException.Problem.UNSUPPORTED, label + " keeps its "
                    + "data in an external file", null);
        }
        int[] shape = new int[dims.size];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = dims.values[i];
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw new ForwardException(ForwardException.Problem.MALFORMED, label
                        + " has dimension " + d, null);
            }
            shape[i] = (int) d;
            count = count > Integer.MAX_VALUE ? count : count * d;
        }
        if (type != Tensor.FLOAT && type != Tensor.DOUBLE && type != Tensor.UINT8
                && type != Tensor.INT8 && type != Tensor.INT32 && type != Tensor.INT64
                && type != Tensor.BOOL) {
            throw unsupportedType(label, type);
        }
        // every value must be in the file, so no count is allocated that the file cannot fill
        long stored = rawAt >= 0 ? rawLength : Math.max(floats.size, ints.size);
        if (count > stored) {
            throw new ForwardException(ForwardException.Problem.MALFORMED, label + " has "
                    + "shape " + Tensor.shapeText(shape) + " but " + stored + " values or bytes "
                    + "of data", null);
        }
        int n = (int) count;
        float[] data = new float[n];
        if (rawAt >= 0) {
            int width = switch (type) {
                case Tensor.FLOAT, Tensor.INT32 -> 4;
                case Tensor.UINT8, Tensor.INT8, Tensor.BOOL -> 1;
                case Tensor.INT64, Tensor.DOUBLE -> 8;
                default -> throw unsupportedType(label, type);
            };
            if (rawLength != (long) n * width) {
                throw new ForwardException(ForwardException.Problem.MALFORMED, label + " has "
                        + rawLength + " bytes of data for " + n + " values of "
                        + Tensor.typeName(type), null);
            }
            decodeRaw(w.data(), rawAt, type, data);
        } else if (type == Tensor.FLOAT || type == Tensor.DOUBLE) {
            copy(label, floats.toArray(), data);
        } else if (type == Tensor.UINT8 || type == Tensor.INT8 || type == Tensor.INT32
                || type == Tensor.INT64 || type == Tensor.BOOL) {
            long[] values = ints.toArray();
            if (values.length != n) {
                throw new ForwardException(ForwardException.Problem.MALFORMED, label + " has "
                        + values.length + " values for shape " + Tensor.shapeText(shape), null);
            }
            for (int i = 0; i < n; i++) {
                long v = values[i];
                // int32_data holds int8 values as varints of their sign-extended int32
                data[i] = type == Tensor.INT8 ? (byte) v : type == Tensor.UINT8 ? v & 0xff : v;
            }
        } else {
            throw unsupportedType(label, type);
        }
        into[0] = new Tensor(shape, data, type == Tensor.DOUBLE ? Tensor.FLOAT : type);
        return name;
    }

    private static void copy(String label, float[] values, float[] data)
            throws ForwardException {
        if (values.length != data.length) {
            throw new ForwardException(ForwardException.Problem.MALFORMED, label + " has "
                    + values.length + " values for " + data.length, null);
        }
        System.arraycopy(values, 0, data, 0, data.length);
    }

    private static void skipBytes(Wire w, int n) {
        w.advance(n);
    }

    private static ForwardException unsupportedType(String label, int type) {
        return new ForwardException(ForwardException.Problem.UNSUPPORTED, label + " is of type "
                + Tensor.typeName(type), null);
    }

    private static void decodeRaw(byte[] b, int at, int type, float[] out) {
        for (int i = 0; i < out.length; i++) {
            switch (type) {
                case Tensor.FLOAT -> {
                    int p = at + 4 * i;
                    out[i] = Float.intBitsToFloat((b[p] & 0xff) | (b[p + 1] & 0xff) << 8
                            | (b[p + 2] & 0xff) << 16 | (b[p + 3] & 0xff) << 24);
                }
                case Tensor.INT32 -> {
                    int p = at + 4 * i;
                    out[i] = (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16
                            | (b[p + 3] & 0xff) << 24;
                }
                case Tensor.UINT8, Tensor.BOOL -> out[i] = b[at + i] & 0xff;
                case Tensor.INT8 -> out[i] = b[at + i];
                case Tensor.INT64 -> {
                    int p = at + 8 * i;
                    long lo = (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16
                            | (long) (b[p + 3] & 0xff) << 24;
                    long hi = (b[p + 4] & 0xff) | (b[p + 5] & 0xff) << 8
                            | (b[p + 6] & 0xff) << 16 | (long) (b[p + 7] & 0xff) << 24;
                    out[i] = lo | hi << 32;
                }
                default -> {
                    int p = at + 8 * i;
                    long bits = 0;
                    for (int k = 7; k >= 0; k--) {
                        bits = bits << 8 | (b[p + k] & 0xff);
                    }
                    out[i] = (float) Double.longBitsToDouble(bits);
                }
            }
        }
    }

    private static Value readValue(Wire w) throws ForwardException {
        String name = "";
        Wire.LongList dims = new Wire.LongList();
        while (w.next()) {
            if (w.field() == 1 && w.type() == Wire.LENGTH) {
                name = w.string();
            } else if (w.field() == 2 && w.type() == Wire.LENGTH) {
                Wire type = w.message();
                while (type.next()) {
                    if (type.field() == 1 && type.type() == Wire.LENGTH) {
                        Wire tensor = type.message();
                        while (tensor.next()) {
                            if (tensor.field() == 2 && tensor.type() == Wire.LENGTH) {
                                Wire shape = tensor.message();
                                while (shape.next()) {
                                    if (shape.field() == 1 && shape.type() == Wire.LENGTH) {
                                        dims.add(dimension(shape.message()));
                                    } else {
                                        shape.skip();
                                    }
                                }
                            } else {
                                tensor.skip();
                            }
                        }
                    } else {
                        type.skip();
                    }
                }
            } else {
                w.skip();
            }
        }
        int[] shape = new int[dims.size];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = (int) dims.values[i];
        }
        return new Value(name, shape);
    }

    private static long dimension(Wire w) throws ForwardException {
        long value = -1;
        while (w.next()) {
            if (w.field() == 1 && w.type() == Wire.VARINT) {
                value = w.varint();
            } else {
                w.skip();
            }
        }
        return value;
    }
}
