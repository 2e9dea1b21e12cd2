package kfac4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

/** Index arithmetic for the scalar reference implementations in the tests, and the comparison against them. */
final class Reference {
    private Reference() {
    }

    static int numel(int[] shape) {
        int n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    /** The multi-index of row-major position {@code flat}. */
    static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int a = shape.length - 1; a >= 0; a--) {
            idx[a] = flat % shape[a];
            flat /= shape[a];
        }
        return idx;
    }

    /** The row-major position of a multi-index. */
    static int ravel(int[] idx, int[] shape) {
        int flat = 0;
        for (int a = 0; a < shape.length; a++) flat = flat * shape[a] + idx[a];
        return flat;
    }

    /** Tolerance for comparing a result in the dtype with a double-precision reference. */
    static double tol(DType dtype) {
        return dtype == DType.F32 ? 2e-6 : 1e-13;
    }

    /**
     * Asserts shape, dtype and every value: |actual − expected| ≤ tol·max(1, |expected|); NaN must meet NaN and an
     * infinity the same infinity.
     */
    static void assertTensor(Tensor actual, DType dtype, int[] shape, double[] expected, double tol) {
        assertThat(actual.shape()).as("shape").containsExactly(shape);
        assertThat(actual.dtype()).as("dtype").isEqualTo(dtype);
        double[] v = actual.toDoubleArray();
        assertThat(v.length).isEqualTo(expected.length);
        for (int i = 0; i < v.length; i++) {
            double e = expected[i], a = v[i];
            boolean ok = Double.isNaN(e) ? Double.isNaN(a)
                    : Double.isInfinite(e) ? a == e
                    : Math.abs(a - e) <= tol * Math.max(1, Math.abs(e));
            if (!ok) {
                throw new AssertionError("element " + Arrays.toString(unravel(i, shape)) + " of shape "
                        + Arrays.toString(shape) + ": expected " + e + " but got " + a + " (tolerance " + tol + ")");
            }
        }
    }

    static void assertTensor(Tensor actual, int[] shape, double[] expected) {
        assertTensor(actual, actual.dtype(), shape, expected, tol(actual.dtype()));
    }
}
