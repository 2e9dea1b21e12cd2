package kfac4j.tensor.kernel;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * General matrix product {@code C = A·B} or {@code C += A·B} in F64 on the Vector API (DESIGN.md §2, "GEMM").
 *
 * <p><b>What is computed.</b> Every element of C is one chain of fused multiply-adds over p = 0, 1, …, k−1 in
 * order, starting from 0 (or from the old C when accumulating): {@code c = fma(a[i][p], b[p][j], c)}. Blocking,
 * packing, tile edges and threads only change which element is worked on when and by whom, never that chain. So the
 * result is bit-identical to {@link ScalarKernels#gemm} (which runs the same chain one element at a time), whatever
 * the vector width, the block sizes or the number of threads.
 *
 * <p><b>How.</b> The micro-kernel keeps an MR × NR block of C in vector registers and, for each p, broadcasts one
 * element of A per row and multiply-adds it into the vectors of row p of B. Large products use the blocked scheme of
 * Goto and van de Geijn: B is packed into KC-deep blocks of NR-wide panels, A into MR-tall panels, so that the
 * micro-kernel reads both with unit stride; transposed and strided operands are only ever read while packing (a
 * panel of row-major A is gathered L columns at a time, a vector gather and store per L values). Each
 * panel of A (in L1) sweeps across the panels of a KC × NC block of B (1 MiB, in L2), so consecutive tiles of
 * C are neighbours in memory. The rows of C are split into a fixed number of parts that run on the
 * {@link ComputePool}; B's panels are packed on demand by the first part that needs each one, so a product is one
 * parallel step per chunk of B. Small products skip packing: the micro-kernel then reads A through its strides and B
 * in place.
 *
 * <p><b>Symmetric products.</b> When A is B's transpose in the same storage ({@code xᵀx} or {@code x·xᵀ}, the
 * product behind every K-FAC factor, DESIGN.md §5), only the tiles that reach the diagonal or below it are computed,
 * rows are cut into parts of equal work, and the upper triangle is copied from the lower one. That is bit-identical
 * to the full product because {@code fma(x, y, c) == fma(y, x, c)} exactly. For x of 8192 × 512 about 53% of the
 * tiles are computed, and the product takes about 0.6 of the time of the full one (packing is not halved). In a
 * shallow product the copy of the upper triangle costs more than the half of the multiply-adds it saves, so products
 * shallower than {@link #GRAM_MIN_DEPTH} are computed whole: K-FAC-reduce's factors are Gram matrices over a batch
 * of only 32 or 64 examples.
 *
 * <p>Measured on one core of an AVX-512 machine (n = 1024): a loop of register-only FMAs peaks at about 195-215
 * GFLOP/s in single precision; the micro-kernel alone runs at about 170 (C2 emits broadcasts from memory and hoists
 * the bounds checks out of the loop, which it runs two steps of p at a time), the whole product at about 140 in
 * single precision and 60 in double. The rest, measured by leaving each out: packing (~5-10%), reading B's panels
 * from L2 rather than L1 (~10%), and waiting for tiles of C (~10%), which a Java kernel cannot prefetch. A loop
 * order that keeps a panel of B in L1 and streams A instead was 5-10% slower overall, since consecutive tiles of C
 * are then not neighbours.
 */
final class GemmF64 {
    private static final VectorSpecies<Double> S = VectorWidth.F64;
    private static final int L = S.length();

    /**
     * The packed micro-tile: MR rows by NR = 2 vectors, MR·2 accumulators plus two rows of B and the broadcasts of A in
     * registers. With 32 registers (AVX-512) 12 rows, measured as fast as a 6 × 4-vector tile, with a narrower panel of
     * B. With 16 (AVX2) 4 rows: 8 + 2 + 4 = 14 registers even when C2 loads all of a step's broadcasts before its
     * first multiply-add, which it does. A 6-row tile (12 + 2 + 1 = 15 on paper) had one accumulator spilled to the
     * stack, stored and reloaded on every step, a chain through memory that held the F32 kernel to about 40 of the
     * 100 GFLOP/s that one core of an AVX2 machine (Zen 3) reaches; 5 rows spilled the same way. On that machine
     * the 4-row tile runs at 60-80 in the same loop, and gemm_f64_1024 went from 64-68 to 44-55 ms on two threads.
     */
    static final int MR = VectorWidth.REGISTERS >= 32 ? 12 : 4;
    static final int NR = 2 * L;
    /**
     * Depth of a packed block: 512, as in single precision, so the MR × KC panel of A is 48 KiB, about the size of
     * L1. C is loaded and stored once per block, and with the micro-kernel's loop unrolled that weighs more than the
     * panel of A spilling to L2: on two threads KC = 512 rather than 256 measured 18.6-19.3 -> 16.8-16.9 ms at
     * n = 1024, 155-156 -> 139-141 ms at 2048, and 2.19-2.45 -> 2.12-2.21 ms at 512.
     */
    static final int KC = Math.clamp(48 * 1024 / (MR * Double.BYTES), 64, 512);
    /**
     * Rows of A packed at a time (MC × KC values, about 32 KiB): a panel just packed is still in L1 when the
     * micro-kernel reads it, and packing does not push the block of B out of L2. Measured against 512 KiB blocks on
     * one core: 5-8% faster at n = 1024 and 2048.
     */
    static final int MC = MR * Math.max(1, 32 * 1024 / (KC * Double.BYTES) / MR);
    /** Columns of B packed in one chunk: a KC × NC block of B is 1 MiB and stays in the L2 cache. */
    static final int NC = NR * Math.max(1, 1024 * 1024 / (KC * Double.BYTES) / NR);
    /** Rows of B packed in one chunk; the threads meet once per chunk. A chunk is at most KB × NC values. */
    static final int KB = KC * Math.max(1, 1024 / KC);
    /**
     * Parts per thread. One: each thread packs the panels of B its part starts at, and the threads meet once per
     * chunk. Against two parts per thread, on a quiet machine: 256³ 0.164 -> 0.148 ms, 128×256×512 0.21 -> 0.185 ms,
     * 1024 and 2048 unchanged. On a busy machine a thread that gets less CPU time holds the product up for its share.
     */
    static final int SPLIT = 1;
    /**
     * The unpacked (direct) micro-tile: DMR rows by DNV vectors, A read through its strides, B in place. 6 × 4 vectors
     * with 32 registers; 4 × 2 with 16, for the reason given at {@link #MR}.
     */
    static final int DMR = VectorWidth.REGISTERS >= 32 ? 6 : 4;
    static final int DNV = VectorWidth.REGISTERS >= 32 ? 4 : 2;
    static final int DNR = DNV * L;
    /**
     * Products with fewer multiply-adds than this run on the calling thread. With workers that are still spinning
     * from the last job ({@link ComputePool#SPIN_NANOS}) a 256³ product (2²⁴) is faster on two threads (bench
     * command on a quiet machine: 0.38 -> 0.26-0.34 ms); below 2²² the fork costs about what it saves.
     */
    static final long PARALLEL_MIN = 1L << 22;
    /** A batch of products that do not parallelise themselves is shared out from this many multiply-adds in all. */
    static final long BATCH_PARALLEL_MIN = 1L << 21;
    /** Products with k ≤ KC and fewer multiply-adds than this skip packing. */
    static final long DIRECT_MAX = 1L << 21;
    /**
     * Symmetric products at least this deep compute the lower triangle and copy it up; shallower ones, where the copy
     * costs more than the half of the multiply-adds it saves, run whole. xᵀx for x of k × n, F32, two threads, the
     * time of the symmetric path over the whole product: k = 96: 1.07-1.14 (n = 129 to 577); 192: 0.79-1.02;
     * 256: 0.79-0.96; 512: 0.68-0.77.
     */
    static final int GRAM_MIN_DEPTH = 192;

    /** Zeros where a micro-kernel that does not accumulate reads its starting tile from: a row of the widest tile. */
    private static final double[] ZERO_ROW = new double[Math.max(2, DNV) * L];

    private static final ThreadLocal<double[]> PACKED_A = new ThreadLocal<>();
    private static final ThreadLocal<double[]> PACKED_B = new ThreadLocal<>();
    private static final ThreadLocal<double[]> SHARED_A = new ThreadLocal<>();
    private static final ThreadLocal<double[]> EDGE = new ThreadLocal<>();

    private GemmF64() {
    }

    /** See {@link Kernels#gemm}: A is m×k at (aRs, aCs), B is k×n at (bRs, bCs), C is m×n with row stride cRs. */
    static void gemm(int m, int n, int k, double[] a, int aOff, int aRs, int aCs, double[] b, int bOff, int bRs,
                     int bCs, double[] c, int cOff, int cRs, boolean accumulate) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) for (int i = 0; i < m; i++) Arrays.fill(c, cOff + i * cRs, cOff + i * cRs + n, 0.0);
            return;
        }
        long work = (long) m * n * k;
        if (k <= KC && work < DIRECT_MAX) {
            direct(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, cRs, accumulate);
        } else {
            boolean gram = !accumulate && k >= GRAM_MIN_DEPTH && isGram(m, n, a, aOff, aRs, aCs, b, bOff, bRs, bCs);
            blocked(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, cRs, accumulate,
                    work >= PARALLEL_MIN ? ComputePool.parallelism() : 1, gram);
            if (gram) mirrorLower(n, c, cOff, cRs);
        }
    }

    /**
     * Whether A is the transpose of B, element for element in the same storage ({@code xᵀx} or {@code x·xᵀ}, the
     * product behind every K-FAC factor): then C is symmetric, and C[i][j] = C[j][i] holds bit for bit, since
     * {@code fma(x, y, c) == fma(y, x, c)} exactly and both chains run over p in the same order.
     */
    static boolean isGram(int m, int n, double[] a, int aOff, int aRs, int aCs, double[] b, int bOff, int bRs, int bCs) {
        return m == n && a == b && aOff == bOff && aRs == bCs && aCs == bRs;
    }

    /**
     * How many parts a batch of {@code count} products of one shape is split into: one when the products parallelise
     * themselves or the whole batch is too small to be worth a fork, else a few per thread (so a thread that gets
     * less CPU time does not hold the others up).
     */
    static int batchParts(int count, int m, int n, int k) {
        long each = (long) m * n * k;
        int threads = ComputePool.parallelism();
        if (count < 2 || threads < 2 || each >= PARALLEL_MIN || each * count < BATCH_PARALLEL_MIN) return 1;
        return Math.min(count, 4 * threads);
    }

    // ------------------------------------------------------------------ small products: no packing

    private static void direct(int m, int n, int k, double[] a, int aOff, int aRs, int aCs, double[] b, int bOff,
                               int bRs, int bCs, double[] c, int cOff, int cRs, boolean load) {
        double[] scratch = take(EDGE, (bCs == 1 ? 0 : k * n) + DMR * k + k * L + DMR * DNR);
        int bEnd = 0;
        if (bCs != 1) {
            // The micro-kernel loads rows of B as vectors, so a B without unit column stride is copied row-major once.
            copyRowMajor(k, n, b, bOff, bRs, bCs, scratch, 0);
            b = scratch;
            bOff = 0;
            bRs = n;
            bEnd = k * n;
        }
        int aEdge = bEnd, bEdge = aEdge + DMR * k, cEdge = bEdge + k * L;
        int nFull = n - n % L;
        int tail = n - nFull;
        if (tail > 0) {
            // The last partial vector of columns, zero-padded to one vector, shared by every row band.
            for (int p = 0; p < k; p++) {
                int d = bEdge + p * L;
                System.arraycopy(b, bOff + p * bRs + nFull, scratch, d, tail);
                Arrays.fill(scratch, d + tail, d + L, 0.0);
            }
        }
        for (int i0 = 0; i0 < m; i0 += DMR) {
            int rows = Math.min(DMR, m - i0);
            double[] as = a;
            int ai = aOff + i0 * aRs, ars = aRs, acs = aCs;
            if (rows < DMR) {
                // The last band has fewer than DMR rows: copy them into a DMR-row panel padded with zero rows.
                packPanelA(DMR, rows, k, a, ai, aRs, aCs, null, scratch, aEdge);
                as = scratch;
                ai = aEdge;
                ars = 1;
                acs = DMR;
            }
            int ci = cOff + i0 * cRs;
            int j = 0;
            for (; j + DNR <= n; j += DNR) {
                tile(DNV, rows, DNR, k, as, ai, ars, acs, b, bOff + j, bRs, c, ci + j, cRs, load, scratch, cEdge);
            }
            for (int nv = DNV / 2; nv >= 1; nv /= 2) {
                if (j + nv * L <= nFull) {
                    tile(nv, rows, nv * L, k, as, ai, ars, acs, b, bOff + j, bRs, c, ci + j, cRs, load, scratch, cEdge);
                    j += nv * L;
                }
            }
            if (tail > 0) {
                tile(1, rows, tail, k, as, ai, ars, acs, scratch, bEdge, L, c, ci + nFull, cRs, load, scratch, cEdge);
            }
        }
        give(EDGE, scratch);
    }

    /**
     * One micro-tile of {@code rows} × {@code cols} valid entries. A full tile is computed in place in C; an edge tile
     * in a zero-padded DMR × nv·L copy at {@code tmp[t..]}, of which only the valid entries are written back.
     */
    private static void tile(int nv, int rows, int cols, int k, double[] a, int ai, int aRs, int aCs, double[] b, int bi,
                             int ldb, double[] c, int ci, int cRs, boolean load, double[] tmp, int t) {
        int w = nv * L;
        if (rows == DMR && cols == w) {
            strided(nv, k, a, ai, aRs, aCs, b, bi, ldb, c, ci, cRs, load);
            return;
        }
        if (load) copyTileIn(DMR, rows, cols, c, ci, cRs, tmp, t, w);
        strided(nv, k, a, ai, aRs, aCs, b, bi, ldb, tmp, t, w, load);
        copyTileOut(rows, cols, tmp, t, w, c, ci, cRs);
    }

    private static void strided(int nv, int k, double[] a, int ai, int aRs, int aCs, double[] b, int bi, int ldb,
                                double[] c, int ci, int ldc, boolean load) {
        if (DMR == 4) {
            if (nv == 2) strided4x2(k, a, ai, aRs, aCs, b, bi, ldb, c, ci, ldc, load);
            else strided4x1(k, a, ai, aRs, aCs, b, bi, ldb, c, ci, ldc, load);
            return;
        }
        if (nv == 4) strided6x4(k, a, ai, aRs, aCs, b, bi, ldb, c, ci, ldc, load);
        else if (nv == 2) strided6x2(k, a, ai, aRs, aCs, b, bi, ldb, c, ci, ldc, load);
        else strided6x1(k, a, ai, aRs, aCs, b, bi, ldb, c, ci, ldc, load);
    }

    // ------------------------------------------------------------------ large products: packed and blocked

    /**
     * With {@code lower} (a symmetric product), only the tiles that reach the diagonal or below it are computed, and
     * the rows are split into parts of equal work rather than equal height; {@link #mirrorLower} fills the rest.
     */
    private static void blocked(int m, int n, int k, double[] a, int aOff, int aRs, int aCs, double[] b, int bOff,
                                int bRs, int bCs, double[] c, int cOff, int cRs, boolean accumulate, int threads,
                                boolean lower) {
        int ncMax = Math.min(NC, roundUp(n, NR));
        double[] bp = take(PACKED_B, Math.min(KB, roundUp(k, KC)) * ncMax);
        int rowPanels = (m + MR - 1) / MR;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc), j0 = jc;
            for (int kb = 0; kb < k; kb += KB) {
                PackedB pb = new PackedB(b, bOff, bRs, bCs, bp, j0, nc, kb, Math.min(KB, k - kb));
                int panels = pb.panels, p0 = kb;
                boolean load = accumulate || kb > 0;
                // Every row of A times this chunk of B, in one parallel step: rows are split into parts (with too few
                // rows, the panels are), and B is packed on the way by whichever part needs a panel first.
                if (lower) {
                    // Row panels from the first that reaches this chunk's columns, cut where the work (the columns
                    // each panel needs, up to the diagonal) is shared evenly.
                    int first = j0 / MR, parts = threads == 1 ? 1 : Math.min(threads * SPLIT, rowPanels - first);
                    int[] cut = GemmF32.lowerCuts(first, rowPanels, MR, j0, nc, parts);
                    ComputePool.run(parts, part -> {
                        int r0 = cut[part] * MR, r1 = Math.min(m, cut[part + 1] * MR);
                        macro(r0, r1, 0, panels, part * panels / parts, pb, a, aOff + p0 * aCs, aRs, aCs, c,
                                cOff + j0, cRs, load, j0, true);
                    });
                } else if (!GemmF32.byColumns(rowPanels, MR, panels, NR, threads)) {
                    int parts = threads == 1 ? 1 : Math.min(threads * SPLIT, rowPanels);
                    ComputePool.run(parts, part -> {
                        int r0 = part * rowPanels / parts * MR, r1 = Math.min(m, (part + 1) * rowPanels / parts * MR);
                        macro(r0, r1, 0, panels, part * panels / parts, pb, a, aOff + p0 * aCs, aRs, aCs, c,
                                cOff + j0, cRs, load, j0, false);
                    });
                } else {
                    // Every part needs all of A: its panels are packed once, on demand, into a buffer they share.
                    int parts = threads == 1 ? 1 : Math.min(threads * SPLIT, panels);
                    PackedA pa = new PackedA(a, aOff + p0 * aCs, aRs, aCs, take(SHARED_A, rowPanels * MR * pb.kbn), m,
                            pb.kbn);
                    ComputePool.run(parts, part -> {
                        int q0 = part * panels / parts, q1 = (part + 1) * panels / parts;
                        macroSharedA(pa, part * rowPanels / parts, q0, q1, pb, c, cOff + j0, cRs, load);
                    });
                    give(SHARED_A, pa.ap);
                }
            }
        }
        give(PACKED_B, bp);
    }

    /**
     * Rows [r0, r1) of C times panels [q0, q1) of a chunk of B, one KC block at a time, A packed MC rows at a time.
     * For each MR-tall panel of A (kept in L1), the micro-kernel sweeps the panels of B (from L2), so consecutive
     * tiles of C are neighbours in memory. The panels are visited from {@code first} (in [q0, q1)) on, cyclically,
     * so that parts starting together pack different ones. With {@code lower}, a tile is skipped when its first
     * column ({@code j0} is the chunk's first column in C) lies beyond its last row.
     */
    private static void macro(int r0, int r1, int q0, int q1, int first, PackedB pb, double[] a, int aOff, int aRs,
                              int aCs, double[] c, int cOff, int cRs, boolean loadFirst, int j0, boolean lower) {
        double[] ap = take(PACKED_A, MC * KC + MR * NR);
        int[] map = aCs == 1 ? GemmF32.gatherMap(MR, L, aRs) : null;
        int count = q1 - q0;
        for (int pc = 0; pc < pb.kbn; pc += KC) {
            int kc = Math.min(KC, pb.kbn - pc);
            boolean load = loadFirst || pc > 0;
            for (int ic = r0; ic < r1; ic += MC) {
                int mc = Math.min(MC, r1 - ic);
                for (int ir = 0; ir < mc; ir += MR) {
                    packPanelA(MR, Math.min(MR, mc - ir), kc, a, aOff + (ic + ir) * aRs + pc * aCs, aRs, aCs, map,
                            ap, ir * kc);
                }
                for (int ir = 0; ir < mc; ir += MR) {
                    int rows = Math.min(MR, mc - ir), row = ic + ir;
                    for (int t = 0; t < count; t++) {
                        int q = q0 + Math.floorMod(first - q0 + t, count);
                        if (lower && j0 + q * NR > row + rows - 1) continue;
                        tile(kc, ap, ir * kc, rows, pb, pc, q, c, cOff + row * cRs, cRs, load, ap);
                    }
                }
            }
        }
        give(PACKED_A, ap);
    }

    /** As {@link GemmF32}'s: every row of C times panels [q0, q1) of B, A's panels shared by all parts. */
    private static void macroSharedA(PackedA pa, int first, int q0, int q1, PackedB pb, double[] c, int cOff, int cRs,
                                     boolean loadFirst) {
        double[] edge = take(PACKED_A, MC * KC + MR * NR);
        for (int pc = 0; pc < pb.kbn; pc += KC) {
            int kc = Math.min(KC, pb.kbn - pc);
            boolean load = loadFirst || pc > 0;
            for (int t = 0; t < pa.panels; t++) {
                int rp = (first + t) % pa.panels, ai = pa.panel(pc, rp), rows = Math.min(MR, pa.m - rp * MR);
                int ci = cOff + rp * MR * cRs;
                for (int q = q0; q < q1; q++) tile(kc, pa.ap, ai, rows, pb, pc, q, c, ci, cRs, load, edge);
            }
        }
        give(PACKED_A, edge);
    }

    /** One MR × NR tile of C, as {@link GemmF32}'s: in place when full, else in a padded copy in {@code scratch}. */
    private static void tile(int kc, double[] ap, int ai, int rows, PackedB pb, int pc, int q, double[] c, int ci,
                             int cRs, boolean load, double[] scratch) {
        int cols = Math.min(NR, pb.nc - q * NR), bi = pb.panel(pc, q), edge = MC * KC;
        ci += q * NR;
        if (rows == MR && cols == NR) {
            packed(kc, ap, ai, pb.bp, bi, c, ci, cRs, load);
        } else if (cols == NR) {
            edgeRows(kc, ap, ai, rows, pb.bp, bi, c, ci, cRs, load, scratch, edge);
        } else {
            if (load) copyTileIn(MR, rows, cols, c, ci, cRs, scratch, edge, NR);
            packed(kc, ap, ai, pb.bp, bi, scratch, edge, NR, load);
            copyTileOut(rows, cols, scratch, edge, NR, c, ci, cRs);
        }
    }

    /** The last {@code rows} < MR rows of C across a whole panel of B, as in {@link GemmF32}. */
    private static void edgeRows(int kc, double[] ap, int ai, int rows, double[] bp, int bi, double[] c, int ci,
                                 int cRs, boolean load, double[] scratch, int edge) {
        int height = rows <= 4 ? 4 : rows <= 8 && MR > 8 ? 8 : MR;
        if (rows == height) {
            edgeKernel(height, kc, ap, ai, bp, bi, c, ci, cRs, load);
        } else {
            if (load) copyTileIn(height, rows, NR, c, ci, cRs, scratch, edge, NR);
            edgeKernel(height, kc, ap, ai, bp, bi, scratch, edge, NR, load);
            copyTileOut(rows, NR, scratch, edge, NR, c, ci, cRs);
        }
    }

    private static void edgeKernel(int height, int kc, double[] ap, int ai, double[] bp, int bi, double[] c, int ci,
                                   int ldc, boolean load) {
        if (height == 4) packed4x2(kc, ap, ai, bp, bi, c, ci, ldc, load);
        else if (height == 8) packed8x2(kc, ap, ai, bp, bi, c, ci, ldc, load);
        else packed(kc, ap, ai, bp, bi, c, ci, ldc, load);
    }

    /** A chunk of A packed on demand into panels all parts share, as {@link GemmF32}'s. */
    private static final class PackedA {
        final double[] ap;
        final int m, panels, kbn;
        private final double[] a;
        private final int aOff, aRs, aCs;
        private final int[] map;
        private final AtomicIntegerArray state;

        PackedA(double[] a, int aOff, int aRs, int aCs, double[] ap, int m, int kbn) {
            this.a = a;
            this.aOff = aOff;
            this.aRs = aRs;
            this.aCs = aCs;
            this.ap = ap;
            this.m = m;
            this.kbn = kbn;
            this.panels = (m + MR - 1) / MR;
            this.map = aCs == 1 ? GemmF32.gatherMap(MR, L, aRs) : null;
            this.state = new AtomicIntegerArray(((kbn + KC - 1) / KC) * panels);
        }

        int panel(int pc, int rp) {
            int kc = Math.min(KC, kbn - pc), at = pc * panels * MR + rp * MR * kc;
            int u = pc / KC * panels + rp;
            if (GemmF32.claim(state, u)) {
                try {
                    packPanelA(MR, Math.min(MR, m - rp * MR), kc, a, aOff + rp * MR * aRs + pc * aCs, aRs, aCs, map, ap,
                            at);
                } finally {
                    state.set(u, GemmF32.PACKED);
                }
            }
            return at;
        }
    }

    /**
     * A chunk of B, rows [p0, p0 + kbn) by columns [j0, j0 + nc), as KC-deep blocks of NR-wide panels. Each panel is
     * packed once, by the first part that needs it; a part that needs one another is packing waits for it (a few
     * microseconds), so there is no separate packing step for all threads to wait on.
     */
    private static final class PackedB {
        final double[] bp;
        final int nc, panels, kbn;
        private final double[] b;
        private final int bOff, bRs, bCs, j0, p0;
        /** For column-major B: the gather map of a panel's row ({@link GemmF32#gatherMap}), else null. */
        private final int[] rowMap;
        private final AtomicIntegerArray state;

        PackedB(double[] b, int bOff, int bRs, int bCs, double[] bp, int j0, int nc, int p0, int kbn) {
            this.b = b;
            this.bOff = bOff;
            this.bRs = bRs;
            this.bCs = bCs;
            this.bp = bp;
            this.j0 = j0;
            this.nc = nc;
            this.p0 = p0;
            this.kbn = kbn;
            this.panels = (nc + NR - 1) / NR;
            this.rowMap = bRs == 1 && bCs != 1 ? GemmF32.gatherMap(NR, 1, bCs) : null;
            this.state = new AtomicIntegerArray(((kbn + KC - 1) / KC) * panels);
        }

        /** Where panel q of the block starting at row pc of the chunk lies in {@link #bp}, packed. */
        int panel(int pc, int q) {
            int kc = Math.min(KC, kbn - pc), u = pc / KC * panels + q, at = pc * panels * NR + q * NR * kc;
            if (GemmF32.claim(state, u)) {
                try {
                    packPanelB(Math.min(NR, nc - q * NR), kc, b, bOff + (p0 + pc) * bRs + (j0 + q * NR) * bCs, bRs,
                            bCs, rowMap, bp, at);
                } finally {
                    state.set(u, GemmF32.PACKED); // the volatile write publishes the panel to the parts that read it
                }
            }
            return at;
        }
    }

    /**
     * One MR × NR tile over kc steps of p. The 12-row kernel has no branch of its own: its accumulators start from
     * C or from zeros as chosen here, and it takes an even number of steps, an odd last step being two 6-row steps
     * after it (the same fma chains in the same order; the tile is stored and reloaded in between, exactly). C2
     * compiled the 12-row kernel, with a third copy of its body for odd depths and a select of its start, into
     * code without the Vector API's intrinsics once odd depths appeared (K-FAC's factors have C·kH·kW + 1 rows):
     * in three of four whole bench sittings every later product ran on boxed vectors, 3-5 times slower.
     */
    private static void packed(int kc, double[] ap, int ai, double[] bp, int bi, double[] c, int ci, int ldc,
                               boolean load) {
        if (MR == 4) {
            packed4x2(kc, ap, ai, bp, bi, c, ci, ldc, load);
            return;
        }
        int even = kc & ~1;
        if (even > 0) packed12x2(even, ap, ai, bp, bi, c, ci, ldc, load ? c : ZERO_ROW, load ? ci : 0, load ? ldc : 0);
        if (even < kc) {
            boolean started = load || even > 0;
            int at = ai + even * MR, bt = bi + even * NR;
            packed6x2(1, ap, at, bp, bt, c, ci, ldc, started);
            packed6x2(1, ap, at + 6, bp, bt, c, ci + 6 * ldc, ldc, started);
        }
    }

    /**
     * C[i][j] = C[j][i] for j > i: the upper triangle of a symmetric product from its lower one, in square blocks so
     * that both the rows read and the rows written stay in the L1 cache. Blocks of 16: with a row stride of 2 KiB
     * (512 floats) the 32 rows a block of 32 writes fall into two sets of the L1 cache and evict each other; xᵀx
     * for x of 32 × 512 took 0.57 ms with blocks of 32 and 0.36 with blocks of 16, 0.48 with blocks of 8.
     */
    private static void mirrorLower(int n, double[] c, int cOff, int cRs) {
        final int blk = 16;
        for (int i0 = 0; i0 < n; i0 += blk) {
            for (int j0 = i0; j0 < n; j0 += blk) {
                for (int j = j0, jEnd = Math.min(n, j0 + blk); j < jEnd; j++) {
                    int src = cOff + j * cRs;
                    for (int i = i0, iEnd = Math.min(j, i0 + blk); i < iEnd; i++) c[cOff + i * cRs + j] = c[src + i];
                }
            }
        }
    }

    // ------------------------------------------------------------------ packing


    /**
     * {@code rows} ≤ {@code height} rows of A (k columns) into a panel {@code height} tall, column after column,
     * padded with zero rows. {@code map} ({@link GemmF32#gatherMap} of height, L and aRs, or null) lets a whole panel
     * of row-major A be gathered L columns at a time rather than copied value by value.
     */
    private static void packPanelA(int height, int rows, int k, double[] a, int src, int aRs, int aCs, int[] map,
                                   double[] ap, int dst) {
        int r = 0;
        if (aCs == 1) {
            int p0 = 0;
            if (map != null && rows == height) {
                for (; p0 + L <= k; p0 += L) {
                    for (int o = 0, s = src + p0, d = dst + p0 * height; o < height; o++, d += L) {
                        DoubleVector.fromArray(S, a, s, map, o * L).intoArray(ap, d);
                    }
                }
            }
            // Row-major A, the columns left: six row streams at a time.
            for (; r + 6 <= rows; r += 6) {
                int s0 = src + r * aRs, s1 = s0 + aRs, s2 = s1 + aRs, s3 = s2 + aRs, s4 = s3 + aRs, s5 = s4 + aRs;
                for (int p = p0, d = dst + r + p0 * height; p < k; p++, d += height) {
                    ap[d] = a[s0 + p];
                    ap[d + 1] = a[s1 + p];
                    ap[d + 2] = a[s2 + p];
                    ap[d + 3] = a[s3 + p];
                    ap[d + 4] = a[s4 + p];
                    ap[d + 5] = a[s5 + p];
                }
            }
            for (; r + 4 <= rows; r += 4) {
                int s0 = src + r * aRs, s1 = s0 + aRs, s2 = s1 + aRs, s3 = s2 + aRs;
                for (int p = p0, d = dst + r + p0 * height; p < k; p++, d += height) {
                    ap[d] = a[s0 + p];
                    ap[d + 1] = a[s1 + p];
                    ap[d + 2] = a[s2 + p];
                    ap[d + 3] = a[s3 + p];
                }
            }
        } else if (aRs == 1) {
            // Column-major A (a transposed view): each column's values are adjacent.
            for (int p = 0, d = dst, s = src; p < k; p++, d += height, s += aCs) {
                for (int i = 0; i < rows; i++) ap[d + i] = a[s + i];
            }
            r = rows;
        }
        for (int p = 0, d = dst; p < k; p++, d += height) {
            int s = src + p * aCs;
            for (int i = r; i < rows; i++) ap[d + i] = a[s + i * aRs];
            for (int i = rows; i < height; i++) ap[d + i] = 0.0;
        }
    }

    /**
     * {@code cols} ≤ NR columns of B (k rows) into an NR-wide panel, row after row, padded with zero columns.
     * {@code rowMap} ({@link GemmF32#gatherMap} of NR, 1 and bCs, or null) lets a whole panel of column-major B (the
     * weight of a linear layer, read as Wᵀ) be gathered a row at a time rather than copied value by value.
     */
    private static void packPanelB(int cols, int k, double[] b, int src, int bRs, int bCs, int[] rowMap, double[] bp,
                                   int dst) {
        if (bCs == 1 && cols == NR) {
            // Row-major B, a whole panel: two vectors per row (a call to arraycopy per 128 bytes costs more).
            for (int p = 0, s = src, d = dst; p < k; p++, s += bRs, d += NR) {
                DoubleVector.fromArray(S, b, s).intoArray(bp, d);
                DoubleVector.fromArray(S, b, s + L).intoArray(bp, d + L);
            }
        } else if (bCs == 1) {
            for (int p = 0; p < k; p++) {
                int d = dst + p * NR;
                System.arraycopy(b, src + p * bRs, bp, d, cols);
                Arrays.fill(bp, d + cols, d + NR, 0.0);
            }
        } else if (rowMap != null && cols == NR) {
            // Column-major B (a transposed view), a whole panel: each row of the panel is two vector gathers.
            for (int p = 0, s = src, d = dst; p < k; p++, s++, d += NR) {
                DoubleVector.fromArray(S, b, s, rowMap, 0).intoArray(bp, d);
                DoubleVector.fromArray(S, b, s, rowMap, L).intoArray(bp, d + L);
            }
        } else if (bRs == 1) {
            // Column-major B (a transposed view): read each column with unit stride.
            for (int j = 0; j < cols; j++) {
                int s = src + j * bCs;
                for (int p = 0, d = dst + j; p < k; p++, d += NR) bp[d] = b[s + p];
            }
            if (cols < NR) for (int p = 0; p < k; p++) Arrays.fill(bp, dst + p * NR + cols, dst + (p + 1) * NR, 0.0);
        } else {
            for (int p = 0; p < k; p++) {
                int d = dst + p * NR, s = src + p * bRs;
                for (int j = 0; j < cols; j++) bp[d + j] = b[s + j * bCs];
                if (cols < NR) Arrays.fill(bp, d + cols, d + NR, 0.0);
            }
        }
    }

    /** B (k×n, any strides) into {@code dst} row-major with row stride n, reading along B's unit-stride axis. */
    private static void copyRowMajor(int k, int n, double[] b, int bOff, int bRs, int bCs, double[] dst, int d0) {
        if (bRs == 1) {
            for (int j = 0; j < n; j++) {
                int s = bOff + j * bCs;
                for (int p = 0, d = d0 + j; p < k; p++, d += n) dst[d] = b[s + p];
            }
        } else {
            for (int p = 0; p < k; p++) {
                int s = bOff + p * bRs, d = d0 + p * n;
                for (int j = 0; j < n; j++) dst[d + j] = b[s + j * bCs];
            }
        }
    }

    private static void copyTileIn(int height, int rows, int cols, double[] c, int ci, int cRs, double[] t, int ti,
                                   int w) {
        Arrays.fill(t, ti, ti + height * w, 0.0);
        for (int r = 0; r < rows; r++) System.arraycopy(c, ci + r * cRs, t, ti + r * w, cols);
    }

    private static void copyTileOut(int rows, int cols, double[] t, int ti, int w, double[] c, int ci, int cRs) {
        for (int r = 0; r < rows; r++) System.arraycopy(t, ti + r * w, c, ci + r * cRs, cols);
    }

    private static int roundUp(int x, int step) {
        return (x + step - 1) / step * step;
    }

    /**
     * A scratch array of at least {@code size}, checked out of this thread's slot so that a nested product (a pool
     * thread that picks up other work while it waits) gets its own array rather than sharing one.
     */
    private static double[] take(ThreadLocal<double[]> slot, int size) {
        double[] x = slot.get();
        if (x == null || x.length < size) return new double[size];
        slot.set(null);
        return x;
    }

    private static void give(ThreadLocal<double[]> slot, double[] x) {
        slot.set(x);
    }

    // ------------------------------------------------------------------ micro-kernels
    // c_rj = fma(a_rp, b_pj, c_rj) for p = 0..kc-1: one broadcast of A per row, one vector load per vector of B.

    /** 12×2V tile from packed panels: A as k columns of 12, B as k rows of 2·L. */
    private static void packed12x2(int kc, double[] a, int ai, double[] b, int bi, double[] c, int ci, int ldc,
                                   double[] src, int r, int step) {
        DoubleVector c00, c01;
        DoubleVector c10, c11;
        DoubleVector c20, c21;
        DoubleVector c30, c31;
        DoubleVector c40, c41;
        DoubleVector c50, c51;
        DoubleVector c60, c61;
        DoubleVector c70, c71;
        DoubleVector c80, c81;
        DoubleVector c90, c91;
        DoubleVector c100, c101;
        DoubleVector c110, c111;
        // The accumulators start from src: C (at ci, rows ldc apart) or a row of zeros (step 0), chosen by packed().
        c00 = DoubleVector.fromArray(S, src, r); c01 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c10 = DoubleVector.fromArray(S, src, r); c11 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c20 = DoubleVector.fromArray(S, src, r); c21 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c30 = DoubleVector.fromArray(S, src, r); c31 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c40 = DoubleVector.fromArray(S, src, r); c41 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c50 = DoubleVector.fromArray(S, src, r); c51 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c60 = DoubleVector.fromArray(S, src, r); c61 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c70 = DoubleVector.fromArray(S, src, r); c71 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c80 = DoubleVector.fromArray(S, src, r); c81 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c90 = DoubleVector.fromArray(S, src, r); c91 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c100 = DoubleVector.fromArray(S, src, r); c101 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c110 = DoubleVector.fromArray(S, src, r); c111 = DoubleVector.fromArray(S, src, r + L);
        // Two steps of p per trip (kc is even, see packed()): half the loop control per multiply-add, and C2 reloads
        // the spilled bases of the index arithmetic half as often. One core, micro-kernel alone on 512 × 32 panels:
        // 152-155 -> 168-172 GFLOP/s; a whole 1024 product: 16.2-16.8 -> 14.9-15.1 ms.
        for (int p = 0; p < kc; p += 2) {
            DoubleVector b0 = DoubleVector.fromArray(S, b, bi);
            DoubleVector b1 = DoubleVector.fromArray(S, b, bi + L);
            DoubleVector x = DoubleVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(S, a[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(S, a[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(S, a[ai + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = DoubleVector.broadcast(S, a[ai + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = DoubleVector.broadcast(S, a[ai + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = DoubleVector.broadcast(S, a[ai + 6]);
            c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = DoubleVector.broadcast(S, a[ai + 7]);
            c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = DoubleVector.broadcast(S, a[ai + 8]);
            c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = DoubleVector.broadcast(S, a[ai + 9]);
            c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = DoubleVector.broadcast(S, a[ai + 10]);
            c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
            x = DoubleVector.broadcast(S, a[ai + 11]);
            c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
            ai += 12;
            bi += 2 * L;
            b0 = DoubleVector.fromArray(S, b, bi);
            b1 = DoubleVector.fromArray(S, b, bi + L);
            x = DoubleVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(S, a[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(S, a[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(S, a[ai + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = DoubleVector.broadcast(S, a[ai + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = DoubleVector.broadcast(S, a[ai + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = DoubleVector.broadcast(S, a[ai + 6]);
            c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = DoubleVector.broadcast(S, a[ai + 7]);
            c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = DoubleVector.broadcast(S, a[ai + 8]);
            c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = DoubleVector.broadcast(S, a[ai + 9]);
            c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = DoubleVector.broadcast(S, a[ai + 10]);
            c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
            x = DoubleVector.broadcast(S, a[ai + 11]);
            c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
            ai += 12;
            bi += 2 * L;
        }
        r = ci;
        c00.intoArray(c, r); c01.intoArray(c, r + L);
        r += ldc;
        c10.intoArray(c, r); c11.intoArray(c, r + L);
        r += ldc;
        c20.intoArray(c, r); c21.intoArray(c, r + L);
        r += ldc;
        c30.intoArray(c, r); c31.intoArray(c, r + L);
        r += ldc;
        c40.intoArray(c, r); c41.intoArray(c, r + L);
        r += ldc;
        c50.intoArray(c, r); c51.intoArray(c, r + L);
        r += ldc;
        c60.intoArray(c, r); c61.intoArray(c, r + L);
        r += ldc;
        c70.intoArray(c, r); c71.intoArray(c, r + L);
        r += ldc;
        c80.intoArray(c, r); c81.intoArray(c, r + L);
        r += ldc;
        c90.intoArray(c, r); c91.intoArray(c, r + L);
        r += ldc;
        c100.intoArray(c, r); c101.intoArray(c, r + L);
        r += ldc;
        c110.intoArray(c, r); c111.intoArray(c, r + L);
    }

    /**
     * 4×2V tile from four rows of a packed MR-tall panel of A (from {@code ai}, which may lie inside a column), B as k
     * rows of 2·L: edge rows ({@link #edgeRows}). One step of p per trip (no odd depth to handle), the start chosen as
     * in packed12x2.
     */
    private static void packed4x2(int kc, double[] a, int ai, double[] b, int bi, double[] c, int ci, int ldc,
                                  boolean load) {
        double[] src = load ? c : ZERO_ROW;
        int r = load ? ci : 0, step = load ? ldc : 0;
        DoubleVector c00 = DoubleVector.fromArray(S, src, r), c01 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        DoubleVector c10 = DoubleVector.fromArray(S, src, r), c11 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        DoubleVector c20 = DoubleVector.fromArray(S, src, r), c21 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        DoubleVector c30 = DoubleVector.fromArray(S, src, r), c31 = DoubleVector.fromArray(S, src, r + L);
        for (int p = 0; p < kc; p++) {
            DoubleVector b0 = DoubleVector.fromArray(S, b, bi);
            DoubleVector b1 = DoubleVector.fromArray(S, b, bi + L);
            DoubleVector x = DoubleVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(S, a[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(S, a[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(S, a[ai + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            ai += MR;
            bi += 2 * L;
        }
        r = ci;
        c00.intoArray(c, r); c01.intoArray(c, r + L);
        r += ldc;
        c10.intoArray(c, r); c11.intoArray(c, r + L);
        r += ldc;
        c20.intoArray(c, r); c21.intoArray(c, r + L);
        r += ldc;
        c30.intoArray(c, r); c31.intoArray(c, r + L);
    }

    /** 8×2V tile from eight rows of a packed MR-tall panel of A, as {@link #packed4x2}. */
    private static void packed8x2(int kc, double[] a, int ai, double[] b, int bi, double[] c, int ci, int ldc,
                                  boolean load) {
        double[] src = load ? c : ZERO_ROW;
        int r = load ? ci : 0, step = load ? ldc : 0;
        DoubleVector c00 = DoubleVector.fromArray(S, src, r), c01 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        DoubleVector c10 = DoubleVector.fromArray(S, src, r), c11 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        DoubleVector c20 = DoubleVector.fromArray(S, src, r), c21 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        DoubleVector c30 = DoubleVector.fromArray(S, src, r), c31 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        DoubleVector c40 = DoubleVector.fromArray(S, src, r), c41 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        DoubleVector c50 = DoubleVector.fromArray(S, src, r), c51 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        DoubleVector c60 = DoubleVector.fromArray(S, src, r), c61 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        DoubleVector c70 = DoubleVector.fromArray(S, src, r), c71 = DoubleVector.fromArray(S, src, r + L);
        for (int p = 0; p < kc; p++) {
            DoubleVector b0 = DoubleVector.fromArray(S, b, bi);
            DoubleVector b1 = DoubleVector.fromArray(S, b, bi + L);
            DoubleVector x = DoubleVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(S, a[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(S, a[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(S, a[ai + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = DoubleVector.broadcast(S, a[ai + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = DoubleVector.broadcast(S, a[ai + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = DoubleVector.broadcast(S, a[ai + 6]);
            c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = DoubleVector.broadcast(S, a[ai + 7]);
            c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            ai += MR;
            bi += 2 * L;
        }
        r = ci;
        c00.intoArray(c, r); c01.intoArray(c, r + L);
        r += ldc;
        c10.intoArray(c, r); c11.intoArray(c, r + L);
        r += ldc;
        c20.intoArray(c, r); c21.intoArray(c, r + L);
        r += ldc;
        c30.intoArray(c, r); c31.intoArray(c, r + L);
        r += ldc;
        c40.intoArray(c, r); c41.intoArray(c, r + L);
        r += ldc;
        c50.intoArray(c, r); c51.intoArray(c, r + L);
        r += ldc;
        c60.intoArray(c, r); c61.intoArray(c, r + L);
        r += ldc;
        c70.intoArray(c, r); c71.intoArray(c, r + L);
    }

    /** 6×2V tile from packed panels: A as k columns of 6, B as k rows of 2·L. */
    private static void packed6x2(int kc, double[] a, int ai, double[] b, int bi, double[] c, int ci, int ldc,
                                      boolean load) {
        DoubleVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        // As in packed12x2: the accumulators start from C or from zeros, never from a merge of two branches.
        double[] src = load ? c : ZERO_ROW;
        int r = load ? ci : 0, step = load ? ldc : 0;
        c00 = DoubleVector.fromArray(S, src, r); c01 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c10 = DoubleVector.fromArray(S, src, r); c11 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c20 = DoubleVector.fromArray(S, src, r); c21 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c30 = DoubleVector.fromArray(S, src, r); c31 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c40 = DoubleVector.fromArray(S, src, r); c41 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c50 = DoubleVector.fromArray(S, src, r); c51 = DoubleVector.fromArray(S, src, r + L);
        for (int p = 0; p < kc; p++) {
            DoubleVector b0 = DoubleVector.fromArray(S, b, bi);
            DoubleVector b1 = DoubleVector.fromArray(S, b, bi + L);
            DoubleVector x = DoubleVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(S, a[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(S, a[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(S, a[ai + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = DoubleVector.broadcast(S, a[ai + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = DoubleVector.broadcast(S, a[ai + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            ai += 6;
            bi += 2 * L;
        }
        r = ci;
        c00.intoArray(c, r); c01.intoArray(c, r + L);
        r += ldc;
        c10.intoArray(c, r); c11.intoArray(c, r + L);
        r += ldc;
        c20.intoArray(c, r); c21.intoArray(c, r + L);
        r += ldc;
        c30.intoArray(c, r); c31.intoArray(c, r + L);
        r += ldc;
        c40.intoArray(c, r); c41.intoArray(c, r + L);
        r += ldc;
        c50.intoArray(c, r); c51.intoArray(c, r + L);
    }

    /** 6×4V tile reading A through its strides and B rows of unit column stride, in place. */
    private static void strided6x4(int kc, double[] a, int ai, int aRs, int aCs, double[] b, int bi, int ldb,
                                     double[] c, int ci, int ldc, boolean load) {
        DoubleVector c00, c01, c02, c03;
        DoubleVector c10, c11, c12, c13;
        DoubleVector c20, c21, c22, c23;
        DoubleVector c30, c31, c32, c33;
        DoubleVector c40, c41, c42, c43;
        DoubleVector c50, c51, c52, c53;
        // As in packed12x2: the accumulators start from C or from zeros, never from a merge of two branches.
        double[] src = load ? c : ZERO_ROW;
        int r = load ? ci : 0, step = load ? ldc : 0;
        c00 = DoubleVector.fromArray(S, src, r); c01 = DoubleVector.fromArray(S, src, r + L);
        c02 = DoubleVector.fromArray(S, src, r + 2 * L); c03 = DoubleVector.fromArray(S, src, r + 3 * L);
        r += step;
        c10 = DoubleVector.fromArray(S, src, r); c11 = DoubleVector.fromArray(S, src, r + L);
        c12 = DoubleVector.fromArray(S, src, r + 2 * L); c13 = DoubleVector.fromArray(S, src, r + 3 * L);
        r += step;
        c20 = DoubleVector.fromArray(S, src, r); c21 = DoubleVector.fromArray(S, src, r + L);
        c22 = DoubleVector.fromArray(S, src, r + 2 * L); c23 = DoubleVector.fromArray(S, src, r + 3 * L);
        r += step;
        c30 = DoubleVector.fromArray(S, src, r); c31 = DoubleVector.fromArray(S, src, r + L);
        c32 = DoubleVector.fromArray(S, src, r + 2 * L); c33 = DoubleVector.fromArray(S, src, r + 3 * L);
        r += step;
        c40 = DoubleVector.fromArray(S, src, r); c41 = DoubleVector.fromArray(S, src, r + L);
        c42 = DoubleVector.fromArray(S, src, r + 2 * L); c43 = DoubleVector.fromArray(S, src, r + 3 * L);
        r += step;
        c50 = DoubleVector.fromArray(S, src, r); c51 = DoubleVector.fromArray(S, src, r + L);
        c52 = DoubleVector.fromArray(S, src, r + 2 * L); c53 = DoubleVector.fromArray(S, src, r + 3 * L);
        int a1 = aRs, a2 = 2 * aRs, a3 = 3 * aRs, a4 = 4 * aRs, a5 = 5 * aRs;
        for (int p = 0; p < kc; p++) {
            DoubleVector b0 = DoubleVector.fromArray(S, b, bi);
            DoubleVector b1 = DoubleVector.fromArray(S, b, bi + L);
            DoubleVector b2 = DoubleVector.fromArray(S, b, bi + 2 * L);
            DoubleVector b3 = DoubleVector.fromArray(S, b, bi + 3 * L);
            DoubleVector x = DoubleVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = DoubleVector.broadcast(S, a[ai + a1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = DoubleVector.broadcast(S, a[ai + a2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = DoubleVector.broadcast(S, a[ai + a3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
            x = DoubleVector.broadcast(S, a[ai + a4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42); c43 = x.fma(b3, c43);
            x = DoubleVector.broadcast(S, a[ai + a5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52); c53 = x.fma(b3, c53);
            ai += aCs;
            bi += ldb;
        }
        r = ci;
        c00.intoArray(c, r); c01.intoArray(c, r + L); c02.intoArray(c, r + 2 * L); c03.intoArray(c, r + 3 * L);
        r += ldc;
        c10.intoArray(c, r); c11.intoArray(c, r + L); c12.intoArray(c, r + 2 * L); c13.intoArray(c, r + 3 * L);
        r += ldc;
        c20.intoArray(c, r); c21.intoArray(c, r + L); c22.intoArray(c, r + 2 * L); c23.intoArray(c, r + 3 * L);
        r += ldc;
        c30.intoArray(c, r); c31.intoArray(c, r + L); c32.intoArray(c, r + 2 * L); c33.intoArray(c, r + 3 * L);
        r += ldc;
        c40.intoArray(c, r); c41.intoArray(c, r + L); c42.intoArray(c, r + 2 * L); c43.intoArray(c, r + 3 * L);
        r += ldc;
        c50.intoArray(c, r); c51.intoArray(c, r + L); c52.intoArray(c, r + 2 * L); c53.intoArray(c, r + 3 * L);
    }

    /** 6×2V tile reading A through its strides and B rows of unit column stride, in place. */
    private static void strided6x2(int kc, double[] a, int ai, int aRs, int aCs, double[] b, int bi, int ldb,
                                     double[] c, int ci, int ldc, boolean load) {
        DoubleVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        // As in packed12x2: the accumulators start from C or from zeros, never from a merge of two branches.
        double[] src = load ? c : ZERO_ROW;
        int r = load ? ci : 0, step = load ? ldc : 0;
        c00 = DoubleVector.fromArray(S, src, r); c01 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c10 = DoubleVector.fromArray(S, src, r); c11 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c20 = DoubleVector.fromArray(S, src, r); c21 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c30 = DoubleVector.fromArray(S, src, r); c31 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c40 = DoubleVector.fromArray(S, src, r); c41 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        c50 = DoubleVector.fromArray(S, src, r); c51 = DoubleVector.fromArray(S, src, r + L);
        int a1 = aRs, a2 = 2 * aRs, a3 = 3 * aRs, a4 = 4 * aRs, a5 = 5 * aRs;
        for (int p = 0; p < kc; p++) {
            DoubleVector b0 = DoubleVector.fromArray(S, b, bi);
            DoubleVector b1 = DoubleVector.fromArray(S, b, bi + L);
            DoubleVector x = DoubleVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(S, a[ai + a1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(S, a[ai + a2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(S, a[ai + a3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = DoubleVector.broadcast(S, a[ai + a4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = DoubleVector.broadcast(S, a[ai + a5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            ai += aCs;
            bi += ldb;
        }
        r = ci;
        c00.intoArray(c, r); c01.intoArray(c, r + L);
        r += ldc;
        c10.intoArray(c, r); c11.intoArray(c, r + L);
        r += ldc;
        c20.intoArray(c, r); c21.intoArray(c, r + L);
        r += ldc;
        c30.intoArray(c, r); c31.intoArray(c, r + L);
        r += ldc;
        c40.intoArray(c, r); c41.intoArray(c, r + L);
        r += ldc;
        c50.intoArray(c, r); c51.intoArray(c, r + L);
    }

    /** 6×1V tile reading A through its strides and B rows of unit column stride, in place. */
    private static void strided6x1(int kc, double[] a, int ai, int aRs, int aCs, double[] b, int bi, int ldb,
                                     double[] c, int ci, int ldc, boolean load) {
        DoubleVector c00, c10, c20, c30, c40, c50;
        // As in packed12x2: the accumulators start from C or from zeros, never from a merge of two branches.
        double[] src = load ? c : ZERO_ROW;
        int r = load ? ci : 0, step = load ? ldc : 0;
        c00 = DoubleVector.fromArray(S, src, r);
        r += step;
        c10 = DoubleVector.fromArray(S, src, r);
        r += step;
        c20 = DoubleVector.fromArray(S, src, r);
        r += step;
        c30 = DoubleVector.fromArray(S, src, r);
        r += step;
        c40 = DoubleVector.fromArray(S, src, r);
        r += step;
        c50 = DoubleVector.fromArray(S, src, r);
        int a1 = aRs, a2 = 2 * aRs, a3 = 3 * aRs, a4 = 4 * aRs, a5 = 5 * aRs;
        for (int p = 0; p < kc; p++) {
            DoubleVector b0 = DoubleVector.fromArray(S, b, bi);
            DoubleVector x = DoubleVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00);
            x = DoubleVector.broadcast(S, a[ai + a1]);
            c10 = x.fma(b0, c10);
            x = DoubleVector.broadcast(S, a[ai + a2]);
            c20 = x.fma(b0, c20);
            x = DoubleVector.broadcast(S, a[ai + a3]);
            c30 = x.fma(b0, c30);
            x = DoubleVector.broadcast(S, a[ai + a4]);
            c40 = x.fma(b0, c40);
            x = DoubleVector.broadcast(S, a[ai + a5]);
            c50 = x.fma(b0, c50);
            ai += aCs;
            bi += ldb;
        }
        r = ci;
        c00.intoArray(c, r);
        r += ldc;
        c10.intoArray(c, r);
        r += ldc;
        c20.intoArray(c, r);
        r += ldc;
        c30.intoArray(c, r);
        r += ldc;
        c40.intoArray(c, r);
        r += ldc;
        c50.intoArray(c, r);
    }

    /** 4×2V tile reading A through its strides and B rows of unit column stride, in place (16 registers). */
    private static void strided4x2(int kc, double[] a, int ai, int aRs, int aCs, double[] b, int bi, int ldb,
                                   double[] c, int ci, int ldc, boolean load) {
        // As in packed12x2: the accumulators start from C or from zeros, never from a merge of two branches.
        double[] src = load ? c : ZERO_ROW;
        int r = load ? ci : 0, step = load ? ldc : 0;
        DoubleVector c00 = DoubleVector.fromArray(S, src, r), c01 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        DoubleVector c10 = DoubleVector.fromArray(S, src, r), c11 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        DoubleVector c20 = DoubleVector.fromArray(S, src, r), c21 = DoubleVector.fromArray(S, src, r + L);
        r += step;
        DoubleVector c30 = DoubleVector.fromArray(S, src, r), c31 = DoubleVector.fromArray(S, src, r + L);
        int a1 = aRs, a2 = 2 * aRs, a3 = 3 * aRs;
        for (int p = 0; p < kc; p++) {
            DoubleVector b0 = DoubleVector.fromArray(S, b, bi);
            DoubleVector b1 = DoubleVector.fromArray(S, b, bi + L);
            DoubleVector x = DoubleVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(S, a[ai + a1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(S, a[ai + a2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(S, a[ai + a3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            ai += aCs;
            bi += ldb;
        }
        r = ci;
        c00.intoArray(c, r); c01.intoArray(c, r + L);
        r += ldc;
        c10.intoArray(c, r); c11.intoArray(c, r + L);
        r += ldc;
        c20.intoArray(c, r); c21.intoArray(c, r + L);
        r += ldc;
        c30.intoArray(c, r); c31.intoArray(c, r + L);
    }

    /** 4×1V tile reading A through its strides and B rows of unit column stride, in place (16 registers). */
    private static void strided4x1(int kc, double[] a, int ai, int aRs, int aCs, double[] b, int bi, int ldb,
                                   double[] c, int ci, int ldc, boolean load) {
        // As in packed12x2: the accumulators start from C or from zeros, never from a merge of two branches.
        double[] src = load ? c : ZERO_ROW;
        int r = load ? ci : 0, step = load ? ldc : 0;
        DoubleVector c00 = DoubleVector.fromArray(S, src, r);
        r += step;
        DoubleVector c10 = DoubleVector.fromArray(S, src, r);
        r += step;
        DoubleVector c20 = DoubleVector.fromArray(S, src, r);
        r += step;
        DoubleVector c30 = DoubleVector.fromArray(S, src, r);
        int a1 = aRs, a2 = 2 * aRs, a3 = 3 * aRs;
        for (int p = 0; p < kc; p++) {
            DoubleVector b0 = DoubleVector.fromArray(S, b, bi);
            DoubleVector x = DoubleVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00);
            x = DoubleVector.broadcast(S, a[ai + a1]);
            c10 = x.fma(b0, c10);
            x = DoubleVector.broadcast(S, a[ai + a2]);
            c20 = x.fma(b0, c20);
            x = DoubleVector.broadcast(S, a[ai + a3]);
            c30 = x.fma(b0, c30);
            ai += aCs;
            bi += ldb;
        }
        r = ci;
        c00.intoArray(c, r);
        r += ldc;
        c10.intoArray(c, r);
        r += ldc;
        c20.intoArray(c, r);
        r += ldc;
        c30.intoArray(c, r);
    }
}
