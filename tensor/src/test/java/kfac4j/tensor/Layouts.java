package kfac4j.tensor;

import java.util.Arrays;
import java.util.Random;

/**
 * The same logical values in different memory layouts, built from plain arrays with index arithmetic written here
 * (not with the view code under test): contiguous, axes permuted in storage, every axis strided inside a larger
 * buffer whose gaps hold NaN (so a wrong read shows), and broadcast (stride 0) along size-1 axes.
 */
final class Layouts {
    enum Layout { CONTIGUOUS, PERMUTED, STRIDED }

    private Layouts() {
    }

    /** Random values in [-2, 2), exactly representable in the dtype. */
    static double[] values(Random rnd, int n, DType dtype) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextDouble() * 4 - 2;
            if (dtype == DType.F32) v[i] = (float) v[i];
        }
        return v;
    }

    /** A tensor of the given shape whose row-major values are {@code values}, stored in the given layout. */
    static Tensor build(double[] values, int[] shape, DType dtype, Layout layout) {
        Tensor t = switch (layout) {
            case CONTIGUOUS -> Tensor.fromArray(values, shape).to(dtype);
            case PERMUTED -> permuted(values, shape, dtype);
            case STRIDED -> strided(values, shape, dtype);
        };
        if (!Arrays.equals(t.shape(), shape)) throw new AssertionError("layout built the wrong shape");
        return t;
    }

    /** Storage holds the axes in reverse order; the tensor is the view that puts them back. */
    private static Tensor permuted(double[] values, int[] shape, DType dtype) {
        int r = shape.length;
        int[] stored = new int[r];
        for (int k = 0; k < r; k++) stored[k] = shape[r - 1 - k];
        double[] data = new double[values.length];
        for (int flat = 0; flat < values.length; flat++) {
            int[] idx = Reference.unravel(flat, shape);
            int[] sidx = new int[r];
            for (int k = 0; k < r; k++) sidx[k] = idx[r - 1 - k];
            data[Reference.ravel(sidx, stored)] = values[flat];
        }
        int[] order = new int[r];
        for (int k = 0; k < r; k++) order[k] = r - 1 - k;
        return Tensor.fromArray(data, stored).to(dtype).permute(order);
    }

    /** Entry i of each axis sits at 1 + 2i of a buffer of size 2n + 1; everything else is NaN. */
    private static Tensor strided(double[] values, int[] shape, DType dtype) {
        int r = shape.length;
        int[] buf = new int[r];
        for (int k = 0; k < r; k++) buf[k] = 2 * shape[k] + 1;
        int total = 1;
        for (int b : buf) total *= b;
        double[] data = new double[total];
        Arrays.fill(data, Double.NaN);
        for (int flat = 0; flat < values.length; flat++) {
            int[] idx = Reference.unravel(flat, shape);
            int[] bidx = new int[r];
            for (int k = 0; k < r; k++) bidx[k] = 1 + 2 * idx[k];
            data[Reference.ravel(bidx, buf)] = values[flat];
        }
        Tensor t = Tensor.fromArray(data, buf).to(dtype);
        for (int k = 0; k < r; k++) t = t.slice(k, 1, 1 + 2 * shape[k], 2);
        return t;
    }

    /**
     * A view of shape {@code target} broadcast (stride 0) from a contiguous tensor of shape {@code base} (size 1 on
     * the broadcast axes); returns the view and, in {@code expanded}, the row-major values it shows.
     */
    static Tensor expanded(double[] baseValues, int[] base, int[] target, DType dtype, double[] expanded) {
        for (int flat = 0; flat < expanded.length; flat++) {
            int[] idx = Reference.unravel(flat, target);
            int lead = target.length - base.length;
            int[] bidx = new int[base.length];
            for (int k = 0; k < base.length; k++) bidx[k] = base[k] == 1 ? 0 : idx[lead + k];
            expanded[flat] = baseValues[Reference.ravel(bidx, base)];
        }
        return Tensor.fromArray(baseValues, base).to(dtype).expand(target);
    }

    /** A random shape of the given rank with sizes drawn from {@code sizes}. */
    static int[] shape(Random rnd, int rank, int... sizes) {
        int[] s = new int[rank];
        for (int i = 0; i < rank; i++) s[i] = sizes[rnd.nextInt(sizes.length)];
        return s;
    }
}
