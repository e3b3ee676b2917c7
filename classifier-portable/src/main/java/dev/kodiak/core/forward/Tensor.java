package dev.kodiak.core.forward;

/**
 * A tensor of the forward pass: a shape and its values in row-major order, held as floats
 * whatever the ONNX element type (integers of the models this runtime runs — shapes, indices,
 * quantized values — are exact in a float up to 2^24). {@link #type} keeps the ONNX type for
 * the operators whose result depends on it (QuantizeLinear's saturation). Treated as immutable
 * once made.
 */
final class Tensor {
    static final int FLOAT = 1;
    static final int UINT8 = 2;
    static final int INT8 = 3;
    static final int INT32 = 6;
    static final int INT64 = 7;
    static final int BOOL = 9;
    static final int DOUBLE = 11;

    final int[] shape;
    final float[] data;
    final int type;

    Tensor(int[] shape, float[] data, int type) {
        this.shape = shape;
        this.data = data;
        this.type = type;
    }

    Tensor(int[] shape, float[] data) {
        this(shape, data, FLOAT);
    }

    int rank() {
        return shape.length;
    }

    static int size(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** The values as ints, for shape and axis inputs. */
    int[] ints() {
        int[] out = new int[data.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) data[i];
        }
        return out;
    }

    static String shapeText(int[] shape) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            s.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return s.append(']').toString();
    }

    static String typeName(int type) {
        return switch (type) {
            case FLOAT -> "float32";
            case UINT8 -> "uint8";
            case INT8 -> "int8";
            case 4 -> "uint16";
            case 5 -> "int16";
            case INT32 -> "int32";
            case INT64 -> "int64";
            case 8 -> "string";
            case BOOL -> "bool";
            case 10 -> "float16";
            case DOUBLE -> "float64";
            case 16 -> "bfloat16";
            default -> "type " + type;
        };
    }
}
