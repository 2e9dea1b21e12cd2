package kfac4j.tensor.kernel;

import static kfac4j.tensor.kernel.KernelAgreementTest.assertSameBits;
import static kfac4j.tensor.kernel.KernelData.SIZES;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * GEMM: every vector configuration reproduces the scalar definition (one fma chain per element) bit for bit, for all
 * transpose combinations, strided views, edge sizes, both the direct and the packed path, and accumulation; the scalar
 * definition itself is checked against exact arithmetic; and the result does not depend on the thread count.
 */
class GemmTest {
    private static final Kernels REF = Kernels.scalar();

    static List<KernelVariants.Variant> variants() {
        return KernelVariants.all();
    }

    /** How an m×k operand is stored: row-major, column-major (a transposed view), or strided in both axes. */
    enum Layout { ROWS, COLUMNS, STRIDED }

    /** An operand: storage, offset and strides; entry (i, j) lives at {@code data[off + i·rs + j·cs]}. */
    record Operand(double[] data, int off, int rs, int cs) {
        static Operand of(Random rnd, int rows, int cols, Layout layout, boolean integers) {
            int off = 1 + rnd.nextInt(3);
            int rs, cs, size;
            switch (layout) {
                case ROWS -> { rs = cols + 1; cs = 1; size = rows * rs; }
                case COLUMNS -> { rs = 1; cs = rows + 2; size = cols * cs; }
                default -> { rs = 2 * cols + 1; cs = 2; size = rows * rs; }
            }
            double[] d = new double[off + size + 1];
            for (int i = 0; i < d.length; i++) d[i] = Double.NaN; // unused slots are NaN: reading one shows
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    d[off + i * rs + j * cs] = integers ? rnd.nextInt(17) - 8 : rnd.nextGaussian();
                }
            }
            return new Operand(d, off, rs, cs);
        }

        double at(int i, int j) {
            return data[off + i * rs + j * cs];
        }

        float[] f32() {
            return KernelData.f32(data);
        }
    }

    /** Shapes (m, n, k): the edge sizes on every axis, mixed, and some large enough for the packed, parallel path. */
    static List<int[]> shapes() {
        List<int[]> s = new ArrayList<>();
        for (int n : SIZES) if (n <= 65) s.add(new int[]{n, n, n});
        int[][] mixed = {{1, 129, 7}, {129, 1, 17}, {7, 65, 129}, {65, 7, 31}, {31, 17, 64}, {3, 2, 1}, {2, 3, 0},
                {0, 5, 3}, {5, 0, 3}, {17, 129, 65}, {6, 64, 32}, {64, 32, 64}, {13, 200, 9}};
        s.addAll(List.of(mixed));
        Random rnd = new Random(6);
        for (int t = 0; t < 8; t++) s.add(new int[]{SIZES[rnd.nextInt(10)], SIZES[rnd.nextInt(10)], SIZES[rnd.nextInt(10)]});
        return s;
    }

    /** Large enough that GEMM packs and splits k into several blocks; the last also runs on several threads. */
    static final int[][] LARGE = {{129, 129, 129}, {131, 197, 300}, {300, 70, 131}, {8, 520, 600}, {260, 300, 520}};

    /** One product to check: inputs, the initial C, and the reference's results in both dtypes. */
    record Case(String what, int m, int n, int k, Operand a, Operand b, boolean accumulate, int cOff, int cRs,
                double[] c0, double[] want, float[] wantF) {
        static Case of(Random rnd, int m, int n, int k, Layout la, Layout lb, boolean accumulate) {
            Operand a = Operand.of(rnd, m, k, la, false), b = Operand.of(rnd, k, n, lb, false);
            int cRs = n + 3, cOff = 2;
            double[] c0 = new double[cOff + m * cRs + 1];
            for (int i = 0; i < c0.length; i++) c0[i] = rnd.nextGaussian();
            double[] want = c0.clone();
            float[] wantF = KernelData.f32(c0);
            REF.gemm(m, n, k, a.data, a.off, a.rs, a.cs, b.data, b.off, b.rs, b.cs, want, cOff, cRs, accumulate);
            REF.gemm(m, n, k, a.f32(), a.off, a.rs, a.cs, b.f32(), b.off, b.rs, b.cs, wantF, cOff, cRs, accumulate);
            String what = "gemm " + m + "x" + n + "x" + k + " A " + la + " B " + lb + (accumulate ? " accumulate" : "");
            return new Case(what, m, n, k, a, b, accumulate, cOff, cRs, c0, want, wantF);
        }

        /** C = A·B or C += A·B in both dtypes; C's row padding must come through unchanged. */
        void check(Kernels kernels) {
            double[] got = c0.clone();
            kernels.gemm(m, n, k, a.data, a.off, a.rs, a.cs, b.data, b.off, b.rs, b.cs, got, cOff, cRs, accumulate);
            assertSameBits(what + " F64", want, got);
            float[] gotF = KernelData.f32(c0);
            kernels.gemm(m, n, k, a.f32(), a.off, a.rs, a.cs, b.f32(), b.off, b.rs, b.cs, gotF, cOff, cRs, accumulate);
            assertSameBits(what + " F32", wantF, gotF);
        }
    }

    private static List<Case> cases;

    /** Every shape in every pair of layouts, the large ones in the row and column layouts; references computed once. */
    static synchronized List<Case> cases() {
        if (cases != null) return cases;
        Random rnd = new Random(7);
        List<Case> c = new ArrayList<>();
        for (int[] s : shapes()) {
            for (Layout la : Layout.values()) {
                for (Layout lb : Layout.values()) {
                    c.add(Case.of(rnd, s[0], s[1], s[2], la, lb, (la.ordinal() + lb.ordinal()) % 2 == 0));
                }
            }
        }
        Layout[] two = {Layout.ROWS, Layout.COLUMNS};
        for (int[] s : LARGE) {
            for (Layout la : two) for (Layout lb : two) c.add(Case.of(rnd, s[0], s[1], s[2], la, lb, la == lb));
        }
        cases = List.copyOf(c);
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void gemmAgreesBitForBitInEveryLayout(KernelVariants.Variant v) {
        for (Case c : cases()) c.check(v.kernels());
    }

    /**
     * An independent check of every path: with small integer entries every partial sum is an integer below 2²⁴, so
     * both dtypes must give the exact integer product, whatever the order of operations.
     */
    /**
     * Every count of rows left after the last whole MR-tall panel, 0 to MR − 1, in a product deep enough to be packed
     * in two depth blocks (the second adding to C) and wide enough for whole and partial panels of B: the edge rows
     * take the four- and eight-row kernels, in place or through a padded copy, and must give the reference's bits.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void everyCountOfEdgeRowsAgreesBitForBit(KernelVariants.Variant v) {
        Random rnd = new Random(11);
        int k = Math.max(GemmF32.KC, GemmF64.KC) + 7, n = 2 * GemmF32.NR + 5;
        for (int rows = 0; rows < GemmF32.MR; rows++) {
            for (int m : new int[]{rows, GemmF32.MR + rows}) {
                if (m == 0) continue;
                for (boolean accumulate : new boolean[]{false, true}) {
                    Case.of(rnd, m, n, k, Layout.ROWS, Layout.ROWS, accumulate).check(v.kernels());
                    Case.of(rnd, m, n, k, Layout.COLUMNS, Layout.ROWS, !accumulate).check(v.kernels());
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void productsOfSmallIntegersAreExact(KernelVariants.Variant v) {
        Random rnd = new Random(8);
        List<int[]> all = new ArrayList<>(shapes());
        all.addAll(List.of(LARGE));
        for (int[] s : all) {
            int m = s[0], n = s[1], k = s[2];
            Layout la = Layout.values()[rnd.nextInt(3)], lb = Layout.values()[rnd.nextInt(3)];
            Operand a = Operand.of(rnd, m, k, la, true), b = Operand.of(rnd, k, n, lb, true);
            double[] c = new double[m * n];
            float[] cf = new float[m * n];
            v.kernels().gemm(m, n, k, a.data, a.off, a.rs, a.cs, b.data, b.off, b.rs, b.cs, c, 0, n, false);
            v.kernels().gemm(m, n, k, a.f32(), a.off, a.rs, a.cs, b.f32(), b.off, b.rs, b.cs, cf, 0, n, false);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    long exact = 0;
                    for (int p = 0; p < k; p++) exact += (long) a.at(i, p) * (long) b.at(p, j);
                    String at = m + "x" + n + "x" + k + " A " + la + " B " + lb + " at (" + i + ", " + j + ")";
                    assertThat(c[i * n + j]).as("F64 " + at).isEqualTo((double) exact);
                    assertThat(cf[i * n + j]).as("F32 " + at).isEqualTo((float) exact);
                }
            }
        }
    }

    /**
     * The reference itself: k fma steps from c₀ lie within γ_k·(|c₀| + Σ_p |a_ip b_pj|) of the exact value
     * (γ_k = k·u/(1 − k·u), u = 2⁻²⁴ for F32). The exact value of F32 data is computed in double (products exact,
     * the double sum's own error is below 2⁻⁴⁰ of the bound).
     */
    @Test
    void scalarReferenceIsWithinTheRoundingBoundOfTheExactProduct() {
        Random rnd = new Random(9);
        int m = 9, n = 11, k = 300;
        Operand a = Operand.of(rnd, m, k, Layout.ROWS, false), b = Operand.of(rnd, k, n, Layout.COLUMNS, false);
        float[] af = a.f32(), bf = b.f32(), c = new float[m * n];
        for (int i = 0; i < c.length; i++) c[i] = (float) rnd.nextGaussian();
        float[] c0 = c.clone();
        REF.gemm(m, n, k, af, a.off, a.rs, a.cs, bf, b.off, b.rs, b.cs, c, 0, n, true);
        double u = 0x1p-24, gamma = k * u / (1 - k * u);
        double worst = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double exact = c0[i * n + j], mag = Math.abs(c0[i * n + j]);
                for (int p = 0; p < k; p++) {
                    double t = (double) af[a.off + i * a.rs + p * a.cs] * bf[b.off + p * b.rs + j * b.cs];
                    exact += t;
                    mag += Math.abs(t);
                }
                assertThat((double) c[i * n + j]).as("(%d, %d)", i, j).isCloseTo(exact, org.assertj.core.data.Offset.offset(gamma * mag));
                worst = Math.max(worst, Math.abs(c[i * n + j] - exact) / mag);
            }
        }
        assertThat(worst).as("a real rounding error is present (the check can fail)").isGreaterThan(0);
    }

    @Test
    void zeroDepthClearsOrKeepsCAndEmptyShapesTouchNothing() {
        for (KernelVariants.Variant v : variants()) {
            double[] c = {5, 6, 7, 8};
            v.kernels().gemm(2, 2, 0, new double[0], 0, 0, 1, new double[0], 0, 2, 1, c, 0, 2, true);
            assertThat(c).containsExactly(5, 6, 7, 8);
            v.kernels().gemm(2, 2, 0, new double[0], 0, 0, 1, new double[0], 0, 2, 1, c, 0, 2, false);
            assertThat(c).containsExactly(0, 0, 0, 0);
            float[] cf = {1, 2};
            v.kernels().gemm(0, 2, 3, new float[0], 0, 3, 1, new float[6], 0, 2, 1, cf, 0, 2, false);
            v.kernels().gemm(1, 0, 3, new float[3], 0, 3, 1, new float[0], 0, 0, 1, cf, 0, 0, false);
            assertThat(cf).containsExactly(1, 2);
        }
    }

    /**
     * A batch of attention-sized products (here 40 of 64×32·32×64, each too small to split, so the batch is shared
     * out over the threads), with the right operand transposed and shared by every entry as in a broadcast batch.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void batchedProductsAgreeBitForBitWithOneProductAtATime(KernelVariants.Variant v) {
        Random rnd = new Random(12);
        int count = 40, m = 64, n = 64, k = 32;
        assertThat(GemmF32.batchParts(count, m, n, k)).isEqualTo(ComputePool.parallelism() > 1 ? Math.min(count, 4 * ComputePool.parallelism()) : 1);
        double[] a = new double[count * m * k + 3], b = new double[k * n];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = rnd.nextGaussian();
        int[] aOffs = new int[count], bOffs = new int[count], cOffs = new int[count];
        for (int t = 0; t < count; t++) {
            aOffs[t] = 3 + t * m * k;
            cOffs[t] = (count - 1 - t) * m * n; // any placement of the outputs, as long as they do not overlap
        }
        for (boolean accumulate : new boolean[]{false, true}) {
            double[] want = new double[count * m * n], got = new double[count * m * n];
            for (int i = 0; i < want.length; i++) want[i] = got[i] = rnd.nextGaussian();
            for (int t = 0; t < count; t++) REF.gemm(m, n, k, a, aOffs[t], k, 1, b, 0, 1, k, want, cOffs[t], n, accumulate);
            v.kernels().gemmBatch(count, m, n, k, a, aOffs, k, 1, b, bOffs, 1, k, got, cOffs, n, accumulate);
            assertSameBits("batch F64" + (accumulate ? " accumulate" : ""), want, got);
            float[] af = KernelData.f32(a), bf = KernelData.f32(b), wantF = KernelData.f32(want), gotF = KernelData.f32(want);
            for (int t = 0; t < count; t++) REF.gemm(m, n, k, af, aOffs[t], k, 1, bf, 0, 1, k, wantF, cOffs[t], n, accumulate);
            v.kernels().gemmBatch(count, m, n, k, af, aOffs, k, 1, bf, bOffs, 1, k, gotF, cOffs, n, accumulate);
            assertSameBits("batch F32" + (accumulate ? " accumulate" : ""), wantF, gotF);
        }
    }

    // ------------------------------------------------------------------ products whose B is a set of windows

    /**
     * gemmWindowed against gemm on the windows copied out as rows of B and the unpacked A, bit for bit, in both dtypes
     * and every layout of A before packing (and NaN wherever the panels hold no element of A): overlapping windows in
     * any order, rows of A left over after the last whole band, columns in whole tiles, single vectors and a scalar
     * tail, depths across several passes, accumulating or not; C's row padding must come through unchanged, and the
     * reference must itself agree with gemm.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void windowedProductsAgreeBitForBitWithGemmOnTheCopiedWindows(KernelVariants.Variant v) {
        Random rnd = new Random(14);
        int[][] shapes = {{64, 256, 288}, {13, 200, 300}, {7, 65, 145}, {6, 64, 144}, {5, 17, 3}, {1, 1, 1}, {12, 48, 27},
                {32, 1024, 27}, {3, 0, 4}, {0, 5, 4}, {4, 9, 0}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (Layout la : Layout.values()) {
                Operand a = Operand.of(rnd, m, k, la, false);
                int xOff = 3, span = 2 * n + 40;
                double[] x = new double[xOff + span];
                for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian();
                int[] rowStart = new int[k];
                double[] b = new double[k * n];
                for (int p = 0; p < k; p++) {
                    rowStart[p] = rnd.nextInt(span - n + 1);
                    System.arraycopy(x, xOff + rowStart[p], b, p * n, n);
                }
                boolean accumulate = rnd.nextBoolean();
                int cRs = n + 3, cOff = 2;
                double[] c0 = new double[cOff + m * cRs + 1];
                for (int i = 0; i < c0.length; i++) c0[i] = rnd.nextGaussian();
                String what = "windowed " + m + "x" + n + "x" + k + " A " + la + (accumulate ? " accumulate" : "");
                double[] want = c0.clone(), ref = c0.clone(), got = c0.clone();
                REF.gemm(m, n, k, a.data, a.off, a.rs, a.cs, b, 0, n, 1, want, cOff, cRs, accumulate);
                double[] panels = placedPanels(Kernels.packPanels(m, k, a.data, a.off, a.rs, a.cs), m, k);
                REF.gemmWindowed(m, n, k, panels, PANELS_AT, x, xOff, rowStart, ref, cOff, cRs, accumulate);
                v.kernels().gemmWindowed(m, n, k, panels, PANELS_AT, x, xOff, rowStart, got, cOff, cRs, accumulate);
                assertSameBits(what + " F64 reference", want, ref);
                assertSameBits(what + " F64", want, got);
                float[] af = a.f32(), xf = KernelData.f32(x), bf = KernelData.f32(b);
                float[] wantF = KernelData.f32(c0), refF = KernelData.f32(c0), gotF = KernelData.f32(c0);
                REF.gemm(m, n, k, af, a.off, a.rs, a.cs, bf, 0, n, 1, wantF, cOff, cRs, accumulate);
                float[] panelsF = KernelData.f32(placedPanels(KernelData.f64(Kernels.packPanels(m, k, af, a.off, a.rs,
                        a.cs)), m, k));
                REF.gemmWindowed(m, n, k, panelsF, PANELS_AT, xf, xOff, rowStart, refF, cOff, cRs, accumulate);
                v.kernels().gemmWindowed(m, n, k, panelsF, PANELS_AT, xf, xOff, rowStart, gotF, cOff, cRs, accumulate);
                assertSameBits(what + " F32 reference", wantF, refF);
                assertSameBits(what + " F32", wantF, gotF);
            }
        }
    }

    /** Where {@link #placedPanels} puts the panels in its array. */
    private static final int PANELS_AT = 5;

    /**
     * Packed panels at {@link #PANELS_AT} in a longer array, with NaN before and after them and in the zero rows that
     * fill out the last panel: none of it may reach C.
     */
    private static double[] placedPanels(double[] panels, int m, int k) {
        assertThat(panels).hasSize(Kernels.panelsSize(m, k));
        double[] out = KernelData.padded(panels, PANELS_AT, 7, Double.NaN);
        int rows = panels.length / Math.max(1, k);
        for (int i = m; i < rows; i++) {
            int at = PANELS_AT + i / Kernels.PANEL_ROWS * Kernels.PANEL_ROWS * k + i % Kernels.PANEL_ROWS;
            for (int p = 0; p < k; p++) {
                assertThat(out[at + p * Kernels.PANEL_ROWS]).as("filler row %d of the last panel", i).isZero();
                out[at + p * Kernels.PANEL_ROWS] = Double.NaN;
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ symmetric products

    /**
     * One product whose operands are views into one stored X: A at (aOff, aRs, aCs), B at (bOff, bRs, bCs), both
     * dtypes, checked bit for bit against the reference, C's padding included (C starts out random, so an entry the
     * symmetric path forgot to fill shows).
     */
    private static void checkViews(Kernels kernels, String what, int m, int n, int k, Operand x, int aOff, int aRs,
                                   int aCs, int bOff, int bRs, int bCs, boolean accumulate, Random rnd) {
        int cRs = n + 1;
        double[] c0 = new double[m * cRs];
        for (int i = 0; i < c0.length; i++) c0[i] = rnd.nextGaussian();
        double[] want = c0.clone(), got = c0.clone();
        REF.gemm(m, n, k, x.data, aOff, aRs, aCs, x.data, bOff, bRs, bCs, want, 0, cRs, accumulate);
        kernels.gemm(m, n, k, x.data, aOff, aRs, aCs, x.data, bOff, bRs, bCs, got, 0, cRs, accumulate);
        assertSameBits(what + " F64", want, got);
        float[] xf = x.f32(), wantF = KernelData.f32(c0), gotF = KernelData.f32(c0);
        REF.gemm(m, n, k, xf, aOff, aRs, aCs, xf, bOff, bRs, bCs, wantF, 0, cRs, accumulate);
        kernels.gemm(m, n, k, xf, aOff, aRs, aCs, xf, bOff, bRs, bCs, gotF, 0, cRs, accumulate);
        assertSameBits(what + " F32", wantF, gotF);
    }

    /**
     * xᵀx and x·xᵀ (A the transpose of B in the same storage: the K-FAC factor product) compute only the lower
     * triangle and mirror it, which must give the full product's bits: in every layout of x, at odd sizes, on both
     * sides of a column chunk (n above NC), and with k deep enough to be blocked.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void symmetricProductsAgreeBitForBitWithTheFullProduct(KernelVariants.Variant v) {
        Random rnd = new Random(13);
        int[][] dims = {{1, 300}, {13, 300}, {37, 257}, {130, 600}, {131, 33}, {1030, 7}, {70, GemmF32.GRAM_MIN_DEPTH}};
        for (int[] d : dims) {
            int n = d[0], k = d[1];
            for (Layout layout : Layout.values()) {
                Operand x = Operand.of(rnd, k, n, layout, false); // k×n; xᵀx is n×n
                String what = "xᵀx " + n + "x" + n + "x" + k + " x " + layout;
                checkViews(v.kernels(), what, n, n, k, x, x.off, x.cs, x.rs, x.off, x.rs, x.cs, false, rnd);
                Operand y = Operand.of(rnd, n, k, layout, false); // n×k; y·yᵀ is n×n
                what = "y·yᵀ " + n + "x" + n + "x" + k + " y " + layout;
                checkViews(v.kernels(), what, n, n, k, y, y.off, y.rs, y.cs, y.off, y.cs, y.rs, false, rnd);
            }
        }
    }

    /**
     * Views that only look like xᵀx: B offset by one column of x (same strides), A and B from differently padded
     * rows, and xᵀx accumulated into a C that is not symmetric. Each must be computed in full.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void lookalikesOfSymmetricProductsAreComputedInFull(KernelVariants.Variant v) {
        Random rnd = new Random(14);
        int n = 70, k = 300;
        Operand x = Operand.of(rnd, k, n + 1, Layout.ROWS, false);
        assertThat(GemmF32.isGram(n, n, x.f32(), x.off, x.cs, x.rs, x.f32(), x.off + x.cs, x.rs, x.cs)).isFalse();
        checkViews(v.kernels(), "xᵀ·x shifted by a column", n, n, k, x, x.off, x.cs, x.rs, x.off + x.cs, x.rs, x.cs,
                false, rnd);
        // A reads every other row of x, B every row.
        checkViews(v.kernels(), "xᵀ·x with other row strides", n, n, k / 2, x, x.off, x.cs, x.rs * 2, x.off, x.rs,
                x.cs, false, rnd);
        checkViews(v.kernels(), "xᵀx accumulated", n, n, k, x, x.off, x.cs, x.rs, x.off, x.rs, x.cs, true, rnd);
        float[] xf = x.f32();
        assertThat(GemmF32.isGram(n, n, xf, x.off, x.cs, x.rs, xf, x.off, x.rs, x.cs)).isTrue();
        assertThat(GemmF32.isGram(n, n, xf, x.off, x.cs, x.rs, xf.clone(), x.off, x.rs, x.cs)).isFalse();
    }

    // ------------------------------------------------------------------ threads

    /**
     * The production kernels on a pool of 1, 2 and 3 threads give the same bits (and the reference's). The 128- and
     * 100-row products are cut by columns on two threads, A's panels then shared ({@link
     * #chunksOfFewRowsAreCutByColumns}); the 100-row one is deeper than a chunk of B, so its second chunk accumulates.
     */
    @Test
    void resultIsBitIdenticalForAnyThreadCount() {
        Kernels k = Kernels.active();
        assertThat(k.name()).startsWith("vector ");
        int before = ComputePool.parallelism();
        Random rnd = new Random(10);
        try {
            for (int[] s : new int[][]{{257, 300, 521}, {600, 129, 440}, {7, 1900, 2600}, {128, 784, 512}, {100, 700, 1100}}) {
                Operand a = Operand.of(rnd, s[0], s[2], Layout.COLUMNS, false), b = Operand.of(rnd, s[2], s[1], Layout.ROWS, false);
                assertThat((long) s[0] * s[1] * s[2]).isGreaterThanOrEqualTo(GemmF32.PARALLEL_MIN);
                int[] threads = {1, 2, 3};
                float[][] f = new float[threads.length][];
                double[][] d = new double[threads.length][];
                for (int t = 0; t < threads.length; t++) {
                    ComputePool.setParallelism(threads[t]);
                    f[t] = new float[s[0] * s[1]];
                    d[t] = new double[s[0] * s[1]];
                    k.gemm(s[0], s[1], s[2], a.f32(), a.off, a.rs, a.cs, b.f32(), b.off, b.rs, b.cs, f[t], 0, s[1], false);
                    k.gemm(s[0], s[1], s[2], a.data, a.off, a.rs, a.cs, b.data, b.off, b.rs, b.cs, d[t], 0, s[1], false);
                }
                for (int t = 1; t < threads.length; t++) {
                    String what = s[0] + "x" + s[1] + "x" + s[2] + " on 1 and " + threads[t] + " threads";
                    assertSameBits(what + " F32", f[0], f[t]);
                    assertSameBits(what + " F64", d[0], d[t]);
                }
                double[] ref = new double[s[0] * s[1]];
                REF.gemm(s[0], s[1], s[2], a.data, a.off, a.rs, a.cs, b.data, b.off, b.rs, b.cs, ref, 0, s[1], false);
                assertSameBits(s[0] + "x" + s[1] + "x" + s[2] + " F64 against the reference", ref, d[0]);
            }
        } finally {
            ComputePool.setParallelism(before);
        }
    }

    /**
     * How a chunk of B is shared among threads: by columns where the rows would be cut unevenly and the columns evenly
     * (a batch of 128 through a linear layer: 11 row panels cut 5 and 6, 16 column panels cut 8 and 8), by rows where
     * both cut about evenly (square products, where cutting by columns would pack all of A on every thread), and by
     * columns where there are too few row panels to go round.
     */
    @Test
    void chunksOfFewRowsAreCutByColumns() {
        int mr = 12, nr = 32;
        assertThat(GemmF32.byColumns(11, mr, 16, nr, 2)).as("128 rows, 512 columns, 2 threads").isTrue();
        assertThat(GemmF32.byColumns(11, mr, 8, nr, 2)).as("128 rows, 256 columns, 2 threads").isTrue();
        assertThat(GemmF32.byColumns(86, mr, 16, nr, 2)).as("1024 rows, 2 threads").isFalse();
        assertThat(GemmF32.byColumns(171, mr, 16, nr, 2)).as("2048 rows, 2 threads").isFalse();
        assertThat(GemmF32.byColumns(43, mr, 16, nr, 2)).as("512 rows: a near tie stays with rows").isFalse();
        assertThat(GemmF32.byColumns(3, mr, 16, nr, 2)).as("3 row panels, 2 threads").isTrue();
        assertThat(GemmF32.byColumns(11, mr, 1, nr, 2)).as("one column panel").isFalse();
        assertThat(GemmF32.byColumns(11, mr, 16, nr, 1)).as("one thread").isFalse();
    }

    /** The symmetric path (rows cut by work, lower tiles only, then mirrored) on 1 and 3 threads. */
    @Test
    void symmetricProductIsBitIdenticalForAnyThreadCount() {
        Kernels k = Kernels.active();
        int before = ComputePool.parallelism();
        Random rnd = new Random(15);
        int n = 301, depth = 600;
        Operand x = Operand.of(rnd, depth, n, Layout.ROWS, false);
        float[] xf = x.f32();
        try {
            float[][] f = new float[2][];
            double[][] d = new double[2][];
            int[] threads = {1, 3};
            for (int t = 0; t < 2; t++) {
                ComputePool.setParallelism(threads[t]);
                f[t] = new float[n * n];
                d[t] = new double[n * n];
                k.gemm(n, n, depth, xf, x.off, x.cs, x.rs, xf, x.off, x.rs, x.cs, f[t], 0, n, false);
                k.gemm(n, n, depth, x.data, x.off, x.cs, x.rs, x.data, x.off, x.rs, x.cs, d[t], 0, n, false);
            }
            assertSameBits("xᵀx on 1 and 3 threads F32", f[0], f[1]);
            assertSameBits("xᵀx on 1 and 3 threads F64", d[0], d[1]);
            double[] ref = new double[n * n];
            REF.gemm(n, n, depth, x.data, x.off, x.cs, x.rs, x.data, x.off, x.rs, x.cs, ref, 0, n, false);
            assertSameBits("xᵀx F64 against the reference", ref, d[1]);
        } finally {
            ComputePool.setParallelism(before);
        }
    }

    /**
     * Products started from several threads at once, and products nested inside pool tasks (a worker that waits for
     * its parts may run another product's parts meanwhile) each get their own scratch space.
     */
    @Test
    void concurrentAndNestedProductsDoNotShareScratchSpace() throws Exception {
        Kernels k = Kernels.active();
        Random rnd = new Random(11);
        int count = 6;
        Operand[] as = new Operand[count], bs = new Operand[count];
        int[][] dims = new int[count][];
        double[][] want = new double[count][];
        for (int t = 0; t < count; t++) {
            dims[t] = new int[]{100 + 17 * t, 90 + 13 * t, 200 + 7 * t};
            as[t] = Operand.of(rnd, dims[t][0], dims[t][2], Layout.ROWS, false);
            bs[t] = Operand.of(rnd, dims[t][2], dims[t][1], Layout.COLUMNS, false);
            want[t] = new double[dims[t][0] * dims[t][1]];
            REF.gemm(dims[t][0], dims[t][1], dims[t][2], as[t].data, as[t].off, as[t].rs, as[t].cs, bs[t].data,
                    bs[t].off, bs[t].rs, bs[t].cs, want[t], 0, dims[t][1], false);
        }
        double[][] got = new double[count][];
        Runnable[] jobs = new Runnable[count];
        for (int t = 0; t < count; t++) {
            int q = t;
            jobs[t] = () -> {
                double[] c = new double[dims[q][0] * dims[q][1]];
                k.gemm(dims[q][0], dims[q][1], dims[q][2], as[q].data, as[q].off, as[q].rs, as[q].cs, bs[q].data,
                        bs[q].off, bs[q].rs, bs[q].cs, c, 0, dims[q][1], false);
                got[q] = c;
            };
        }
        try (ExecutorService ex = Executors.newFixedThreadPool(3)) {
            List<Future<?>> fs = new ArrayList<>();
            for (Runnable j : jobs) fs.add(ex.submit(j));
            for (Future<?> f : fs) f.get();
        }
        for (int t = 0; t < count; t++) assertSameBits("concurrent product " + t, want[t], got[t]);
        java.util.Arrays.fill(got, null);
        ComputePool.run(count, t -> jobs[t].run());
        for (int t = 0; t < count; t++) assertSameBits("nested product " + t, want[t], got[t]);
    }
}
