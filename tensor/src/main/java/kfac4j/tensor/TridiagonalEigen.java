package kfac4j.tensor;

import java.util.Arrays;

import kfac4j.tensor.kernel.Kernels;

/**
 * Eigenvalues and eigenvectors of a symmetric tridiagonal matrix T (diagonal d, off-diagonal e) by Cuppen's divide
 * and conquer, with implicit QL for the small blocks at the leaves.
 *
 * <p>Divide: with β = e[k−1] cut between rows k−1 and k, T = diag(T₁, T₂) + |β| u uᵀ where u = e_{k−1} + sign(β) e_k
 * and T₁, T₂ have |β| taken off their touching diagonal entries. Conquer: with T₁ = Q₁ D₁ Q₁ᵀ and T₂ = Q₂ D₂ Q₂ᵀ,
 * T = Q (D + ρ z zᵀ) Qᵀ for Q = diag(Q₁, Q₂) and z = Qᵀ u (the last row of Q₁ and ±the first row of Q₂). The
 * eigenvalues of D + ρ z zᵀ are the roots λ of the secular equation 1/ρ + Σ zᵢ²/(dᵢ − λ) = 0, one in each gap of D
 * and one above it, and its eigenvectors are (zᵢ/(dᵢ − λ))ᵢ normalised. Multiplying them into Q is the only O(n³)
 * step, and it is a GEMM.
 *
 * <p>What makes it accurate (Gu and Eisenstat, SIAM J. Matrix Anal. Appl. 16, 1995): entries with tiny zᵢ, and
 * pairs of nearly equal dᵢ (after a rotation), are deflated: their eigenpairs are taken as they are. Each root is
 * computed relative to its nearest pole, so dᵢ − λ has full relative accuracy. And the eigenvectors use a ẑ
 * recomputed from the computed roots (Löwner's formula), for which the computed roots are exact eigenvalues; that
 * keeps the eigenvectors orthogonal to working precision even for clustered roots.
 *
 * <p>Eigenvectors are stored as rows of W (row-major, leading dimension n): a subproblem on rows lo..lo+m−1 owns the
 * diagonal block W[lo:lo+m, lo:lo+m], and rotations and merges work on contiguous rows.
 */
final class TridiagonalEigen {
    /** Below this size a block is solved directly by implicit QL. */
    static final int LEAF = 32;
    private static final double EPS = Math.ulp(1.0);
    private static final int MAX_QL_SWEEPS = 60;
    private static final int MAX_SECULAR_ITERATIONS = 200;

    private TridiagonalEigen() {
    }

    /**
     * Overwrites {@code d} with the eigenvalues of the n×n tridiagonal matrix (d, e) in ascending order and fills the
     * zero-initialised row-major n×n array {@code w} with the matching orthonormal eigenvectors as rows.
     */
    static void solve(double[] d, double[] e, double[] w, int n) {
        if (n == 0) return;
        // Off-diagonal entries below ε‖T‖ are set to zero: a backward error of the size rounding makes anyway. Without
        // this absolute floor, QL on a block of tiny, graded entries (the noise left by a low-rank matrix) chases
        // convergence down to subnormal numbers, where relative tests can never pass.
        double norm = 0;
        for (int i = 0; i < n; i++) {
            norm = Math.max(norm, Math.abs(d[i]) + (i > 0 ? Math.abs(e[i - 1]) : 0) + (i < n - 1 ? Math.abs(e[i]) : 0));
        }
        double floor = EPS * norm;
        for (int i = 0; i < n - 1; i++) {
            if (Math.abs(e[i]) <= floor) e[i] = 0;
        }
        divide(d, e, w, n, 0, n, floor);
    }

    private static void divide(double[] d, double[] e, double[] w, int ld, int lo, int size, double floor) {
        if (size <= LEAF) {
            leaf(d, e, w, ld, lo, size, floor);
            return;
        }
        int n1 = size / 2, k = lo + n1;
        double beta = e[k - 1];
        d[k - 1] -= Math.abs(beta);
        d[k] -= Math.abs(beta);
        divide(d, e, w, ld, lo, n1, floor);
        divide(d, e, w, ld, k, size - n1, floor);
        merge(d, w, ld, lo, n1, size - n1, beta);
    }

    // ---------------------------------------------------------------- leaves: implicit QL

    /** Implicit QL with Wilkinson shifts on the block lo..lo+m−1; eigenvectors (rows) into the block of W, sorted. */
    private static void leaf(double[] d, double[] e, double[] w, int ld, int lo, int m, double floor) {
        double[] dl = Arrays.copyOfRange(d, lo, lo + m);
        double[] el = new double[m];
        System.arraycopy(e, lo, el, 0, m - 1);
        double[] z = new double[m * m];
        for (int i = 0; i < m; i++) z[i * m + i] = 1;
        ql(dl, el, z, m, floor);
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> Double.compare(dl[x], dl[y]));
        for (int r = 0; r < m; r++) {
            int src = order[r];
            d[lo + r] = dl[src];
            System.arraycopy(z, src * m, w, (lo + r) * ld + lo, m);
        }
    }

    /**
     * Implicit QL on the tridiagonal (d, e) of size m (e[i] couples i and i+1, e[m−1] unused), accumulating the
     * rotations into the rows of z (m×m): row i of z becomes the eigenvector of d[i]. Each sweep chases a bulge from
     * the bottom of the unreduced block to its top, starting from the Wilkinson shift of the top 2×2 block. An
     * off-diagonal entry counts as zero when it is negligible next to its two diagonal neighbours or below
     * {@code floor}.
     */
    static void ql(double[] d, double[] e, double[] z, int m, double floor) {
        if (m > 0) e[m - 1] = 0;
        for (int l = 0; l < m; l++) {
            int sweeps = 0;
            while (true) {
                int end = l;
                while (end < m - 1) {
                    double dd = Math.abs(d[end]) + Math.abs(d[end + 1]);
                    if (Math.abs(e[end]) <= EPS * dd || Math.abs(e[end]) <= floor) break;
                    end++;
                }
                if (end == l) break;
                if (++sweeps > MAX_QL_SWEEPS) {
                    throw new ArithmeticException("eigh: implicit QL did not converge for eigenvalue " + l
                            + " after " + MAX_QL_SWEEPS + " sweeps");
                }
                double g = (d[l + 1] - d[l]) / (2 * e[l]);
                double r = Math.hypot(g, 1);
                g = d[end] - d[l] + e[l] / (g + Math.copySign(r, g));
                double s = 1, c = 1, p = 0;
                boolean underflow = false;
                for (int i = end - 1; i >= l; i--) {
                    double f = s * e[i], b = c * e[i];
                    r = Math.hypot(f, g);
                    e[i + 1] = r;
                    if (r == 0) {
                        // The rotation would divide by zero: split the block here and start over.
                        d[i + 1] -= p;
                        e[end] = 0;
                        underflow = true;
                        break;
                    }
                    s = f / r;
                    c = g / r;
                    g = d[i + 1] - p;
                    r = (d[i] - g) * s + 2 * c * b;
                    p = s * r;
                    d[i + 1] = g + p;
                    g = c * r - b;
                    rotateRows(z, i * m, (i + 1) * m, m, c, s);
                }
                if (underflow) continue;
                d[l] -= p;
                e[l] = g;
                e[end] = 0;
            }
        }
    }

    /** (x, y) ← (c x − s y, s x + c y) for rows x and y of length len. */
    private static void rotateRows(double[] z, int x, int y, int len, double c, double s) {
        for (int k = 0; k < len; k++) {
            double zx = z[x + k], zy = z[y + k];
            z[x + k] = c * zx - s * zy;
            z[y + k] = s * zx + c * zy;
        }
    }

    // ---------------------------------------------------------------- conquer: rank-one merge

    private static final int TOP = 0, DENSE = 1, BOTTOM = 2;

    /**
     * Merges the solved blocks lo..lo+n1−1 and lo+n1..lo+n1+n2−1 (eigenvalues in d, eigenvector rows in their
     * diagonal blocks of W, each ascending) across the cut of strength β.
     */
    private static void merge(double[] d, double[] w, int ld, int lo, int n1, int n2, double beta) {
        int m = n1 + n2, base = lo * ld + lo;
        double[] dd = Arrays.copyOfRange(d, lo, lo + m);
        double[] z = new double[m];
        double sign = beta < 0 ? -1 : 1;
        for (int r = 0; r < n1; r++) z[r] = w[base + r * ld + n1 - 1];
        for (int r = n1; r < m; r++) z[r] = sign * w[base + r * ld + n1];
        // |z| = √2 (two unit rows); normalise it and fold the factor 2 into ρ.
        double rho = 2 * Math.abs(beta);
        double invSqrt2 = 1 / Math.sqrt(2);
        for (int r = 0; r < m; r++) z[r] *= invSqrt2;
        int[] type = new int[m];
        for (int r = 0; r < m; r++) type[r] = r < n1 ? TOP : BOTTOM;

        // Both halves are ascending: merge them into one ascending order.
        int[] order = new int[m];
        for (int i = 0, j = n1, o = 0; o < m; o++) {
            order[o] = j >= m || (i < n1 && dd[i] <= dd[j]) ? i++ : j++;
        }

        // Deflation (as LAPACK's dlaed2): a tiny ρ|zᵢ| leaves (dᵢ, row i) an eigenpair; two poles closer than the
        // tolerance are rotated so that one of them gets z = 0 and deflates.
        double dmax = 0, zmax = 0;
        for (int r = 0; r < m; r++) {
            dmax = Math.max(dmax, Math.abs(dd[r]));
            zmax = Math.max(zmax, Math.abs(z[r]));
        }
        double tol = 8 * EPS * Math.max(dmax, zmax);
        int[] kept = new int[m], deflated = new int[m];
        int k = 0, nd = 0, prev = -1;
        for (int o = 0; o < m; o++) {
            int r = order[o];
            if (rho * Math.abs(z[r]) <= tol) {
                deflated[nd++] = r;
                continue;
            }
            if (prev < 0) {
                prev = r;
                continue;
            }
            double s = z[prev], c = z[r];
            double tau = Math.hypot(c, s);
            double t = dd[r] - dd[prev];
            c /= tau;
            s = -s / tau;
            if (Math.abs(t * c * s) <= tol) {
                // Rotate rows prev and r: z[prev] becomes 0, z[r] becomes τ.
                z[r] = tau;
                z[prev] = 0;
                int xp = base + prev * ld, xr = base + r * ld;
                for (int q = 0; q < m; q++) {
                    double a = w[xp + q], b = w[xr + q];
                    w[xp + q] = c * a + s * b;
                    w[xr + q] = c * b - s * a;
                }
                double dp = dd[prev] * c * c + dd[r] * s * s;
                dd[r] = dd[prev] * s * s + dd[r] * c * c;
                dd[prev] = dp;
                if (type[prev] != type[r]) type[r] = DENSE;
                deflated[nd++] = prev;
            } else {
                kept[k++] = prev;
            }
            prev = r;
        }
        if (prev >= 0) kept[k++] = prev;

        // Secular equation on the k kept poles (ascending): roots, and δᵢ − λⱼ accurately, row j of `delta`.
        double[] poles = new double[k], zsq = new double[k], zeta = new double[k];
        for (int q = 0; q < k; q++) {
            poles[q] = dd[kept[q]];
            zeta[q] = z[kept[q]];
            zsq[q] = zeta[q] * zeta[q];
        }
        double[] values = new double[m];
        double[] u = new double[k * k];
        if (k == 1) {
            values[0] = poles[0] + rho * zsq[0];
            u[0] = 1;
        } else if (k > 1) {
            int[] origin = new int[k];
            double[] shift = new double[k];
            for (int j = 0; j < k; j++) {
                shift[j] = secularRoot(poles, zsq, k, j, rho, u, j * k, origin);
                values[j] = poles[origin[j]] + shift[j];
            }
            eigenvectorsOfRankOneUpdate(poles, zeta, k, rho, u);
        }

        // New rows = U · (kept rows). Kept rows supported on the top (or bottom) block only multiply only there:
        // order them top, dense, bottom so that each half of the columns is one GEMM over a contiguous range.
        int ntop = 0, ndense = 0;
        for (int q = 0; q < k; q++) {
            if (type[kept[q]] == TOP) ntop++;
            else if (type[kept[q]] == DENSE) ndense++;
        }
        int[] slot = new int[k];
        int[] next = {0, ntop, ntop + ndense};
        for (int q = 0; q < k; q++) slot[q] = next[type[kept[q]]]++;
        double[] rows = new double[m * m];
        for (int q = 0; q < k; q++) System.arraycopy(w, base + kept[q] * ld, rows, slot[q] * m, m);
        for (int q = 0; q < nd; q++) System.arraycopy(w, base + deflated[q] * ld, rows, (k + q) * m, m);
        double[] permuted = new double[k];
        for (int j = 0; j < k; j++) {
            for (int q = 0; q < k; q++) permuted[slot[q]] = u[j * k + q];
            System.arraycopy(permuted, 0, u, j * k, k);
        }
        Kernels kern = Kernels.active();
        int leftInner = ntop + ndense, rightInner = k - ntop;
        for (int j = 0; j < k; j++) Arrays.fill(w, base + j * ld, base + j * ld + m, 0.0);
        if (k > 0 && leftInner > 0) kern.gemm(k, n1, leftInner, u, 0, k, 1, rows, 0, m, 1, w, base, ld, true);
        if (k > 0 && rightInner > 0) {
            kern.gemm(k, n2, rightInner, u, ntop, k, 1, rows, ntop * m + n1, m, 1, w, base + n1, ld, true);
        }
        for (int q = 0; q < nd; q++) {
            System.arraycopy(rows, (k + q) * m, w, base + (k + q) * ld, m);
            values[k + q] = dd[deflated[q]];
        }
        sortRows(values, w, ld, base, m);
        System.arraycopy(values, 0, d, lo, m);
    }

    /**
     * Root j (0-based) of f(λ) = 1/ρ + Σᵢ zᵢ²/(δᵢ − λ) for ascending poles δ and ρ > 0: it lies in (δⱼ, δⱼ₊₁), or in
     * (δₖ₋₁, δₖ₋₁ + ρ Σ zᵢ²] for the last. Returns τ with λ = δ[origin[j]] + τ, origin the nearer pole, and writes
     * δᵢ − λ = (δᵢ − δ_origin) − τ (accurate to working precision relative to itself) to out[off + i].
     *
     * <p>Each step fits f near the current point by c + A/(δ_left − λ) + B/(δ_right − λ), matching f and f′ with the
     * poles on either side (the "middle way" of Li, as in LAPACK's dlaed4) and moves to the fit's root; the bracket
     * [lo, hi] shrinks with the sign of f and catches any step that would leave it (then bisection).
     */
    private static double secularRoot(double[] poles, double[] zsq, int k, int j, double rho, double[] out, int off,
                                      int[] origin) {
        double rhoInv = 1 / rho;
        int left, right, o;
        double lo, hi;
        if (j < k - 1) {
            left = j;
            right = j + 1;
            double gap = poles[j + 1] - poles[j], half = gap / 2;
            double fmid = rhoInv;
            for (int i = 0; i < k; i++) fmid += zsq[i] / ((poles[i] - poles[j]) - half);
            if (fmid >= 0) {
                o = j;
                lo = 0;
                hi = half;
            } else {
                o = j + 1;
                lo = -(gap - half);
                hi = 0;
            }
        } else {
            left = k - 2;
            right = k - 1;
            o = k - 1;
            double sum = 0;
            for (int i = 0; i < k; i++) sum += zsq[i];
            lo = 0;
            hi = rho * sum;
            // f(δₖ₋₁ + ρ Σ zᵢ²) ≥ 0 in exact arithmetic; widen the bound if rounding says otherwise.
            while (secular(poles, zsq, k, o, hi, rhoInv) < 0) hi *= 2;
        }
        origin[j] = o;
        double po = poles[o];
        double tau = (lo + hi) / 2;
        for (int iter = 0; ; iter++) {
            double psi = 0, dpsi = 0, phi = 0, dphi = 0;
            for (int i = 0; i < k; i++) {
                double delta = (poles[i] - po) - tau;
                out[off + i] = delta;
                double t = zsq[i] / delta;
                if (i <= left) {
                    psi += t;
                    dpsi += t / delta;
                } else {
                    phi += t;
                    dphi += t / delta;
                }
            }
            double f = rhoInv + psi + phi;
            double bound = EPS * (8 * (Math.abs(psi) + Math.abs(phi)) + 2 * rhoInv + 3 * Math.abs(f)
                    + Math.abs(tau) * (dpsi + dphi));
            if (Math.abs(f) <= bound || iter == MAX_SECULAR_ITERATIONS) return tau;
            if (f > 0) hi = tau;
            else lo = tau;
            double dl = out[off + left], dr = out[off + right];
            double c = f - dl * dpsi - dr * dphi;
            double a = (dl + dr) * f - dl * dr * (dpsi + dphi);
            double b = dl * dr * f;
            double next = tau + quadraticRootIn(c, a, b, lo - tau, hi - tau);
            if (!(next > lo && next < hi)) next = lo + (hi - lo) / 2;
            if (next == tau || next <= lo || next >= hi) return tau;
            tau = next;
        }
    }

    private static double secular(double[] poles, double[] zsq, int k, int o, double tau, double rhoInv) {
        double f = rhoInv;
        for (int i = 0; i < k; i++) f += zsq[i] / ((poles[i] - poles[o]) - tau);
        return f;
    }

    /** The root of c η² − a η + b = 0 strictly inside (lo, hi) (the nearer to 0 if two are), else NaN. */
    private static double quadraticRootIn(double c, double a, double b, double lo, double hi) {
        double r1, r2;
        if (c == 0) {
            r1 = a == 0 ? Double.NaN : b / a;
            r2 = Double.NaN;
        } else {
            double disc = Math.max(0, a * a - 4 * b * c);
            double q = 0.5 * (a + Math.copySign(Math.sqrt(disc), a));
            r1 = q / c;
            r2 = q == 0 ? Double.NaN : b / q;
        }
        boolean in1 = r1 > lo && r1 < hi, in2 = r2 > lo && r2 < hi;
        if (in1 && in2) return Math.abs(r1) <= Math.abs(r2) ? r1 : r2;
        if (in1) return r1;
        if (in2) return r2;
        return Double.NaN;
    }

    /**
     * Overwrites row j of {@code u} (holding δᵢ − λⱼ) with the unit eigenvector of D + ρ ẑ ẑᵀ for λⱼ, where ẑ is
     * recomputed from the roots by Löwner's formula
     * ẑᵢ² = (λₖ₋₁ − δᵢ)/ρ · ∏_{j<i} (λⱼ − δᵢ)/(δⱼ − δᵢ) · ∏_{i≤j<k−1} (λⱼ − δᵢ)/(δⱼ₊₁ − δᵢ),
     * each factor positive by interlacing, with the sign of zᵢ.
     */
    private static void eigenvectorsOfRankOneUpdate(double[] poles, double[] zeta, int k, double rho, double[] u) {
        double[] zhat = new double[k];
        for (int i = 0; i < k; i++) {
            double prod = -u[(k - 1) * k + i] / rho;
            for (int j = 0; j < i; j++) prod *= -u[j * k + i] / (poles[j] - poles[i]);
            for (int j = i; j < k - 1; j++) prod *= -u[j * k + i] / (poles[j + 1] - poles[i]);
            zhat[i] = Math.copySign(Math.sqrt(prod), zeta[i]);
        }
        for (int j = 0; j < k; j++) {
            int row = j * k;
            double norm = 0;
            for (int i = 0; i < k; i++) {
                double v = zhat[i] / u[row + i];
                u[row + i] = v;
                norm += v * v;
            }
            double inv = 1 / Math.sqrt(norm);
            for (int i = 0; i < k; i++) u[row + i] *= inv;
        }
    }

    /** Sorts {@code values} ascending and permutes the m rows at w[base + r·ld] with them, in place (by cycles). */
    private static void sortRows(double[] values, double[] w, int ld, int base, int m) {
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> Double.compare(values[x], values[y]));
        double[] sorted = new double[m];
        for (int i = 0; i < m; i++) sorted[i] = values[order[i]];
        // Row order[i] moves to position i; follow each cycle with one spare row.
        boolean[] done = new boolean[m];
        double[] spare = new double[m];
        for (int start = 0; start < m; start++) {
            if (done[start] || order[start] == start) {
                done[start] = true;
                continue;
            }
            System.arraycopy(w, base + start * ld, spare, 0, m);
            int pos = start;
            while (true) {
                done[pos] = true;
                int src = order[pos];
                if (src == start) {
                    System.arraycopy(spare, 0, w, base + pos * ld, m);
                    break;
                }
                System.arraycopy(w, base + src * ld, w, base + pos * ld, m);
                pos = src;
            }
        }
        System.arraycopy(sorted, 0, values, 0, m);
    }
}
