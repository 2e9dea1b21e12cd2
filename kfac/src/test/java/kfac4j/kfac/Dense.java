package kfac4j.kfac;

import kfac4j.tensor.Tensor;

/**
 * Plain {@code double[][]} linear algebra for the tests: the reference the K-FAC code is checked against, written
 * independently of both the code under test and the tensor library's linear algebra.
 */
final class Dense {
    private Dense() {
    }

    static double[][] of(Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException("Dense.of: need a matrix");
        int r = t.size(0), c = t.size(1);
        double[] v = t.toDoubleArray();
        double[][] out = new double[r][c];
        for (int i = 0; i < r; i++) System.arraycopy(v, i * c, out[i], 0, c);
        return out;
    }

    static double[] vector(Tensor t) {
        return t.toDoubleArray();
    }

    /** G ⊗ A built entry by entry in row-major vec([W b]) order: ((i, j), (k, l)) ↦ G[i][k]·A[j][l]. */
    static double[][] kron(double[][] g, double[][] a) {
        int dg = g.length, da = a.length;
        double[][] out = new double[dg * da][dg * da];
        for (int i = 0; i < dg; i++)
            for (int j = 0; j < da; j++)
                for (int k = 0; k < dg; k++)
                    for (int l = 0; l < da; l++) out[i * da + j][k * da + l] = g[i][k] * a[j][l];
        return out;
    }

    static double frobenius(double[][] m) {
        double s = 0;
        for (double[] row : m) for (double x : row) s += x * x;
        return Math.sqrt(s);
    }

    /** ‖approx − exact‖_F / ‖exact‖_F. */
    static double relativeError(double[][] approx, double[][] exact) {
        double num = 0, den = 0;
        for (int i = 0; i < exact.length; i++) {
            for (int j = 0; j < exact[i].length; j++) {
                double d = approx[i][j] - exact[i][j];
                num += d * d;
                den += exact[i][j] * exact[i][j];
            }
        }
        return Math.sqrt(num / den);
    }

    static double relativeError(double[] approx, double[] exact) {
        double num = 0, den = 0;
        for (int i = 0; i < exact.length; i++) {
            num += (approx[i] - exact[i]) * (approx[i] - exact[i]);
            den += exact[i] * exact[i];
        }
        return Math.sqrt(num / den);
    }

    static double[][] plusIdentity(double[][] m, double lambda) {
        double[][] out = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            out[i] = m[i].clone();
            out[i][i] += lambda;
        }
        return out;
    }

    static double[] matvec(double[][] m, double[] v) {
        double[] out = new double[m.length];
        for (int i = 0; i < m.length; i++) {
            double s = 0;
            for (int j = 0; j < v.length; j++) s += m[i][j] * v[j];
            out[i] = s;
        }
        return out;
    }

    static double[][] transposeTimes(double[][] a, double[][] b) {
        int n = a[0].length, m = b[0].length;
        double[][] out = new double[n][m];
        for (int r = 0; r < a.length; r++)
            for (int i = 0; i < n; i++) {
                double ai = a[r][i];
                if (ai == 0) continue;
                for (int j = 0; j < m; j++) out[i][j] += ai * b[r][j];
            }
        return out;
    }

    static double trace(double[][] m) {
        double s = 0;
        for (int i = 0; i < m.length; i++) s += m[i][i];
        return s;
    }

    /** Solves M x = b by Gaussian elimination with partial pivoting. */
    static double[] solve(double[][] m, double[] b) {
        int n = b.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) a[i] = m[i].clone();
        double[] x = b.clone();
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
            double[] tr = a[c];
            a[c] = a[p];
            a[p] = tr;
            double tx = x[c];
            x[c] = x[p];
            x[p] = tx;
            for (int r = c + 1; r < n; r++) {
                double f = a[r][c] / a[c][c];
                if (f == 0) continue;
                for (int k = c; k < n; k++) a[r][k] -= f * a[c][k];
                x[r] -= f * x[c];
            }
        }
        for (int r = n - 1; r >= 0; r--) {
            double s = x[r];
            for (int k = r + 1; k < n; k++) s -= a[r][k] * x[k];
            x[r] = s / a[r][r];
        }
        return x;
    }

    /** log |det M| by Gaussian elimination with partial pivoting. */
    static double logdet(double[][] m) {
        int n = m.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) a[i] = m[i].clone();
        double sum = 0;
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
            double[] tr = a[c];
            a[c] = a[p];
            a[p] = tr;
            sum += Math.log(Math.abs(a[c][c]));
            for (int r = c + 1; r < n; r++) {
                double f = a[r][c] / a[c][c];
                for (int k = c; k < n; k++) a[r][k] -= f * a[c][k];
            }
        }
        return sum;
    }
}
