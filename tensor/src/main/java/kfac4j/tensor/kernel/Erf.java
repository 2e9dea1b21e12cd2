package kfac4j.tensor.kernel;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The error function in double precision (within one ulp of the correctly rounded value, tested), for GELU's exact
 * form: a table lookup and one short polynomial per value, about ten times faster than summing a series.
 *
 * <ul>
 *   <li>|x| &lt; 1/2: the Maclaurin series erf(x) = (2/√π) Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)) to n = 12 (the next term
 *       is below 10⁻¹⁸ relative), with 2/√π split in two doubles so that the leading product rounds only once.</li>
 *   <li>1/2 ≤ |x| &lt; 6: 16 intervals of width 11/32 (16, so that a vector kernel holds a coefficient of every
 *       interval in two registers). On each, erf(m + u) = erf(m) + q(u) around the centre m, with erf(m) held as the
 *       sum of two doubles and q a polynomial of degree 14 with q(0) ≈ 0, so that the result is one rounding of
 *       erf(m) plus a small correction.</li>
 *   <li>|x| ≥ 6: ±1, as erfc(6) ≈ 2·10⁻¹⁷ is below half an ulp of 1.</li>
 * </ul>
 *
 * <p>The coefficients are derived when the class loads, from the definition, not copied from a table:
 * erf(m) by the Maclaurin series in exact fixed-point arithmetic; q from the Taylor series of erf at m, whose
 * coefficients follow from erf' = (2/√π) e^(−x²) and the recurrence of e^(−(m+u)²)'s Taylor coefficients, taken to
 * degree 30 and then economised to degree 14 with Chebyshev polynomials (re-expanded in T_k(u/h), the terms above
 * degree 14 dropped — together below 10⁻¹⁸ — and converted back to powers of u).
 */
final class Erf {
    private Erf() {
    }

    /** Below this, the Maclaurin series; intervals of {@link #WIDTH} above it. */
    static final double SMALL = 0.5;
    static final double WIDTH = 11 / 32.0, INV_WIDTH = 1 / WIDTH;
    static final int INTERVALS = 16;
    /** From here on erf is ±1 in double precision. */
    static final double TAIL = SMALL + INTERVALS * WIDTH;
    static final int DEGREE = 14;
    /** Values per interval: erf(m) rounded to double, then q's coefficients of u⁰..u¹⁴ (u⁰ carrying erf(m)'s rounding). */
    static final int COEFFICIENTS = DEGREE + 2;
    /** Coefficient k of interval j at {@code k·INTERVALS + j}: each coefficient's values for all intervals together. */
    static final double[] TABLE = new double[COEFFICIENTS * INTERVALS];

    /**
     * The same intervals for F32 vector code, which computes in float: q economised to degree 6 instead (the dropped
     * terms are below 10⁻⁹), erf(m) rounded to float with its remainder in q(0); coefficient-major like {@link #TABLE}.
     */
    static final int DEGREE_F32 = 6, COEFFICIENTS_F32 = DEGREE_F32 + 2;
    static final float[] TABLE_F32 = new float[COEFFICIENTS_F32 * INTERVALS];
    /** Maclaurin coefficients for F32 below 1/2, to n = 6 (the next term is below 10⁻⁹ relative). */
    static final int MACLAURIN_F32 = 6;
    static final float[] SERIES_F32 = new float[MACLAURIN_F32 + 1];

    static final int MACLAURIN = 12;
    /** 2/√π = K_HI + K_LO, and the Maclaurin coefficients (2/√π)(−1)ⁿ/(n!(2n+1)) for n ≥ 1. */
    static final double K_HI, K_LO;
    static final double[] SERIES = new double[MACLAURIN + 1];

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
        for (int n = 0; n <= MACLAURIN_F32; n++) SERIES_F32[n] = (float) (n == 0 ? K_HI : SERIES[n]);
        for (int j = 0; j < INTERVALS; j++) fillInterval(j);
    }

    /** The centre of interval j, 1/2 + (j + 1/2)·11/32 = (43 + 22j)/64: exact, and so is its square. */
    static double centre(int j) {
        return (43 + 22 * j) * 0.015625;
    }

    /**
     * The interval of |x| ≥ 1/2, as a double: ⌊(|x| − 1/2)/w⌋ by rounding (|x| − 1/2)/w − 1/2 to an integer with
     * {@link #ROUNDER} (no conversion, which vector code lacks a fast form of). At a boundary this may pick the
     * neighbour, whose polynomial is as accurate there; only scalar and vector code must agree, and they do.
     */
    static double interval(double ax) {
        double j = ((ax - SMALL) * INV_WIDTH - 0.5 + ROUNDER) - ROUNDER;
        return Math.min(Math.max(j, 0.0), INTERVALS - 1);
    }

    /** The coefficients of interval j. */
    private static void fillInterval(int j) {
        double m = centre(j), h = WIDTH / 2;
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
        double[] exact = erfAtSixtyFourths(43 + 22 * j);
        TABLE[j] = exact[0];
        TABLE[INTERVALS + j] = q[0] + exact[1];
        for (int i = 1; i <= DEGREE; i++) TABLE[(i + 1) * INTERVALS + j] = q[i] / Math.pow(h, i);
        double[] qf = chebyshevToPowers(cheb, DEGREE_F32);
        float hi = (float) exact[0];
        TABLE_F32[j] = hi;
        TABLE_F32[INTERVALS + j] = (float) ((exact[0] - hi) + exact[1] + qf[0]);
        for (int i = 1; i <= DEGREE_F32; i++) TABLE_F32[(i + 1) * INTERVALS + j] = (float) (qf[i] / Math.pow(h, i));
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
     * erf(e/64) as hi + lo: the Maclaurin series Σ (−1)ⁿ x^(2n+1)/(n!(2n+1)) summed exactly in fixed point (each term
     * from the last by one multiplication and division by integers), times 2/√π.
     */
    private static double[] erfAtSixtyFourths(int e) {
        BigInteger x2 = BigInteger.valueOf((long) e * e), denominator = BigInteger.valueOf(64 * 64);
        BigInteger term = BigInteger.valueOf(e).shiftLeft(BITS - 6), sum = term;
        for (int n = 1; term.signum() != 0; n++) {
            term = term.multiply(x2).divide(denominator.multiply(BigInteger.valueOf(n)));
            BigInteger t = term.divide(BigInteger.valueOf(2L * n + 1));
            sum = n % 2 == 0 ? sum.add(t) : sum.subtract(t);
        }
        BigDecimal erf = new BigDecimal(sum).multiply(TWO_OVER_SQRT_PI).divide(new BigDecimal(BigInteger.ONE.shiftLeft(BITS)));
        double hi = erf.doubleValue();
        return new double[]{hi, erf.subtract(new BigDecimal(hi)).doubleValue()};
    }

    // ---------------------------------------------------------------- e^(−x²/2), for GELU's derivative

    /** 1/√2 and 1/√(2π), for GELU (x Φ(x) with Φ(x) = (1 + erf(x/√2))/2) and its derivative. */
    static final double INV_SQRT_2 = 1.0 / Math.sqrt(2.0), INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    /** ln 2 = LN2_HI + LN2_LO, the high part with 42 significant bits so that n·LN2_HI is exact for |n| < 2¹¹. */
    static final double LN2_HI, LN2_LO;
    /** 1/k! for k = 0..13: e^r's Taylor series, whose next term is below 10⁻¹⁷ for |r| ≤ ln(2)/2. */
    static final double[] EXP_SERIES = new double[14];
    static final double INV_LN2 = 1 / Math.log(2);
    /** Adding this rounds a double of magnitude below 2⁵¹ to an integer, which then sits in the low bits. */
    static final double ROUNDER = 0x1.8p52;
    /** Below this exponent e^a is below half the least subnormal. */
    static final double EXP_MIN = -746;

    static {
        BigDecimal ln2 = new BigDecimal("0.693147180559945309417232121458176568075500134360255254120680");
        LN2_HI = Double.longBitsToDouble(Double.doubleToRawLongBits(ln2.doubleValue()) & ~0x7FFL);
        LN2_LO = ln2.subtract(new BigDecimal(LN2_HI)).doubleValue();
        double f = 1;
        for (int k = 0; k < EXP_SERIES.length; k++) {
            if (k > 0) f *= k;
            EXP_SERIES[k] = 1 / f;
        }
    }

    /**
     * e^(−x²/2), the standard normal density without its 1/√(2π), from basic IEEE operations only (unlike
     * {@link Math#exp}), so that a vector version can give the same bits; within 2 ulps of {@code Math.exp(-0.5*x*x)}
     * (tested). With a = −x²/2 = n ln 2 + r, n = round(a / ln 2): e^r by its Taylor series, then 2ⁿ applied in two
     * halves, so that results down to the subnormals round once.
     */
    static double gaussian(double x) {
        double a = Math.max(-0.5 * x * x, EXP_MIN); // NaN stays NaN
        double shifted = Math.fma(a, INV_LN2, ROUNDER);
        double n = shifted - ROUNDER;
        double r = Math.fma(n, -LN2_HI, a);
        r = Math.fma(n, -LN2_LO, r);
        double[] c = EXP_SERIES;
        double p = c[13];
        for (int k = 12; k >= 0; k--) p = Math.fma(p, r, c[k]);
        long k = Double.doubleToRawLongBits(shifted) - Double.doubleToRawLongBits(ROUNDER);
        long k1 = k >> 1, k2 = k - k1;
        return p * Double.longBitsToDouble((k1 + 1023) << 52) * Double.longBitsToDouble((k2 + 1023) << 52);
    }

    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < SMALL) {
            double t = x * x, p = SERIES[MACLAURIN];
            for (int n = MACLAURIN - 1; n >= 0; n--) p = Math.fma(p, t, SERIES[n]);
            return Math.fma(x, K_HI, x * p);
        }
        if (!(ax < TAIL)) return Double.isNaN(x) ? x : Math.copySign(1.0, x);
        int j = (int) interval(ax);
        double u = ax - centre(j); // exact: ax and the centre are within a factor of two
        double[] c = TABLE;
        double p = c[(COEFFICIENTS - 1) * INTERVALS + j];
        for (int k = COEFFICIENTS - 2; k >= 1; k--) p = Math.fma(p, u, c[k * INTERVALS + j]);
        return Math.copySign(c[j] + p, x);
    }
}
