package kfac4j.tensor.kernel;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The error function in double precision (within one ulp of the correctly rounded value, tested), for GELU's exact
 * form: a table lookup and one short polynomial per value, about ten times faster than summing a series.
 *
 * <ul>
 *   <li>|x| &lt; 1/4: the Maclaurin series erf(x) = (2/√π) Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)) to n = 9 (the next term is
 *       below 10⁻¹⁸ relative), with 2/√π split in two doubles so that the leading product rounds only once.</li>
 *   <li>1/4 ≤ |x| &lt; 6: 23 intervals of width 1/4. On each, erf(m + u) = erf(m) + q(u) around the centre m, with
 *       erf(m) held as the sum of two doubles and q a polynomial of degree 11 with q(0) ≈ 0, so that the result is
 *       one rounding of erf(m) plus a small correction.</li>
 *   <li>|x| ≥ 6: ±1, as erfc(6) ≈ 2·10⁻¹⁷ is below half an ulp of 1.</li>
 * </ul>
 *
 * <p>The coefficients are derived when the class loads, from the definition, not copied from a table:
 * erf(m) by the Maclaurin series in exact fixed-point arithmetic; q from the Taylor series of erf at m, whose
 * coefficients follow from erf' = (2/√π) e^(−x²) and the recurrence of e^(−(m+u)²)'s Taylor coefficients, taken to
 * degree 30 and then economised to degree 11 with Chebyshev polynomials (re-expanded in T_k(u/h), the terms above
 * degree 11 dropped — together below 3·10⁻¹⁸ — and converted back to powers of u).
 */
final class Erf {
    private Erf() {
    }

    /** Below this, the Maclaurin series; intervals of this width above it. */
    private static final double SMALL = 0.25;
    /** From here on erf is ±1 in double precision. */
    private static final double TAIL = 6.0;
    private static final int INTERVALS = 23;
    private static final int DEGREE = 11;
    /** Per interval: erf(m) rounded to double, then q's coefficients of u⁰..u¹¹ (u⁰ also carries erf(m)'s rounding). */
    private static final int STRIDE = DEGREE + 2;
    private static final double[] TABLE = new double[INTERVALS * STRIDE];

    private static final int MACLAURIN = 9;
    /** 2/√π = K_HI + K_LO, and the Maclaurin coefficients (2/√π)(−1)ⁿ/(n!(2n+1)) for n ≥ 1. */
    private static final double K_HI, K_LO;
    private static final double[] SERIES = new double[MACLAURIN + 1];

    /** 2/√π to 50 digits. */
    private static final BigDecimal TWO_OVER_SQRT_PI = new BigDecimal("1.1283791670955125738961589031215451716881012586580");
    /** Fixed-point fraction bits of the exact series: far more than the 53 + 64 bits the two doubles need. */
    private static final int BITS = 192;

    static {
        K_HI = TWO_OVER_SQRT_PI.doubleValue();
        K_LO = TWO_OVER_SQRT_PI.subtract(new BigDecimal(K_HI)).doubleValue();
        double factorial = 1;
        for (int n = 1; n <= MACLAURIN; n++) {
            factorial *= n;
            SERIES[n] = (n % 2 == 0 ? 1 : -1) * (K_HI / (factorial * (2 * n + 1)));
        }
        SERIES[0] = K_LO;
        for (int j = 0; j < INTERVALS; j++) fillInterval(j);
    }

    /** The coefficients of interval j, [(j+1)/4, (j+2)/4), centre m = (2j + 3)/8. */
    private static void fillInterval(int j) {
        int eighths = 2 * j + 3;
        double m = eighths / 8.0, h = SMALL / 2;
        // Taylor coefficients of e^(−(m+u)²) / e^(−m²): from g' = −2(m + u) g, (n+1) r_{n+1} = −2 (m r_n + r_{n−1}).
        int taylor = 30;
        double[] r = new double[taylor];
        r[0] = 1;
        r[1] = -2 * m;
        for (int n = 1; n + 1 < taylor; n++) r[n + 1] = -2 * (m * r[n] + r[n - 1]) / (n + 1);
        // q(h s) = Σ b_n sⁿ, s ∈ [−1, 1]: b_{n+1} = (2/√π) e^(−m²) r_n h^(n+1) / (n + 1); b_0 = 0 (erf(m) kept apart).
        double[] b = new double[taylor + 1];
        double scale = K_HI * Math.exp(-m * m), hn = h;
        for (int n = 0; n < taylor; n++, hn *= h) b[n + 1] = scale * r[n] * hn / (n + 1);
        double[] cheb = powersToChebyshev(b);
        double[] q = chebyshevToPowers(cheb, DEGREE);
        double[] exact = erfAtEighths(eighths);
        int o = j * STRIDE;
        TABLE[o] = exact[0];
        TABLE[o + 1] = q[0] + exact[1];
        for (int i = 1; i <= DEGREE; i++) TABLE[o + 1 + i] = q[i] / Math.pow(h, i);
    }

    /** Σ bₙ sⁿ as Σ cₖ Tₖ(s), from sⁿ = 2^(1−n) Σ_{i ≤ n/2} C(n, i) T_{n−2i}(s) (the T₀ term halved). */
    private static double[] powersToChebyshev(double[] b) {
        double[] c = new double[b.length];
        for (int n = 0; n < b.length; n++) {
            double binomial = 1, weight = Math.scalb(1.0, 1 - n);
            for (int i = 0; 2 * i <= n; i++) {
                c[n - 2 * i] += b[n] * (2 * i == n ? weight * binomial / 2 : weight * binomial);
                binomial = binomial * (n - i) / (i + 1);
            }
        }
        return c;
    }

    /** Σ_{k ≤ degree} cₖ Tₖ(s) in powers of s, with T_{k+1} = 2s Tₖ − T_{k−1}. */
    private static double[] chebyshevToPowers(double[] c, int degree) {
        double[] out = new double[degree + 1], previous = new double[degree + 1], current = new double[degree + 1];
        previous[0] = 1;
        current[1] = 1;
        out[0] = c[0];
        out[1] = c[1];
        for (int k = 2; k <= degree; k++) {
            double[] next = new double[degree + 1];
            for (int i = 0; i < degree; i++) next[i + 1] = 2 * current[i];
            for (int i = 0; i <= degree; i++) next[i] -= previous[i];
            for (int i = 0; i <= degree; i++) out[i] += c[k] * next[i];
            previous = current;
            current = next;
        }
        return out;
    }

    /**
     * erf(e/8) as hi + lo: the Maclaurin series Σ (−1)ⁿ x^(2n+1)/(n!(2n+1)) summed exactly in fixed point (each term
     * from the last by one multiplication and division by integers), times 2/√π.
     */
    private static double[] erfAtEighths(int e) {
        BigInteger x2 = BigInteger.valueOf((long) e * e), sixtyFour = BigInteger.valueOf(64);
        BigInteger term = BigInteger.valueOf(e).shiftLeft(BITS - 3), sum = term;
        for (int n = 1; term.signum() != 0; n++) {
            term = term.multiply(x2).divide(sixtyFour.multiply(BigInteger.valueOf(n)));
            BigInteger t = term.divide(BigInteger.valueOf(2L * n + 1));
            sum = n % 2 == 0 ? sum.add(t) : sum.subtract(t);
        }
        BigDecimal erf = new BigDecimal(sum).multiply(TWO_OVER_SQRT_PI).divide(new BigDecimal(BigInteger.ONE.shiftLeft(BITS)));
        double hi = erf.doubleValue();
        return new double[]{hi, erf.subtract(new BigDecimal(hi)).doubleValue()};
    }

    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < SMALL) {
            double t = x * x, p = SERIES[MACLAURIN];
            for (int n = MACLAURIN - 1; n >= 0; n--) p = Math.fma(p, t, SERIES[n]);
            return Math.fma(x, K_HI, x * p);
        }
        if (!(ax < TAIL)) return Double.isNaN(x) ? x : Math.copySign(1.0, x);
        int j = (int) (ax * 4) - 1;
        double u = ax - (2 * j + 3) * 0.125; // exact: ax and the centre are within a factor of two
        int o = j * STRIDE;
        double[] c = TABLE;
        double p = c[o + 12];
        p = Math.fma(p, u, c[o + 11]);
        p = Math.fma(p, u, c[o + 10]);
        p = Math.fma(p, u, c[o + 9]);
        p = Math.fma(p, u, c[o + 8]);
        p = Math.fma(p, u, c[o + 7]);
        p = Math.fma(p, u, c[o + 6]);
        p = Math.fma(p, u, c[o + 5]);
        p = Math.fma(p, u, c[o + 4]);
        p = Math.fma(p, u, c[o + 3]);
        p = Math.fma(p, u, c[o + 2]);
        p = Math.fma(p, u, c[o + 1]);
        return Math.copySign(c[o] + p, x);
    }
}
