package kfac4j.tensor;

import java.util.Arrays;

import kfac4j.tensor.kernel.Kernels;

/**
 * Dense linear algebra on matrices (2-D tensors), F32 and F64, written from scratch. All routines accept any strided
 * view and return fresh contiguous tensors.
 *
 * <p>Every routine works in double precision on a contiguous row-major copy of its input. F32 inputs are widened to
 * F64 and the results rounded back to F32 once at the end, so an F32 result carries only the final rounding error
 * rather than errors accumulated over n³ single-precision operations. Where two operands meet, the result has the
 * wider dtype, as the elementwise operations.
 *
 * <p>The O(n³) parts are blocked so that most of their work is matrix-matrix products through
 * {@link Kernels#gemm}: Cholesky, the triangular inverse and product behind {@link #choleskyInverse}, LU (all
 * right-looking), triangular solves with many right-hand sides,
 * and the eigensolver's tridiagonalisation panels, back-transformation and divide-and-conquer merges (see {@link SymmetricEigen}).
 *
 * <p>Inputs must be finite; a NaN or infinity in the part of the matrix a routine reads is reported with its index.
 */
public final class Linalg {
    /** Block size of the blocked factorisations: large enough for GEMM to pay, small enough for a panel in cache. */
    static final int BLOCK = 64;

    private Linalg() {
    }

    /** Eigenvalues ascending, and the orthonormal eigenvectors as the columns of {@code vectors}: S = Q diag(λ) Qᵀ. */
    public record Eigh(Tensor values, Tensor vectors) {
    }

    // ---------------------------------------------------------------- Cholesky

    /**
     * Lower-triangular L with A = L Lᵀ (only the lower triangle of A is read); throws
     * {@link NotPositiveDefiniteException} naming the failing pivot.
     */
    public static Tensor cholesky(Tensor a) {
        int n = square("cholesky", a);
        double[] m = read("cholesky", a, Triangle.LOWER);
        choleskyInPlace(m, n);
        return result(a.dtype(), m, n, n);
    }

    /**
     * Blocked right-looking Cholesky on the lower triangle of a row-major n×n array; the strict upper triangle is
     * zeroed. For each block column J, with R the rows below it (DESIGN.md §7): L[J,J] by the unblocked algorithm;
     * L[R,J] = A[R,J] L[J,J]⁻ᵀ, one GEMM with the inverse of the small triangle L[J,J] (as GPU Cholesky codes do: the
     * inverse of a well-scaled jb × jb triangle costs little accuracy and turns jb² row updates into one product);
     * then A[R,R] −= L[R,J] L[R,J]ᵀ, one GEMM per block column of R on and below the diagonal, so that the update
     * costs about n³/6 multiply-adds in all.
     */
    static void choleskyInPlace(double[] a, int n) {
        Kernels k = Kernels.active();
        double[] inverse = new double[BLOCK * BLOCK];
        double[] panel = new double[BLOCK * n];
        double[] negated = new double[BLOCK * n];
        for (int start = 0; start < n; start += BLOCK) {
            int j0 = start, jb = Math.min(BLOCK, n - j0), j1 = j0 + jb, m = n - j1;
            choleskyBlock(a, n, j0, jb, k);
            if (m == 0) break;
            lowerInverseBlock(a, n, j0, jb, inverse, false);
            // The products of one block column are independent: bands of rows (then block columns) of the result run
            // on the compute threads, tallest first; each is still one GEMM, so the bits do not depend on the threads.
            int bands = (m + BLOCK - 1) / BLOCK;
            Kernels.parallel(bands, band -> {
                int r0 = band * BLOCK, rb = Math.min(BLOCK, m - r0);
                // panel = A[R,J] L[J,J]⁻ᵀ = L[R,J] (m × jb): B is the transpose of the inverse's row-major copy.
                k.gemm(rb, jb, jb, a, (j1 + r0) * n + j0, n, 1, inverse, 0, 1, jb, panel, r0 * jb, jb, false);
                // negated = −L[R,J]ᵀ (jb × m), read below as B with unit column stride.
                for (int i = r0; i < r0 + rb; i++) {
                    System.arraycopy(panel, i * jb, a, (j1 + i) * n + j0, jb);
                    for (int q = 0; q < jb; q++) negated[q * m + i] = -panel[i * jb + q];
                }
            });
            // A[R,R] −= L[R,J] L[R,J]ᵀ on the lower triangle only, a block column C of R at a time:
            // A[C.., C] += L[C.., J] (−L[C,J]ᵀ), rows from C's first down; nothing above the diagonal blocks.
            Kernels.parallel(bands, column -> {
                int c0 = column * BLOCK, cb = Math.min(BLOCK, m - c0);
                k.gemm(m - c0, cb, jb, panel, c0 * jb, jb, 1, negated, c0, m, 1, a, (j1 + c0) * n + j1 + c0, n, true);
            });
        }
        for (int i = 0; i < n; i++) Arrays.fill(a, i * n + i + 1, i * n + n, 0.0);
    }

    /** The unblocked Cholesky of the diagonal block A[J,J] (rows and columns j0 .. j0 + jb − 1), in place. */
    private static void choleskyBlock(double[] a, int n, int j0, int jb, Kernels k) {
        for (int j = j0; j < j0 + jb; j++) {
            int rj = j * n;
            double pivot = a[rj + j] - k.dot(a, rj + j0, a, rj + j0, j - j0);
            if (!(pivot > 0)) throw new NotPositiveDefiniteException(j, pivot, n);
            double ljj = Math.sqrt(pivot);
            a[rj + j] = ljj;
            for (int i = j + 1; i < j0 + jb; i++) {
                int ri = i * n;
                a[ri + j] = (a[ri + j] - k.dot(a, ri + j0, a, rj + j0, j - j0)) / ljj;
            }
        }
    }

    /** (L Lᵀ)⁻¹ from a Cholesky factor L (only its lower triangle is read): the inverse of an SPD matrix. */
    public static Tensor choleskyInverse(Tensor l) {
        int n = square("choleskyInverse", l);
        double[] y = read("choleskyInverse", l, Triangle.LOWER);
        requireNonZeroDiagonal("choleskyInverse", l, y, n);
        lowerInverseInPlace(y, n);
        double[] x = lowerGram(y, n);
        requireFiniteResult("choleskyInverse", l, x);
        return result(l.dtype(), x, n, n);
    }

    /**
     * L ← L⁻¹ for lower-triangular L (row-major n×n, strict upper triangle zero), blocked from the last block column
     * to the first (as LAPACK's trtri): with Y = L⁻¹ already in place on the rows and columns R after block J,
     * Y[J,J] = L[J,J]⁻¹ and Y[R,J] = −Y[R,R] L[R,J] Y[J,J] (DESIGN.md §7). The product with the triangular Y[R,R]
     * runs one GEMM per block row of R, each only as deep as that row reaches, so the whole costs about n³/6
     * multiply-adds.
     */
    static void lowerInverseInPlace(double[] a, int n) {
        Kernels k = Kernels.active();
        double[] diagonal = new double[BLOCK * BLOCK];
        double[] scaled = new double[BLOCK * n];
        for (int start = (n - 1) / BLOCK * BLOCK; start >= 0; start -= BLOCK) {
            int j0 = start, jb = Math.min(BLOCK, n - j0), j1 = j0 + jb, m = n - j1;
            lowerInverseBlock(a, n, j0, jb, diagonal, true);
            if (m == 0) continue;
            // scaled = −L[R,J] Y[J,J] (m × jb), the sign folded into the copy of Y[J,J].
            for (int t = 0; t < jb * jb; t++) diagonal[t] = -diagonal[t];
            // Bands of rows on the compute threads, each one GEMM (as in choleskyInPlace); the second product reads
            // all of scaled, so it starts when the first has finished.
            int bands = (m + BLOCK - 1) / BLOCK;
            Kernels.parallel(bands, band -> {
                int r0 = band * BLOCK, rb = Math.min(BLOCK, m - r0);
                k.gemm(rb, jb, jb, a, (j1 + r0) * n + j0, n, 1, diagonal, 0, jb, 1, scaled, r0 * jb, jb, false);
            });
            // Y[R,J] = Y[R,R] scaled, block row by block row: block row [r0, r1) of Y[R,R] is zero past column r1.
            // The last rows reach deepest, so they go first.
            Kernels.parallel(bands, band -> {
                int r0 = j1 + (bands - 1 - band) * BLOCK, r1 = Math.min(n, r0 + BLOCK);
                k.gemm(r1 - r0, jb, r1 - j1, a, r0 * n + j1, n, 1, scaled, 0, jb, 1, a, r0 * n + j0, n, false);
            });
        }
    }

    /**
     * The unblocked inverse of the diagonal block L[J,J] into {@code work} (jb × jb, row-major, zero above the
     * diagonal), and over L[J,J] itself when {@code inPlace}. Row by row: Y[i][i] = 1/L[i][i] and
     * Y[i][c] = −(Σ_{c≤p<i} L[i][p] Y[p][c]) / L[i][i].
     */
    private static void lowerInverseBlock(double[] a, int n, int j0, int jb, double[] work, boolean inPlace) {
        Arrays.fill(work, 0, jb * jb, 0.0);
        for (int i = 0; i < jb; i++) {
            int ri = (j0 + i) * n + j0, wi = i * jb;
            double lii = a[ri + i];
            for (int p = 0; p < i; p++) {
                double lip = a[ri + p];
                int wp = p * jb;
                for (int c = 0; c <= p; c++) work[wi + c] -= lip * work[wp + c];
            }
            for (int c = 0; c < i; c++) work[wi + c] /= lii;
            work[wi + i] = 1 / lii;
        }
        if (inPlace) for (int i = 0; i < jb; i++) System.arraycopy(work, i * jb, a, (j0 + i) * n + j0, i + 1);
    }

    /**
     * YᵀY for lower-triangular Y (row-major n×n, strict upper triangle zero). X[i][c] = Σ_p Y[p][i] Y[p][c] over
     * p ≥ max(i, c), so block row P of Y adds to block column Q ≤ P of X's lower triangle only from X's row q0
     * down to P's end: X[q0:p1, Q] += Y[P, q0:p1]ᵀ Y[P, Q], one GEMM each, about n³/6 multiply-adds in all. The
     * upper triangle is mirrored from the lower, so the result is exactly symmetric.
     */
    static double[] lowerGram(double[] y, int n) {
        Kernels k = Kernels.active();
        double[] x = new double[n * n];
        // Block row P copied twice, so that both operands are read with short unit-stride rows rather than with the
        // row stride n (which for n a multiple of 64 maps a column's entries onto a few cache sets):
        // columns = Y[P, :p1]ᵀ (p1 × pb), and rows = Y[P, :p1] as consecutive pb × BLOCK blocks.
        double[] columns = new double[n * BLOCK];
        double[] rows = new double[n * BLOCK];
        for (int p0 = 0; p0 < n; p0 += BLOCK) {
            int p1 = Math.min(n, p0 + BLOCK), pb = p1 - p0;
            for (int t = 0; t < pb; t++) {
                int yt = (p0 + t) * n;
                for (int i = 0; i < p1; i++) columns[i * pb + t] = y[yt + i];
                for (int q0 = 0; q0 < p1; q0 += BLOCK) {
                    int qb = Math.min(BLOCK, p1 - q0);
                    System.arraycopy(y, yt + q0, rows, q0 * pb + t * qb, qb);
                }
            }
            // Block columns of X are independent: on the compute threads, tallest first, one GEMM each.
            Kernels.parallel((p1 + BLOCK - 1) / BLOCK, column -> {
                int q0 = column * BLOCK, qb = Math.min(BLOCK, p1 - q0);
                k.gemm(p1 - q0, qb, pb, columns, q0 * pb, pb, 1, rows, q0 * pb, qb, 1, x, q0 * n + q0, n, true);
            });
        }
        mirrorLower(x, n);
        return x;
    }

    /** X[c][i] = X[i][c] for c < i, by square tiles so that the strided writes of a tile stay in cache. */
    private static void mirrorLower(double[] x, int n) {
        for (int i0 = 0; i0 < n; i0 += BLOCK) {
            int i1 = Math.min(n, i0 + BLOCK);
            for (int c0 = 0; c0 <= i0; c0 += BLOCK) {
                for (int i = i0; i < i1; i++) {
                    int end = Math.min(i, c0 + BLOCK);
                    for (int c = c0; c < end; c++) x[c * n + i] = x[i * n + c];
                }
            }
        }
    }

    /** Solves L Lᵀ X = B from a Cholesky factor L (lower triangle read); B a vector of length n or an n×r matrix. */
    public static Tensor choleskySolve(Tensor l, Tensor b) {
        int n = square("choleskySolve", l);
        int r = rhsColumns("choleskySolve", l, b);
        double[] lower = read("choleskySolve", l, Triangle.LOWER);
        requireNonZeroDiagonal("choleskySolve", l, lower, n);
        double[] x = read("choleskySolve", b, Triangle.FULL);
        solveLowerInPlace(lower, n, x, r, false);
        solveUpperInPlace(transposed(lower, n), n, x, r, false);
        requireFiniteResult("choleskySolve", l, x);
        return result(DType.promote(l.dtype(), b.dtype()), x, b.shape());
    }

    // ---------------------------------------------------------------- triangular solves

    /**
     * Solves op(T) X = B for triangular T, op = identity or transpose; only the triangle named by {@code lower} is
     * read. B may be a vector of length n or an n×r matrix; X has B's shape. A zero on T's diagonal is an error.
     */
    public static Tensor solveTriangular(Tensor t, Tensor b, boolean lower, boolean transpose) {
        int n = square("solveTriangular", t);
        int r = rhsColumns("solveTriangular", t, b);
        double[] tm = read("solveTriangular", t, lower ? Triangle.LOWER : Triangle.UPPER);
        requireNonZeroDiagonal("solveTriangular", t, tm, n);
        double[] x = read("solveTriangular", b, Triangle.FULL);
        // Tᵀ of a lower matrix is upper and vice versa: solve with an explicit transposed copy, O(n²).
        if (transpose) tm = transposed(tm, n);
        if (lower != transpose) solveLowerInPlace(tm, n, x, r, false);
        else solveUpperInPlace(tm, n, x, r, false);
        requireFiniteResult("solveTriangular", t, x);
        return result(DType.promote(t.dtype(), b.dtype()), x, b.shape());
    }

    /**
     * X ← L⁻¹ X for lower-triangular L (row-major n×n, only the lower triangle read; unit diagonal assumed when
     * {@code unit}) and X of n×r, row-major. Blocked: each block row first subtracts the contribution of the rows
     * already solved with one GEMM, then runs forward substitution within the block.
     */
    static void solveLowerInPlace(double[] l, int n, double[] x, int r, boolean unit) {
        Kernels k = Kernels.active();
        double[] packed = new double[BLOCK * n];
        for (int i0 = 0; i0 < n; i0 += BLOCK) {
            int ib = Math.min(BLOCK, n - i0);
            if (i0 > 0 && r > 0) {
                for (int i = 0; i < ib; i++) {
                    for (int p = 0; p < i0; p++) packed[i * i0 + p] = -l[(i0 + i) * n + p];
                }
                k.gemm(ib, r, i0, packed, 0, i0, 1, x, 0, r, 1, x, i0 * r, r, true);
            }
            for (int i = i0; i < i0 + ib; i++) {
                for (int p = i0; p < i; p++) k.axpy(r, -l[i * n + p], x, p * r, x, i * r);
                if (!unit) divideRow(x, i * r, r, l[i * n + i]);
            }
        }
    }

    /** X ← U⁻¹ X for upper-triangular U; the mirror image of {@link #solveLowerInPlace}, from the last row up. */
    static void solveUpperInPlace(double[] u, int n, double[] x, int r, boolean unit) {
        Kernels k = Kernels.active();
        double[] packed = new double[BLOCK * n];
        for (int i1 = n; i1 > 0; i1 -= BLOCK) {
            int i0 = Math.max(0, i1 - BLOCK), ib = i1 - i0, rest = n - i1;
            if (rest > 0 && r > 0) {
                for (int i = 0; i < ib; i++) {
                    for (int p = 0; p < rest; p++) packed[i * rest + p] = -u[(i0 + i) * n + i1 + p];
                }
                k.gemm(ib, r, rest, packed, 0, rest, 1, x, i1 * r, r, 1, x, i0 * r, r, true);
            }
            for (int i = i1 - 1; i >= i0; i--) {
                for (int p = i + 1; p < i1; p++) k.axpy(r, -u[i * n + p], x, p * r, x, i * r);
                if (!unit) divideRow(x, i * r, r, u[i * n + i]);
            }
        }
    }

    private static void divideRow(double[] x, int off, int len, double d) {
        for (int c = 0; c < len; c++) x[off + c] /= d;
    }

    // ---------------------------------------------------------------- LU: solve, inverse, logdet

    /** Solves A X = B (LU with partial pivoting); B a vector of length n or an n×r matrix. A zero pivot is an error. */
    public static Tensor solve(Tensor a, Tensor b) {
        int n = square("solve", a);
        int r = rhsColumns("solve", a, b);
        double[] lu = read("solve", a, Triangle.FULL);
        int[] piv = luInPlace("solve", a, lu, n);
        double[] x = read("solve", b, Triangle.FULL);
        luSolveInPlace(lu, piv, n, x, r);
        requireFiniteResult("solve", a, x);
        return result(DType.promote(a.dtype(), b.dtype()), x, b.shape());
    }

    /** A⁻¹ for a square non-singular A (LU with partial pivoting, then n right-hand sides). */
    public static Tensor inverse(Tensor a) {
        int n = square("inverse", a);
        double[] lu = read("inverse", a, Triangle.FULL);
        int[] piv = luInPlace("inverse", a, lu, n);
        double[] x = new double[n * n];
        for (int i = 0; i < n; i++) x[i * n + i] = 1;
        luSolveInPlace(lu, piv, n, x, n);
        requireFiniteResult("inverse", a, x);
        return result(a.dtype(), x, n, n);
    }

    /** log |det A| from the LU factorisation (the sum of log |Uᵢᵢ|); throws for a singular matrix. */
    public static double logdet(Tensor a) {
        int n = square("logdet", a);
        double[] lu = read("logdet", a, Triangle.FULL);
        luInPlace("logdet", a, lu, n);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.log(Math.abs(lu[i * n + i]));
        return s;
    }

    /**
     * Blocked right-looking LU with partial pivoting, in place: P A = L U with L unit lower (stored below the
     * diagonal) and U upper. Returns the pivots: at step i, row i was swapped with row {@code piv[i]}. Row swaps move
     * whole rows at once, which in row-major storage is a contiguous copy. An exactly zero pivot column means the
     * matrix is singular (as LAPACK; a nearly singular matrix factors and the caller sees its large condition number).
     */
    static int[] luInPlace(String op, Tensor original, double[] a, int n) {
        Kernels k = Kernels.active();
        int[] piv = new int[n];
        double[] packed = new double[BLOCK * n];
        double[] swap = new double[n];
        for (int j0 = 0; j0 < n; j0 += BLOCK) {
            int j1 = Math.min(n, j0 + BLOCK), jb = j1 - j0;
            for (int j = j0; j < j1; j++) {
                int p = j;
                double best = Math.abs(a[j * n + j]);
                for (int i = j + 1; i < n; i++) {
                    double v = Math.abs(a[i * n + j]);
                    if (v > best) {
                        best = v;
                        p = i;
                    }
                }
                piv[j] = p;
                if (best == 0) {
                    throw new ArithmeticException(op + ": matrix of shape " + Shapes.str(original.shapeRef())
                            + " is singular: no non-zero pivot in column " + j + " (LU with partial pivoting)");
                }
                if (p != j) {
                    System.arraycopy(a, p * n, swap, 0, n);
                    System.arraycopy(a, j * n, a, p * n, n);
                    System.arraycopy(swap, 0, a, j * n, n);
                }
                double ujj = a[j * n + j];
                for (int i = j + 1; i < n; i++) {
                    double lij = a[i * n + j] / ujj;
                    a[i * n + j] = lij;
                    if (lij != 0) k.axpy(j1 - j - 1, -lij, a, j * n + j + 1, a, i * n + j + 1);
                }
            }
            if (j1 < n) {
                // U12 = L11⁻¹ A12, then A22 −= L21 U12 as one GEMM with −L21 packed.
                for (int i = j0 + 1; i < j1; i++) {
                    for (int p = j0; p < i; p++) k.axpy(n - j1, -a[i * n + p], a, p * n + j1, a, i * n + j1);
                }
                int rows = n - j1;
                for (int i = 0; i < rows; i++) {
                    for (int q = 0; q < jb; q++) packed[i * jb + q] = -a[(j1 + i) * n + j0 + q];
                }
                k.gemm(rows, rows, jb, packed, 0, jb, 1, a, j0 * n + j1, n, 1, a, j1 * n + j1, n, true);
            }
        }
        return piv;
    }

    /** X ← A⁻¹ X from {@link #luInPlace}'s factors: permute the rows of X, then L and U solves. */
    static void luSolveInPlace(double[] lu, int[] piv, int n, double[] x, int r) {
        double[] swap = new double[r];
        for (int i = 0; i < n; i++) {
            int p = piv[i];
            if (p != i) {
                System.arraycopy(x, p * r, swap, 0, r);
                System.arraycopy(x, i * r, x, p * r, r);
                System.arraycopy(swap, 0, x, i * r, r);
            }
        }
        solveLowerInPlace(lu, n, x, r, true);
        solveUpperInPlace(lu, n, x, r, false);
    }

    // ---------------------------------------------------------------- eigendecomposition

    /**
     * Symmetric eigendecomposition; only the lower triangle of S is read. Householder tridiagonalisation, divide and
     * conquer on the tridiagonal matrix, blocked back-transformation (see {@link SymmetricEigen}). Eigenvalues come
     * ascending; eigenvector signs are whatever the algorithm produces.
     */
    public static Eigh eigh(Tensor s) {
        int n = square("eigh", s);
        double[] a = read("eigh", s, Triangle.LOWER);
        SymmetricEigen.Result r = SymmetricEigen.decompose(a, n);
        return new Eigh(result(s.dtype(), r.values(), n), result(s.dtype(), r.vectors(), n, n));
    }

    // ---------------------------------------------------------------- small things

    /** Σ A_ii over the main diagonal of a 2-D tensor (of min(rows, cols) entries, as torch.trace). */
    public static double trace(Tensor a) {
        if (a.rank() != 2) {
            throw new IllegalArgumentException("trace: expected a 2-D tensor, got shape " + Shapes.str(a.shapeRef()));
        }
        int d = Math.min(a.size(0), a.size(1));
        double s = 0;
        for (int i = 0; i < d; i++) s += a.get(i, i);
        return s;
    }

    /**
     * The Kronecker product A ⊗ B of 1-D or 2-D tensors: {@code out[i·r + k][j·s + l] = A[i][j] B[k][l]} for B of
     * shape r×s. A 1-D operand next to a 2-D one counts as a single row (as torch.kron); two 1-D operands give a
     * 1-D result.
     */
    public static Tensor kron(Tensor a, Tensor b) {
        if (a.rank() < 1 || a.rank() > 2 || b.rank() < 1 || b.rank() > 2) {
            throw new IllegalArgumentException("kron: expected 1-D or 2-D tensors, got shapes "
                    + Shapes.str(a.shapeRef()) + " and " + Shapes.str(b.shapeRef()));
        }
        boolean vectors = a.rank() == 1 && b.rank() == 1;
        Tensor a2 = a.rank() == 1 ? a.unsqueeze(0) : a, b2 = b.rank() == 1 ? b.unsqueeze(0) : b;
        int p = a2.size(0), q = a2.size(1), r = b2.size(0), s = b2.size(1);
        long rows = (long) p * r, cols = (long) q * s;
        if (rows * cols > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("kron: result of shapes " + Shapes.str(a.shapeRef()) + " and "
                    + Shapes.str(b.shapeRef()) + " would have " + rows * cols + " elements");
        }
        double[] x = a2.toDoubleArray(), y = b2.toDoubleArray();
        double[] out = new double[(int) (rows * cols)];
        int ld = (int) cols;
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < q; j++) {
                double aij = x[i * q + j];
                for (int k = 0; k < r; k++) {
                    int o = (i * r + k) * ld + j * s;
                    for (int l = 0; l < s; l++) out[o + l] = aij * y[k * s + l];
                }
            }
        }
        DType dtype = DType.promote(a.dtype(), b.dtype());
        return vectors ? result(dtype, out, (int) cols) : result(dtype, out, (int) rows, (int) cols);
    }

    // ---------------------------------------------------------------- validation and conversion

    private enum Triangle { FULL, LOWER, UPPER }

    /** The size n of a square matrix, or an error naming the operation and the shape. */
    private static int square(String op, Tensor a) {
        int[] s = a.shapeRef();
        if (s.length != 2 || s[0] != s[1]) {
            throw new IllegalArgumentException(op + ": expected a square matrix, got shape " + Shapes.str(s));
        }
        return s[0];
    }

    /** Columns of a right-hand side of n rows (1 for a vector), or an error naming both shapes. */
    private static int rhsColumns(String op, Tensor a, Tensor b) {
        int n = a.size(0);
        int[] s = b.shapeRef();
        if ((s.length != 1 && s.length != 2) || s[0] != n) {
            throw new IllegalArgumentException(op + ": right-hand side of shape " + Shapes.str(s)
                    + " does not match matrix of shape " + Shapes.str(a.shapeRef()) + " (expected shape [" + n
                    + "] or [" + n + ", r])");
        }
        return s.length == 1 ? 1 : s[1];
    }

    /** A row-major double copy of a tensor; checks that the entries in the given triangle are finite. */
    private static double[] read(String op, Tensor t, Triangle part) {
        double[] m = t.toDoubleArray();
        int rows = t.rank() == 0 ? 1 : t.size(0), cols = t.rank() == 2 ? t.size(1) : 1;
        for (int i = 0; i < rows; i++) {
            int from = part == Triangle.UPPER ? Math.min(i, cols) : 0;
            int to = part == Triangle.LOWER ? Math.min(i + 1, cols) : cols;
            for (int j = from; j < to; j++) {
                double v = m[i * cols + j];
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException(op + ": tensor of shape " + Shapes.str(t.shapeRef())
                            + " holds a non-finite value " + v + " at " + (t.rank() == 2 ? "[" + i + ", " + j + "]" : "[" + i + "]"));
                }
            }
            if (part == Triangle.LOWER) Arrays.fill(m, i * cols + Math.min(i + 1, cols), i * cols + cols, 0.0);
            if (part == Triangle.UPPER) Arrays.fill(m, i * cols, i * cols + Math.min(i, cols), 0.0);
        }
        return m;
    }

    private static void requireNonZeroDiagonal(String op, Tensor t, double[] m, int n) {
        for (int i = 0; i < n; i++) {
            if (m[i * n + i] == 0) {
                throw new ArithmeticException(op + ": triangular matrix of shape " + Shapes.str(t.shapeRef())
                        + " is singular: diagonal entry " + i + " is 0");
            }
        }
    }

    /** A result that overflowed is an error, not an answer: the matrix is singular to working precision. */
    private static void requireFiniteResult(String op, Tensor matrix, double[] x) {
        for (double v : x) {
            if (!Double.isFinite(v)) {
                throw new ArithmeticException(op + ": the result for the matrix of shape " + Shapes.str(matrix.shapeRef())
                        + " overflows (" + v + "): the matrix is singular to working precision or badly scaled");
            }
        }
    }

    private static double[] transposed(double[] m, int n) {
        double[] t = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) t[j * n + i] = m[i * n + j];
        }
        return t;
    }

    /** Wraps a row-major double array (without copying for F64) as a tensor of the given dtype and shape. */
    static Tensor result(DType dtype, double[] data, int... shape) {
        int[] s = shape.clone();
        int[] strides = Shapes.contiguousStrides(s);
        if (dtype == DType.F64) return new Tensor(DType.F64, s, strides, 0, new Storage(data));
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
        return new Tensor(DType.F32, s, strides, 0, new Storage(f));
    }
}
