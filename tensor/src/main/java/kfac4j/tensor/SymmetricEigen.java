package kfac4j.tensor;

import kfac4j.tensor.kernel.Kernels;

/**
 * The symmetric eigendecomposition S = Q Λ Qᵀ behind {@link Linalg#eigh}, in three stages:
 * <ol>
 *   <li>Householder tridiagonalisation: T = Hₙ₋₃ ⋯ H₀ S H₀ ⋯ Hₙ₋₃, each Hᵢ = I − τᵢ vᵢ vᵢᵀ;</li>
 *   <li>T = Y Λ Yᵀ by divide and conquer ({@link TridiagonalEigen});</li>
 *   <li>back-transformation Q = H₀ ⋯ Hₙ₋₃ Y, applied a block of reflectors at a time in compact WY form, so that
 *       it is two GEMMs per block.</li>
 * </ol>
 * Eigenvectors are held as the rows of Qᵀ throughout, so that every inner loop (rotations, reflections, the GEMMs'
 * rows) runs over contiguous memory.
 */
final class SymmetricEigen {
    /** Reflectors per compact-WY block in the back-transformation. */
    private static final int REFLECTOR_BLOCK = 32;
    /** Columns per panel in the blocked tridiagonalisation. */
    private static final int PANEL = 32;

    private SymmetricEigen() {
    }

    /** Ascending eigenvalues, and the eigenvectors as the columns of a row-major n×n array. */
    record Result(double[] values, double[] vectors) {
    }

    /** Decomposes the symmetric matrix whose lower triangle is stored in the row-major n×n array {@code a} (overwritten). */
    static Result decompose(double[] a, int n) {
        double amax = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) amax = Math.max(amax, Math.abs(a[i * n + j]));
        }
        if (amax == 0) {
            double[] q = new double[n * n];
            for (int i = 0; i < n; i++) q[i * n + i] = 1;
            return new Result(new double[n], q);
        }
        // Scaling by a power of two is exact; with the largest entry in [1, 2) no square can overflow or underflow
        // needlessly, and every tolerance below can be absolute.
        int exponent = Math.getExponent(amax);
        double scale = Math.scalb(1.0, -exponent);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) a[i * n + j] *= scale;
        }
        double[] d = new double[n], e = new double[Math.max(n - 1, 0)], tau = new double[Math.max(n - 2, 0)];
        tridiagonalise(a, n, d, e, tau);
        double[] w = new double[n * n];
        TridiagonalEigen.solve(d, e, w, n);
        backTransform(a, n, tau, w);
        for (int i = 0; i < n; i++) d[i] = Math.scalb(d[i], exponent);
        double[] q = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) q[j * n + i] = w[i * n + j];
        }
        return new Result(d, q);
    }

    /**
     * Reduces the symmetric n×n array {@code a} (only its lower triangle is read) to tridiagonal form: diagonal
     * {@code d}, off-diagonal {@code e}. Reflector j (acting on coordinates j+1..n−1, leading entry 1) is left in the
     * unused upper part of row j, columns j+2..n−1, with its τ in {@code tau[j]}.
     *
     * <p>Unblocked, step j would apply A₂₂ ← A₂₂ − v wᵀ − w vᵀ with w = p − (τ/2)(pᵀv) v, p = τ A₂₂ v (Golub and
     * Van Loan, §8.3.1). Blocked as LAPACK's dsytrd: within a panel of columns the updates are deferred, kept as
     * A − V Wᵀ − W Vᵀ, and each new column and each product A₂₂ v is corrected for them; after the panel the deferred
     * update is applied to the trailing lower triangle with GEMMs. Half of the work is then matrix-matrix; the other
     * half is the product A₂₂ v, which reads each lower-triangle row once and uses it twice (for the row and, by
     * symmetry, for the column).
     */
    static void tridiagonalise(double[] a, int n, double[] d, double[] e, double[] tau) {
        if (n <= 2) {
            d[0] = a[0];
            if (n == 2) {
                d[1] = a[3];
                e[0] = a[2];
            }
            return;
        }
        Kernels k = Kernels.active();
        double normSq = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) normSq += (i == j ? 1 : 2) * a[i * n + j] * a[i * n + j];
        }
        double negligible = Math.ulp(1.0) * Math.sqrt(normSq);
        int nb = PANEL;
        // Row l of vt and wt: v and w of panel column l, indexed by coordinate (zero before the reflector starts).
        double[] vt = new double[nb * n], wt = new double[nb * n], x = new double[n], y = new double[n];
        double[] negV = new double[n * nb], negW = new double[n * nb];
        for (int i0 = 0; i0 < n - 2; i0 += nb) {
            int i1 = Math.min(n - 2, i0 + nb), b = i1 - i0;
            java.util.Arrays.fill(vt, 0, b * n, 0.0);
            java.util.Arrays.fill(wt, 0, b * n, 0.0);
            for (int j = i0; j < i1; j++) {
                int l = j - i0, p = j + 1, m = n - p;
                // Column j (rows j..n−1) with the panel's deferred update: −V Wᵀ − W Vᵀ restricted to it.
                for (int q = 0; q < l; q++) {
                    double wj = wt[q * n + j], vj = vt[q * n + j];
                    for (int r = j; r < n; r++) a[r * n + j] -= vt[q * n + r] * wj + wt[q * n + r] * vj;
                }
                d[j] = a[j * n + j];
                for (int r = 0; r < m; r++) x[r] = a[(p + r) * n + j];
                double t = reflector(x, m, vt, l * n + p, e, j, negligible);
                tau[j] = t;
                System.arraycopy(vt, l * n + p + 1, a, j * n + p + 1, m - 1);
                if (t == 0) continue;
                // y = A₂₂ v from the lower triangle as stored, then the panel's corrections.
                int vo = l * n;
                java.util.Arrays.fill(y, p, n, 0.0);
                for (int r = p; r < n; r++) {
                    int row = r * n, len = r - p;
                    double vr = vt[vo + r];
                    y[r] += k.dot(a, row + p, vt, vo + p, len) + a[row + r] * vr;
                    k.axpy(len, vr, a, row + p, y, p);
                }
                for (int q = 0; q < l; q++) {
                    double sw = k.dot(wt, q * n + p, vt, vo + p, m), sv = k.dot(vt, q * n + p, vt, vo + p, m);
                    k.axpy(m, -sw, vt, q * n + p, y, p);
                    k.axpy(m, -sv, wt, q * n + p, y, p);
                }
                // w = τ y − (τ/2)(τ yᵀv) v
                for (int r = p; r < n; r++) wt[vo + r] = t * y[r];
                double alpha = -0.5 * t * k.dot(wt, vo + p, vt, vo + p, m);
                k.axpy(m, alpha, vt, vo + p, wt, vo + p);
            }
            // A[i1:, i1:] −= V Wᵀ + W Vᵀ on the lower triangle, a band of rows at a time (two GEMMs per band).
            int m = n - i1;
            for (int r = 0; r < m; r++) {
                for (int q = 0; q < b; q++) {
                    negV[r * b + q] = -vt[q * n + i1 + r];
                    negW[r * b + q] = -wt[q * n + i1 + r];
                }
            }
            for (int r0 = i1; r0 < n; r0 += nb) {
                int r1 = Math.min(n, r0 + nb), rows = r1 - r0, cols = r1 - i1, off = (r0 - i1) * b;
                k.gemm(rows, cols, b, negV, off, b, 1, wt, i1, n, 1, a, r0 * n + i1, n, true);
                k.gemm(rows, cols, b, negW, off, b, 1, vt, i1, n, 1, a, r0 * n + i1, n, true);
            }
        }
        d[n - 2] = a[(n - 2) * n + n - 2];
        d[n - 1] = a[(n - 1) * n + n - 1];
        e[n - 2] = a[(n - 1) * n + n - 2];
    }

    /**
     * The reflector H = I − τ v vᵀ with H x = β e₁ for x of length {@code len}: writes v (leading 1) to
     * {@code v[vOff..]} and β to {@code e[j]}; returns τ. The norm of x is taken after scaling x by a power of two
     * to a largest entry in [1, 2): entries of x far below 1 (the graded noise of a low-rank matrix) would otherwise
     * square into subnormals and give a reflector that is not orthogonal. When the entries the reflection would
     * annihilate, x[1:], have norm below ε‖S‖_F they are taken as zero (H = I): a backward error of the size of
     * rounding, and it spares a low-rank matrix n reflections of pure rounding noise.
     */
    private static double reflector(double[] x, int len, double[] v, int vOff, double[] e, int j, double negligible) {
        double amax = 0;
        for (int t = 0; t < len; t++) amax = Math.max(amax, Math.abs(x[t]));
        double sigma = 0, scale = amax == 0 ? 1 : Math.scalb(1.0, -Math.getExponent(amax));
        for (int t = 1; t < len; t++) {
            double xs = x[t] * scale;
            sigma += xs * xs;
        }
        v[vOff] = 1;
        if (sigma == 0 || Math.sqrt(sigma) / scale <= negligible) {
            for (int t = 1; t < len; t++) v[vOff + t] = 0;
            e[j] = x[0];
            return 0;
        }
        double alpha = x[0] * scale;
        double norm = Math.sqrt(alpha * alpha + sigma);
        double beta = alpha >= 0 ? -norm : norm;
        double s = scale / (alpha - beta);
        for (int t = 1; t < len; t++) v[vOff + t] = x[t] * s;
        e[j] = beta / scale;
        return (beta - alpha) / beta;
    }

    /**
     * W ← W Hₙ₋₃ ⋯ H₀: turns the rows of W from eigenvectors of T into eigenvectors of S (Xᵀ = Yᵀ Qᵀ). A block of
     * reflectors j0..j1−1 has H_{j0} ⋯ H_{j1−1} = I − V T Vᵀ with T upper triangular (the forward compact WY form),
     * so W ← W − (W V) Tᵀ Vᵀ: two GEMMs and a small triangular product. Blocks go from the last to the first.
     */
    static void backTransform(double[] a, int n, double[] tau, double[] w) {
        int count = n - 2;
        if (count <= 0) return;
        Kernels k = Kernels.active();
        int nb = REFLECTOR_BLOCK;
        double[] vt = new double[nb * n], vm = new double[n * nb], t = new double[nb * nb], dots = new double[nb];
        double[] m1 = new double[n * nb], m2 = new double[n * nb];
        for (int j0 = ((count - 1) / nb) * nb; j0 >= 0; j0 -= nb) {
            int b = Math.min(count, j0 + nb) - j0, c0 = j0 + 1, mm = n - c0;
            // Vᵀ (b × mm) and V (mm × b) over coordinates c0..n−1; reflector j0+l starts at coordinate j0+l+1.
            java.util.Arrays.fill(vt, 0, b * mm, 0.0);
            for (int l = 0; l < b; l++) {
                int j = j0 + l;
                vt[l * mm + l] = 1;
                System.arraycopy(a, j * n + j + 2, vt, l * mm + l + 1, mm - l - 1);
            }
            for (int r = 0; r < mm; r++) {
                for (int l = 0; l < b; l++) vm[r * b + l] = vt[l * mm + r];
            }
            // T: T[l][l] = τ_l, T[0:l, l] = −τ_l T[0:l, 0:l] (V[:, 0:l]ᵀ v_l).
            java.util.Arrays.fill(t, 0, b * b, 0.0);
            for (int l = 0; l < b; l++) {
                double tl = tau[j0 + l];
                for (int q = 0; q < l; q++) dots[q] = k.dot(vt, q * mm + l, vt, l * mm + l, mm - l);
                for (int q = 0; q < l; q++) {
                    double s = 0;
                    for (int u = q; u < l; u++) s += t[q * b + u] * dots[u];
                    t[q * b + l] = -tl * s;
                }
                t[l * b + l] = tl;
            }
            k.gemm(n, b, mm, w, c0, n, 1, vm, 0, b, 1, m1, 0, b, false);
            for (int r = 0; r < n; r++) {
                for (int l = 0; l < b; l++) {
                    double s = 0;
                    for (int q = l; q < b; q++) s += m1[r * b + q] * t[l * b + q];
                    m2[r * b + l] = -s;
                }
            }
            k.gemm(n, mm, b, m2, 0, b, 1, vt, 0, mm, 1, w, c0, n, true);
        }
    }
}
