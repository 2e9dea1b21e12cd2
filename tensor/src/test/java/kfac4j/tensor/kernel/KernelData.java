package kfac4j.tensor.kernel;

import java.util.Random;

/** Test inputs for the kernels: random values with the IEEE special cases mixed in. */
final class KernelData {
    /** Lengths around every vector width (4, 8, 16 lanes) and the GEMM tile sizes. */
    static final int[] SIZES = {0, 1, 2, 3, 7, 17, 31, 64, 65, 129};

    private static final double[] SPECIAL = {Double.NaN, 0.0, -0.0, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, 1.0, -1.0, 1e-310, Float.MIN_VALUE, 3.0e38, -2.5};

    private KernelData() {
    }

    /** n values around ±3, with a special value in roughly one place of six when {@code specials}. */
    static double[] values(Random rnd, int n, boolean specials) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = specials && rnd.nextInt(6) == 0 ? SPECIAL[rnd.nextInt(SPECIAL.length)] : 3 * rnd.nextGaussian();
        }
        return v;
    }

    static float[] f32(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    /** The exact double of each float. */
    static double[] f64(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    /** {@code v} placed at offset {@code off} of a longer array whose other entries are {@code fill}. */
    static double[] padded(double[] v, int off, int extra, double fill) {
        double[] p = new double[off + v.length + extra];
        java.util.Arrays.fill(p, fill);
        System.arraycopy(v, 0, p, off, v.length);
        return p;
    }
}
