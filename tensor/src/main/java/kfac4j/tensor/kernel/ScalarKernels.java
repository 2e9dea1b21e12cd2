package kfac4j.tensor.kernel;

/** The reference kernels: plain loops, the definition every faster path is tested against. */
public final class ScalarKernels implements Kernels {
    static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void unary(UnaryOp op, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] = (float) op.apply(x[xOff + i]);
    }

    @Override
    public void unary(UnaryOp op, double[] x, int xOff, double[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] = op.apply(x[xOff + i]);
    }

    @Override
    public void binary(BinaryOp op, float[] a, int aOff, int aStep, float[] b, int bOff, int bStep, float[] y,
                       int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] = (float) op.apply(a[aOff + i * aStep], b[bOff + i * bStep]);
    }

    @Override
    public void binary(BinaryOp op, double[] a, int aOff, int aStep, double[] b, int bOff, int bStep, double[] y,
                       int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] = op.apply(a[aOff + i * aStep], b[bOff + i * bStep]);
    }

    @Override
    public void axpy(int n, double alpha, float[] x, int xOff, float[] y, int yOff) {
        float a = (float) alpha;
        for (int i = 0; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    @Override
    public void axpy(int n, double alpha, double[] x, int xOff, double[] y, int yOff) {
        for (int i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    @Override
    public void keepWherePositive(float[] g, int gOff, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            // Branch-free (a ReLU's inputs are positive about half the time, at random): x > 0 exactly when its bits,
            // read as an integer, lie in [1, bits of +∞]; outside, the sign of (b − 1) or (∞ − b) is set, and that
            // sign spread over the word masks g's bits to +0.
            int b = Float.floatToRawIntBits(x[xOff + i]);
            int drop = ((b - 1) | (0x7f800000 - b)) >> 31;
            y[yOff + i] = Float.intBitsToFloat(Float.floatToRawIntBits(g[gOff + i]) & ~drop);
        }
    }

    @Override
    public void keepWherePositive(double[] g, int gOff, double[] x, int xOff, double[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            long b = Double.doubleToRawLongBits(x[xOff + i]);
            long drop = ((b - 1) | (0x7ff0000000000000L - b)) >> 63;
            y[yOff + i] = Double.longBitsToDouble(Double.doubleToRawLongBits(g[gOff + i]) & ~drop);
        }
    }

    @Override
    public void gather(float[] x, int xOff, int[] index, int iOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] = x[xOff + index[iOff + i]];
    }

    @Override
    public void gather(double[] x, int xOff, int[] index, int iOff, double[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] = x[xOff + index[iOff + i]];
    }

    @Override
    public void gatherSum(float[] x, int xOff, int[] index, boolean[] present, int iOff, int terms, int stride, float[] y,
                          int yOff, int n) {
        for (int i = 0; i < n; i++) {
            float acc = 0f;
            for (int s = 0, at = iOff + i; s < terms; s++, at += stride) if (present[at]) acc += x[xOff + index[at]];
            y[yOff + i] = acc;
        }
    }

    @Override
    public void gatherSum(double[] x, int xOff, int[] index, boolean[] present, int iOff, int terms, int stride,
                          double[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            double acc = 0.0;
            for (int s = 0, at = iOff + i; s < terms; s++, at += stride) if (present[at]) acc += x[xOff + index[at]];
            y[yOff + i] = acc;
        }
    }

    @Override
    public void addRows(int rows, int cols, float[] x, int xOff, int xStride, float[] y, int yOff, int yStride) {
        for (int r = 0, xs = xOff, ys = yOff; r < rows; r++, xs += xStride, ys += yStride) {
            for (int j = 0; j < cols; j++) y[ys + j] += x[xs + j];
        }
    }

    @Override
    public void addRows(int rows, int cols, double[] x, int xOff, int xStride, double[] y, int yOff, int yStride) {
        for (int r = 0, xs = xOff, ys = yOff; r < rows; r++, xs += xStride, ys += yStride) {
            for (int j = 0; j < cols; j++) y[ys + j] += x[xs + j];
        }
    }

    @Override
    public void accumulate(float[] x, int xOff, double[] acc, int accOff, int n) {
        for (int i = 0; i < n; i++) acc[accOff + i] += x[xOff + i];
    }

    @Override
    public double sum(float[] x, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += x[off + i];
        return s;
    }

    @Override
    public double sum(double[] x, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += x[off + i];
        return s;
    }

    @Override
    public double max(float[] x, int off, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            if (Float.isNaN(v)) return Double.NaN;
            if (v > m) m = v;
        }
        return m;
    }

    @Override
    public double max(double[] x, int off, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double v = x[off + i];
            if (Double.isNaN(v)) return Double.NaN;
            if (v > m) m = v;
        }
        return m;
    }

    @Override
    public double dot(float[] x, int xOff, float[] y, int yOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) x[xOff + i] * y[yOff + i];
        return s;
    }

    @Override
    public double dot(double[] x, int xOff, double[] y, int yOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }

    /**
     * The definition every GEMM kernel must reproduce bit for bit: each element of C is one chain of fused
     * multiply-adds over p in increasing order, {@code c = fma(a[i][p], b[p][j], c)}, starting from 0 (or from C's old
     * value when accumulating). One rounding per step, and no freedom in the order, so blocked and vectorised
     * kernels can match it exactly.
     */
    @Override
    public void gemm(int m, int n, int k, float[] a, int aOff, int aRs, int aCs, float[] b, int bOff, int bRs,
                     int bCs, float[] c, int cOff, int cRs, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * cRs;
            if (!accumulate) java.util.Arrays.fill(c, ci, ci + n, 0f);
            for (int p = 0; p < k; p++) {
                float aip = a[aOff + i * aRs + p * aCs];
                int bp = bOff + p * bRs;
                for (int j = 0; j < n; j++) c[ci + j] = Math.fma(aip, b[bp + j * bCs], c[ci + j]);
            }
        }
    }

    @Override
    public void gemm(int m, int n, int k, double[] a, int aOff, int aRs, int aCs, double[] b, int bOff, int bRs,
                     int bCs, double[] c, int cOff, int cRs, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * cRs;
            if (!accumulate) java.util.Arrays.fill(c, ci, ci + n, 0.0);
            for (int p = 0; p < k; p++) {
                double aip = a[aOff + i * aRs + p * aCs];
                int bp = bOff + p * bRs;
                for (int j = 0; j < n; j++) c[ci + j] = Math.fma(aip, b[bp + j * bCs], c[ci + j]);
            }
        }
    }

    @Override
    public void gemmWindowed(int m, int n, int k, float[] panels, int aOff, float[] x, int xOff, int[] rowStart,
                             float[] c, int cOff, int cRs, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * cRs, ai = aOff + i / PANEL_ROWS * PANEL_ROWS * k + i % PANEL_ROWS;
            if (!accumulate) java.util.Arrays.fill(c, ci, ci + n, 0f);
            for (int p = 0; p < k; p++) {
                float aip = panels[ai + p * PANEL_ROWS];
                int bp = xOff + rowStart[p];
                for (int j = 0; j < n; j++) c[ci + j] = Math.fma(aip, x[bp + j], c[ci + j]);
            }
        }
    }

    @Override
    public void gemmWindowed(int m, int n, int k, double[] panels, int aOff, double[] x, int xOff, int[] rowStart,
                             double[] c, int cOff, int cRs, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * cRs, ai = aOff + i / PANEL_ROWS * PANEL_ROWS * k + i % PANEL_ROWS;
            if (!accumulate) java.util.Arrays.fill(c, ci, ci + n, 0.0);
            for (int p = 0; p < k; p++) {
                double aip = panels[ai + p * PANEL_ROWS];
                int bp = xOff + rowStart[p];
                for (int j = 0; j < n; j++) c[ci + j] = Math.fma(aip, x[bp + j], c[ci + j]);
            }
        }
    }
}
