package kfac4j.tensor.kernel;

/** The error function to double precision, for GELU's exact form. */
final class Erf {
    private Erf() {
    }

    /**
     * erf(x) via erfc for |x| ≥ 0.5 and a Maclaurin series below; both converge to full double precision.
     * erfc uses the continued fraction of Lentz's method, which is accurate for the tail.
     */
    static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        if (ax < 2.0) {
            // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1)); terms shrink fast for |x| < 2.
            double sum = ax, term = ax, x2 = ax * ax;
            for (int n = 1; n < 60; n++) {
                term *= -x2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
            }
            double r = 2.0 / Math.sqrt(Math.PI) * sum;
            return x < 0 ? -r : r;
        }
        if (ax > 6.0) return x < 0 ? -1.0 : 1.0;
        // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))), evaluated by modified Lentz.
        double tiny = 1e-300;
        double f = ax, c = ax, d = 0;
        for (int n = 1; n < 200; n++) {
            double an = n * 0.5;
            d = ax + an * d;
            d = Math.abs(d) < tiny ? tiny : d;
            c = ax + an / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1.0 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1.0) < 1e-16) break;
        }
        double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        return x < 0 ? erfc - 1.0 : 1.0 - erfc;
    }
}
