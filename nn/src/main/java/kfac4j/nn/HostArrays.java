package kfac4j.nn;

import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

/**
 * Moves values between Java arrays and tensors for the layers whose kernels are written here as plain loops (losses,
 * index bookkeeping): one copy each way, in the tensor's dtype.
 */
final class HostArrays {
    private HostArrays() {
    }

    /** A tensor of the given dtype and shape holding {@code values} (row-major). */
    static Tensor tensor(DType dtype, double[] values, int... shape) {
        if (dtype == DType.F64) return Tensor.fromArray(values, shape);
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
        return Tensor.fromArray(f, shape);
    }

    /**
     * Class indices held as integer values in a tensor of the scores' shape without its last (class) axis, each
     * checked to lie in [0, classes).
     */
    static int[] classIndices(String op, Tensor target, int[] scoresShape) {
        int classes = scoresShape[scoresShape.length - 1];
        if (!java.util.Arrays.equals(target.shape(), java.util.Arrays.copyOf(scoresShape, scoresShape.length - 1))) {
            throw new IllegalArgumentException(op + ": target of shape " + java.util.Arrays.toString(target.shape())
                    + " for class scores of shape " + java.util.Arrays.toString(scoresShape)
                    + " (expected the scores' shape without its last axis)");
        }
        double[] v = target.toDoubleArray();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            double x = v[i];
            if (!(x >= 0 && x < classes) || x != Math.rint(x)) {
                throw new IllegalArgumentException(op + ": target element " + i + " = " + x
                        + " is not a class index in [0, " + classes + ")");
            }
            out[i] = (int) x;
        }
        return out;
    }
}
