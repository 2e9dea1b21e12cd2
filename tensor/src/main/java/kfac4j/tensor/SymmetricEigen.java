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
            for (int j = 0; j <= i; j++) {
                double v = a[i * n + j] * scale;
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
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
     * Reduces the full symmetric n×n array {@code a} to tridiagonal form: diagonal {@code d}, off-diagonal {@code e}.
     * Reflector i (acting on coordinates i+1..n−1, leading entry 1) is left in row i, columns i+2..n−1, with its τ
     * in {@code tau[i]}.
     *
     * <p>Step i computes p = τ A₂₂ v, w = p − (τ/2)(pᵀv) v and A₂₂ ← A₂₂ − v wᵀ − w vᵀ (Golub and Van Loan, §8.3.1).
     * The update of step i and the product A₂₂ v of step i+1 share one pass over the rows of the trailing block,
     * while each row is in cache: the first row of the block is updated first, because the next reflector is built
     * from it. The trailing block is kept in full (both triangles) so that its rows are contiguous.
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
        double[] v = new double[n], p = new double[n], vNext = new double[n], pNext = new double[n];
        d[0] = a[0];
        double normF = 0;
        for (int i = 0; i < n * n; i++) normF += a[i] * a[i];
        double negligible = Math.ulp(1.0) * Math.sqrt(normF);
        tau[0] = reflector(a, n, 0, v, e, negligible);
        for (int r = 1; r < n; r++) p[r - 1] = tau[0] * k.dot(a, r * n + 1, v, 0, n - 1);
        for (int i = 0; i <= n - 3; i++) {
            int c0 = i + 1, m = n - c0;
            double half = 0.5 * tau[i] * k.dot(p, 0, v, 0, m);
            k.axpy(m, -half, v, 0, p, 0); // p now holds w
            if (i < n - 3) {
                int r0 = c0 * n;
                k.axpy(m, -v[0], p, 0, a, r0 + c0);
                k.axpy(m, -p[0], v, 0, a, r0 + c0);
                d[c0] = a[r0 + c0];
                double tn = reflector(a, n, c0, vNext, e, negligible);
                tau[c0] = tn;
                int c1 = c0 + 1, mn = m - 1;
                for (int r = c1; r < n; r++) {
                    int rr = r * n, q = r - c0;
                    k.axpy(mn, -v[q], p, 1, a, rr + c1);
                    k.axpy(mn, -p[q], v, 1, a, rr + c1);
                    pNext[r - c1] = tn * k.dot(a, rr + c1, vNext, 0, mn);
                }
                double[] s = v;
                v = vNext;
                vNext = s;
                s = p;
                p = pNext;
                pNext = s;
            } else {
                for (int r = c0; r < n; r++) {
                    int q = r - c0;
                    k.axpy(m, -v[q], p, 0, a, r * n + c0);
                    k.axpy(m, -p[q], v, 0, a, r * n + c0);
                }
                d[n - 2] = a[(n - 2) * n + n - 2];
                d[n - 1] = a[(n - 1) * n + n - 1];
                e[n - 2] = a[(n - 1) * n + n - 2];
            }
        }
    }

    /**
     * The reflector H = I − τ v vᵀ with H x = β e₁ for x = row {@code row} of {@code a} from column row+1 on:
     * v (leading 1) goes to {@code v} and to the row from column row+2 on, β to {@code e[row]}; returns τ. The norm
     * of x is taken after scaling x by a power of two to a largest entry in [1, 2): entries of x far below 1 (the
     * graded noise of a low-rank matrix) would otherwise square into subnormals and give a reflector that is not
     * orthogonal. When the entries the reflection would annihilate, x[1:], have norm below ε‖S‖_F they are taken
     * as zero (H = I): a backward error of the size of rounding, and it spares a low-rank matrix n reflections of
     * pure rounding noise, whose errors would pile up coherently in the eigenvectors.
     */
    private static double reflector(double[] a, int n, int row, double[] v, double[] e, double negligible) {
        int from = row * n + row + 1, len = n - row - 1;
        double amax = 0;
        for (int t = 0; t < len; t++) amax = Math.max(amax, Math.abs(a[from + t]));
        v[0] = 1;
        double sigma = 0, scale = amax == 0 ? 1 : Math.scalb(1.0, -Math.getExponent(amax));
        for (int t = 1; t < len; t++) {
            v[t] = a[from + t] * scale;
            sigma += v[t] * v[t];
        }
        if (sigma == 0 || Math.sqrt(sigma) / scale <= negligible) {
            for (int t = 1; t < len; t++) v[t] = 0;
            e[row] = a[from];
            return 0;
        }
        double alpha = a[from] * scale;
        double norm = Math.sqrt(alpha * alpha + sigma);
        double beta = alpha >= 0 ? -norm : norm;
        double s = 1 / (alpha - beta);
        for (int t = 1; t < len; t++) {
            v[t] *= s;
            a[from + t] = v[t];
        }
        a[from] = beta / scale;
        e[row] = beta / scale;
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
