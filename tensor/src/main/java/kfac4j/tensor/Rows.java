package kfac4j.tensor;

import kfac4j.tensor.kernel.BinaryOp;
import kfac4j.tensor.kernel.Kernels;
import kfac4j.tensor.kernel.UnaryOp;

/**
 * Kernel calls on contiguous runs ("rows") of a storage array of either dtype. The operations above the kernels are
 * written once against these methods, with the array passed as an {@code Object} ({@code float[]} or
 * {@code double[]}); the dtype test costs one branch per row, not per element.
 */
final class Rows {
    private Rows() {
    }

    /** A fresh zeroed array of the dtype. */
    static Object array(DType dtype, int n) {
        return dtype == DType.F32 ? new float[n] : new double[n];
    }

    /** A one-element array holding {@code v}: a broadcast scalar operand (step 0) for {@link #binary}. */
    static Object scalar(DType dtype, double v) {
        return dtype == DType.F32 ? new float[]{(float) v} : new double[]{v};
    }

    static void setScalar(Object s, double v) {
        if (s instanceof float[] f) f[0] = (float) v;
        else ((double[]) s)[0] = v;
    }

    static void unary(UnaryOp op, Object x, int xOff, Object y, int yOff, int n) {
        if (x instanceof float[] f) Kernels.active().unary(op, f, xOff, (float[]) y, yOff, n);
        else Kernels.active().unary(op, (double[]) x, xOff, (double[]) y, yOff, n);
    }

    /** {@code y[i] = op(a[aOff + i·aStep], b[bOff + i·bStep])}, steps 0 or 1. */
    static void binary(BinaryOp op, Object a, int aOff, int aStep, Object b, int bOff, int bStep, Object y, int yOff,
                       int n) {
        if (a instanceof float[] f) {
            Kernels.active().binary(op, f, aOff, aStep, (float[]) b, bOff, bStep, (float[]) y, yOff, n);
        } else {
            Kernels.active().binary(op, (double[]) a, aOff, aStep, (double[]) b, bOff, bStep, (double[]) y, yOff, n);
        }
    }

    /** {@code y[yOff+i] += alpha · x[xOff+i]}. */
    static void axpy(int n, double alpha, Object x, int xOff, Object y, int yOff) {
        if (x instanceof float[] f) Kernels.active().axpy(n, alpha, f, xOff, (float[]) y, yOff);
        else Kernels.active().axpy(n, alpha, (double[]) x, xOff, (double[]) y, yOff);
    }

    static double sum(Object x, int off, int n) {
        return x instanceof float[] f ? Kernels.active().sum(f, off, n) : Kernels.active().sum((double[]) x, off, n);
    }

    /** Maximum of n ≥ 1 values, NaN if any is NaN. */
    static double max(Object x, int off, int n) {
        return x instanceof float[] f ? Kernels.active().max(f, off, n) : Kernels.active().max((double[]) x, off, n);
    }

    static double dot(Object x, int xOff, Object y, int yOff, int n) {
        if (x instanceof float[] f) return Kernels.active().dot(f, xOff, (float[]) y, yOff, n);
        return Kernels.active().dot((double[]) x, xOff, (double[]) y, yOff, n);
    }

    /** {@code acc[i] += x[off + i]} for i in [0, n), accumulating in double whatever the dtype. */
    static void accumulate(Object x, int off, double[] acc, int n) {
        if (x instanceof float[] f) {
            Kernels.active().accumulate(f, off, acc, 0, n);
        } else {
            double[] d = (double[]) x;
            for (int i = 0; i < n; i++) acc[i] += d[off + i];
        }
    }

    /** Sets {@code x[i] = v}. */
    static void setFlat(Object x, int i, double v) {
        if (x instanceof float[] f) f[i] = (float) v;
        else ((double[]) x)[i] = v;
    }

    /** {@code n} copies of {@code v} from {@code off}. */
    static void fill(Object x, int off, int n, double v) {
        if (x instanceof float[] f) java.util.Arrays.fill(f, off, off + n, (float) v);
        else java.util.Arrays.fill((double[]) x, off, off + n, v);
    }

    /** {@code x[off + i·step]} for i in [0, n), widened to double, into {@code out[0..n)}. */
    static void toDouble(Object x, int off, int step, double[] out, int n) {
        if (x instanceof float[] f) {
            for (int i = 0; i < n; i++) out[i] = f[off + i * step];
        } else {
            double[] d = (double[]) x;
            for (int i = 0; i < n; i++) out[i] = d[off + i * step];
        }
    }

    /** Strided gather: {@code y[yOff + i] = x[xOff + i·step]}. */
    static void gather(Object x, int xOff, int step, Object y, int yOff, int n) {
        if (step == 1) {
            System.arraycopy(x, xOff, y, yOff, n);
        } else if (x instanceof float[] f) {
            float[] t = (float[]) y;
            for (int i = 0; i < n; i++) t[yOff + i] = f[xOff + i * step];
        } else {
            double[] d = (double[]) x, t = (double[]) y;
            for (int i = 0; i < n; i++) t[yOff + i] = d[xOff + i * step];
        }
    }

    /** Strided accumulate: {@code y[yOff + i·step] += x[xOff + i]}. */
    static void scatterAdd(Object x, int xOff, Object y, int yOff, int step, int n) {
        if (step == 1) {
            axpy(n, 1.0, x, xOff, y, yOff);
        } else if (x instanceof float[] f) {
            float[] t = (float[]) y;
            for (int i = 0; i < n; i++) t[yOff + i * step] += f[xOff + i];
        } else {
            double[] d = (double[]) x, t = (double[]) y;
            for (int i = 0; i < n; i++) t[yOff + i * step] += d[xOff + i];
        }
    }

    /** Strided scatter: {@code y[yOff + i·step] = x[xOff + i]}. */
    static void scatter(Object x, int xOff, Object y, int yOff, int step, int n) {
        if (step == 1) {
            System.arraycopy(x, xOff, y, yOff, n);
        } else if (x instanceof float[] f) {
            float[] t = (float[]) y;
            for (int i = 0; i < n; i++) t[yOff + i * step] = f[xOff + i];
        } else {
            double[] d = (double[]) x, t = (double[]) y;
            for (int i = 0; i < n; i++) t[yOff + i * step] = d[xOff + i];
        }
    }
}
