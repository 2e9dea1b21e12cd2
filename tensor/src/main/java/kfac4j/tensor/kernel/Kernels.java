package kfac4j.tensor.kernel;

/**
 * The array-level compute kernels that every tensor operation ends in. One implementation is the scalar reference
 * ({@link ScalarKernels}); others must agree with it. The active implementation is chosen once, at start-up, by the
 * system property {@code kfac4j.kernels}: {@code scalar}, or {@code vector} (the preferred SIMD width); see
 * {@link #active()}.
 *
 * <p>All arrays are addressed by an offset and, where stated, strides; kernels never check bounds beyond what the
 * JVM does, so callers (the tensor layer) validate shapes first.
 */
public interface Kernels {

    /** A short description, for example {@code "scalar"} or {@code "vector 512-bit"}. */
    String name();

    /** {@code y[yOff+i] = op(x[xOff+i])} for i in [0, n). {@code y} may alias {@code x} at the same offset. */
    void unary(UnaryOp op, float[] x, int xOff, float[] y, int yOff, int n);

    void unary(UnaryOp op, double[] x, int xOff, double[] y, int yOff, int n);

    /**
     * {@code y[yOff+i] = op(a[aOff+i*aStep], b[bOff+i*bStep])} for i in [0, n), where each step is 0 (a broadcast
     * scalar) or 1. {@code y} may alias a step-1 input at the same offset; a step-0 input is read once and must not
     * be overwritten.
     */
    void binary(BinaryOp op, float[] a, int aOff, int aStep, float[] b, int bOff, int bStep, float[] y, int yOff, int n);

    void binary(BinaryOp op, double[] a, int aOff, int aStep, double[] b, int bOff, int bStep, double[] y, int yOff,
                int n);

    /**
     * {@code y[yOff+i] = x[xOff+i] > 0 ? g[gOff+i] : +0} for i in [0, n): the backward of ReLU (a NaN or a zero x
     * drops g). {@code y} may alias {@code g} or {@code x} at the same offset.
     */
    void keepWherePositive(float[] g, int gOff, float[] x, int xOff, float[] y, int yOff, int n);

    void keepWherePositive(double[] g, int gOff, double[] x, int xOff, double[] y, int yOff, int n);

    /** {@code y[yOff+i] += alpha * x[xOff+i]}: the update of every optimizer. */
    void axpy(int n, double alpha, float[] x, int xOff, float[] y, int yOff);

    void axpy(int n, double alpha, double[] x, int xOff, double[] y, int yOff);

    /** Sum of n contiguous values, accumulated in double. */
    double sum(float[] x, int off, int n);

    double sum(double[] x, int off, int n);

    /**
     * {@code acc[accOff+i] += x[xOff+i]} for i in [0, n), each float widened to double first (exactly) and each sum
     * rounded once in double: sums of float rows kept in double (reductions over leading axes, patch sums).
     */
    void accumulate(float[] x, int xOff, double[] acc, int accOff, int n);

    /** Maximum of n ≥ 1 contiguous values (NaN if any is NaN). */
    double max(float[] x, int off, int n);

    double max(double[] x, int off, int n);

    /** Σ x[i]·y[i] over n contiguous values, accumulated in double. */
    double dot(float[] x, int xOff, float[] y, int yOff, int n);

    double dot(double[] x, int xOff, double[] y, int yOff, int n);

    /**
     * {@code y[yOff+i] = x[xOff + index[iOff+i]]} for i in [0, n): a gather, the way im2col reads one row of patch
     * entries out of a zero-padded image (kfac4j.tensor.Convolution). Indices are not checked beyond what the JVM does.
     */
    void gather(float[] x, int xOff, int[] index, int iOff, float[] y, int yOff, int n);

    void gather(double[] x, int xOff, int[] index, int iOff, double[] y, int yOff, int n);

    /**
     * {@code y[yOff+i] = Σ_s x[xOff + index[iOff + s·stride + i]]} over the s in [0, terms) with
     * {@code present[iOff + s·stride + i]}, added in order of s from +0, for i in [0, n): each output the sum of a few
     * gathered values, the way col2im of a strided convolution sums the patch entries that read one pixel
     * (kfac4j.tensor.Convolution). Every index is read, present or not, so each must lie inside {@code x}.
     */
    void gatherSum(float[] x, int xOff, int[] index, boolean[] present, int iOff, int terms, int stride, float[] y,
                   int yOff, int n);

    void gatherSum(double[] x, int xOff, int[] index, boolean[] present, int iOff, int terms, int stride, double[] y,
                   int yOff, int n);

    /**
     * {@code y[yOff + r·yStride + j] += x[xOff + r·xStride + j]} for r in [0, rows) and j in [0, cols): a block of rows
     * added into another, each element once, the way col2im adds one tap's patch entries back into a plane of the
     * image (kfac4j.tensor.Convolution). The two blocks must not overlap.
     */
    void addRows(int rows, int cols, float[] x, int xOff, int xStride, float[] y, int yOff, int yStride);

    void addRows(int rows, int cols, double[] x, int xOff, int xStride, double[] y, int yOff, int yStride);

    /**
     * General matrix product {@code C = A·B} (or {@code C += A·B} when {@code accumulate}) with A of shape m×k and B
     * of shape k×n, each addressed through a row stride and a column stride, so transposed and strided views need no
     * copy. C is m×n with unit column stride and row stride {@code cRs}. C must not overlap A or B.
     * Each element is one chain of fused multiply-adds over p in increasing order (see {@link ScalarKernels}), so
     * every implementation gives the same bits, on any number of threads.
     */
    void gemm(int m, int n, int k,
              float[] a, int aOff, int aRs, int aCs,
              float[] b, int bOff, int bRs, int bCs,
              float[] c, int cOff, int cRs, boolean accumulate);

    void gemm(int m, int n, int k,
              double[] a, int aOff, int aRs, int aCs,
              double[] b, int bOff, int bRs, int bCs,
              double[] c, int cOff, int cRs, boolean accumulate);

    /**
     * Rows of A per panel in {@link #gemmWindowed}'s left operand ({@link #packPanels}): a multiple of the height of
     * every vector tile that reads the panels (6 rows with 32 vector registers, 4 with 16), so a tile is a band of
     * one panel on any CPU.
     */
    int PANEL_ROWS = 12;

    /**
     * {@code C = A·B} (or {@code C += A·B}) as {@link #gemm}, for a B whose row p is the n values of {@code x} that
     * start at {@code xOff + rowStart[p]}: a matrix of windows into one array, which may overlap. This is how a
     * convolution reads its patch matrix straight out of the image, split into shifted planes
     * (kfac4j.tensor.Convolution), where im2col would copy it out first. A (m × k) comes packed once by
     * {@link #packPanels}, since a convolution applies one weight to every image of a batch. Each element is gemm's
     * chain, so the result is gemm's on the copied-out B and the unpacked A, bit for bit. C must not overlap A or x.
     */
    void gemmWindowed(int m, int n, int k, float[] panels, int aOff, float[] x, int xOff, int[] rowStart, float[] c,
                      int cOff, int cRs, boolean accumulate);

    void gemmWindowed(int m, int n, int k, double[] panels, int aOff, double[] x, int xOff, int[] rowStart, double[] c,
                      int cOff, int cRs, boolean accumulate);

    /**
     * A (m × k, any strides) as the left operand of {@link #gemmWindowed}: panels of {@link #PANEL_ROWS} rows, one
     * after another, each k columns of its rows in turn, so that element (i, p) lies at
     * {@code (i / 6)·6·k + p·6 + i mod 6}. The last panel is filled out with zero rows, which never reach C. A
     * micro-kernel then reads the six values it broadcasts at each step of p from one place.
     */
    static float[] packPanels(int m, int k, float[] a, int aOff, int aRs, int aCs) {
        float[] out = new float[panelsSize(m, k)];
        for (int i = 0; i < m; i++) {
            int at = i / PANEL_ROWS * PANEL_ROWS * k + i % PANEL_ROWS;
            for (int p = 0; p < k; p++) out[at + p * PANEL_ROWS] = a[aOff + i * aRs + p * aCs];
        }
        return out;
    }

    static double[] packPanels(int m, int k, double[] a, int aOff, int aRs, int aCs) {
        double[] out = new double[panelsSize(m, k)];
        for (int i = 0; i < m; i++) {
            int at = i / PANEL_ROWS * PANEL_ROWS * k + i % PANEL_ROWS;
            for (int p = 0; p < k; p++) out[at + p * PANEL_ROWS] = a[aOff + i * aRs + p * aCs];
        }
        return out;
    }

    /** The length of {@link #packPanels}'s result: m rounded up to whole panels, times k. */
    static int panelsSize(int m, int k) {
        return Math.toIntExact((long) (m + PANEL_ROWS - 1) / PANEL_ROWS * PANEL_ROWS * k);
    }

    /**
     * {@code count} products of one shape, {@code C_t = A_t·B_t} (or {@code +=}) for t in [0, count), with A_t, B_t
     * and C_t at offsets {@code aOffs[t]}, {@code bOffs[t]}, {@code cOffs[t]} and the strides given: batched matmul.
     * Each product is exactly {@link #gemm}'s. The C_t must not overlap one another or any A_t or B_t (the A_t and B_t
     * may share storage). Implementations may run the products in parallel.
     */
    default void gemmBatch(int count, int m, int n, int k,
                           float[] a, int[] aOffs, int aRs, int aCs,
                           float[] b, int[] bOffs, int bRs, int bCs,
                           float[] c, int[] cOffs, int cRs, boolean accumulate) {
        for (int t = 0; t < count; t++) gemm(m, n, k, a, aOffs[t], aRs, aCs, b, bOffs[t], bRs, bCs, c, cOffs[t], cRs, accumulate);
    }

    default void gemmBatch(int count, int m, int n, int k,
                           double[] a, int[] aOffs, int aRs, int aCs,
                           double[] b, int[] bOffs, int bRs, int bCs,
                           double[] c, int[] cOffs, int cRs, boolean accumulate) {
        for (int t = 0; t < count; t++) gemm(m, n, k, a, aOffs[t], aRs, aCs, b, bOffs[t], bRs, bCs, c, cOffs[t], cRs, accumulate);
    }

    /**
     * Runs {@code part.accept(i)} for every i in [0, parts) on the threads the GEMM uses (see {@code kfac4j.threads}),
     * returning when all are done: for the tensor layer's row-wise work. Callers choose {@code parts} from the size of
     * the work alone, never from the thread count, so that results do not depend on it.
     */
    static void parallel(int parts, java.util.function.IntConsumer part) {
        ComputePool.run(parts, part);
    }

    /** The implementation chosen at start-up. */
    static Kernels active() {
        return KernelSelection.ACTIVE;
    }

    /** The scalar reference implementation, always available. */
    static Kernels scalar() {
        return ScalarKernels.INSTANCE;
    }
}
