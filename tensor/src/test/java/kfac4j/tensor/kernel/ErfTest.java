package kfac4j.tensor.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * {@link Erf} against values known to high precision, an independent arbitrary-precision evaluation of the series,
 * and a slow but accurate double-precision evaluation (series and continued fraction) on a dense grid; its e^(−x²/2)
 * against {@link Math#exp}; and the vector kernels ({@link VectorErf}) against the scalar definitions: bit for bit in
 * F64, within stated float bounds in F32 (where they compute in float).
 */
class ErfTest {

    @Test
    void matchesTabulatedValuesToTheLastDigit() {
        // erf(t) to 16 significant digits (Abramowitz and Stegun table 7.1, or any computer algebra system).
        double[] t = {0.1, 0.5, 1, 2, 3, 4, 5};
        double[] erf = {0.1124629160182849, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527,
                0.9999779095030014, 0.9999999845827421, 0.9999999999984626};
        for (int i = 0; i < t.length; i++) {
            assertThat(Erf.erf(t[i])).as("erf(%s)", t[i]).isCloseTo(erf[i], offset(Math.ulp(erf[i])));
            assertThat(Erf.erf(-t[i])).as("erf(-%s)", t[i]).isEqualTo(-Erf.erf(t[i]));
        }
    }

    @Test
    void isWithinOneUlpOfTheCorrectlyRoundedValue() {
        // Every interval boundary (and its neighbours one ulp away) and centre, then random points beyond the tail.
        Random rnd = new Random(7);
        int checked = 0;
        for (int k = -1; k <= Erf.INTERVALS + 1; k++) {
            double b = Erf.SMALL + k * Erf.WIDTH;
            for (double x : new double[]{b, Math.nextDown(b), Math.nextUp(b), b + Erf.WIDTH / 2}) {
                if (x > 0) {
                    assertWithinOneUlp(x);
                    checked++;
                }
            }
        }
        for (int i = 0; i < 300; i++, checked++) assertWithinOneUlp(6.5 * rnd.nextDouble());
        for (int i = 0; i < 60; i++, checked++) assertWithinOneUlp(Math.scalb(1 + rnd.nextDouble(), -3 - rnd.nextInt(40)));
        assertThat(checked).isGreaterThan(420);
    }

    private static void assertWithinOneUlp(double x) {
        double want = reference(x);
        assertThat(Math.abs(Erf.erf(x) - want)).as("erf(%s) = %s", x, want).isLessThanOrEqualTo(Math.ulp(want));
    }

    /** erf(x) correctly rounded: the Maclaurin series in 60-digit decimal arithmetic (ample for |x| ≤ 6.5). */
    private static double reference(double x) {
        MathContext mc = new MathContext(60);
        BigDecimal bx = new BigDecimal(x), minusX2 = bx.multiply(bx, mc).negate(), term = bx, sum = bx;
        for (int n = 1; ; n++) {
            term = term.multiply(minusX2, mc).divide(BigDecimal.valueOf(n), mc);
            BigDecimal add = term.divide(BigDecimal.valueOf(2L * n + 1), mc);
            sum = sum.add(add, mc);
            if (n > x * x && add.abs().compareTo(new BigDecimal("1e-40")) < 0) break;
        }
        return sum.multiply(new BigDecimal("1.12837916709551257389615890312154517168810125865799771368817"), mc)
                .doubleValue();
    }

    @Test
    void agreesWithTheSlowSeriesOnADenseGridAndIsOddAndMonotone() {
        double previous = -1;
        for (int i = -700_000; i <= 700_000; i++) {
            double x = i * 1e-5;
            double e = Erf.erf(x), want = slowErf(x);
            // The slow evaluation is itself up to 14 ulps off just below |x| = 2, where its alternating series cancels.
            assertThat(Math.abs(e - want)).as("erf(%s)", x).isLessThanOrEqualTo(16 * Math.ulp(want));
            assertThat(Erf.erf(-x)).as("erf(-%s)", x).isEqualTo(-e);
            assertThat(e).as("erf(%s) not below erf of the point before", x).isGreaterThanOrEqualTo(previous);
            previous = e;
        }
    }

    @Test
    void specialValues() {
        assertThat(Erf.erf(0.0)).isEqualTo(0.0);
        assertThat(Double.doubleToRawLongBits(Erf.erf(-0.0))).isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertWithinOneUlp(1e-300);
        assertWithinOneUlp(Double.MIN_NORMAL);
        assertThat(Erf.erf(Double.MIN_VALUE)).isEqualTo(Double.MIN_VALUE); // 2/√π times the least subnormal rounds back
        assertThat(Erf.erf(Math.nextDown(6.0))).isEqualTo(reference(Math.nextDown(6.0)));
        assertThat(Erf.erf(6)).isEqualTo(1.0);
        assertThat(Erf.erf(-1e300)).isEqualTo(-1.0);
        assertThat(Erf.erf(Double.POSITIVE_INFINITY)).isEqualTo(1.0);
        assertThat(Erf.erf(Double.NEGATIVE_INFINITY)).isEqualTo(-1.0);
        assertThat(Erf.erf(Double.NaN)).isNaN();
    }

    @Test
    void gaussianIsWithinTwoUlpsOfMathExp() {
        // e^(−x²/2) from basic operations against Math.exp of the same rounded argument, down into the subnormals.
        for (int i = 0; i <= 400_000; i++) {
            double x = i * 1e-4, want = Math.exp(-0.5 * x * x);
            assertThat(Math.abs(Erf.gaussian(x) - want)).as("gaussian(%s) = %s", x, want)
                    .isLessThanOrEqualTo(2 * Math.ulp(want));
            assertThat(Erf.gaussian(-x)).isEqualTo(Erf.gaussian(x));
        }
        assertThat(Erf.gaussian(0)).isEqualTo(1.0);
        assertThat(Erf.gaussian(38.6)).isEqualTo(Math.exp(-0.5 * 38.6 * 38.6)); // a subnormal result
        assertThat(Erf.gaussian(40)).isEqualTo(0.0);
        assertThat(Erf.gaussian(Double.POSITIVE_INFINITY)).isEqualTo(0.0);
        assertThat(Erf.gaussian(Double.NaN)).isNaN();
    }

    /** The ops whose F32 vector kernels compute in float: not the scalar bits, but within the bounds tested below. */
    static final java.util.Set<UnaryOp> FLOAT_ERF = java.util.EnumSet.of(UnaryOp.ERF, UnaryOp.GELU_ERF, UnaryOp.GELU_ERF_GRAD);

    /** Every interval boundary and its neighbours, a dense sweep beyond the tail, and the special values. */
    private static double[] probes() {
        java.util.List<Double> v = new java.util.ArrayList<>();
        for (int k = -1; k <= Erf.INTERVALS + 2; k++) {
            double b = Erf.SMALL + k * Erf.WIDTH;
            for (double x : new double[]{b, Math.nextDown(b), Math.nextUp(b), b * Math.sqrt(2), Math.nextDown(b * Math.sqrt(2))}) {
                v.add(x);
                v.add(-x);
            }
        }
        for (int i = 0; i < 20000; i++) v.add(-12 + 24 * i / 20000.0);
        for (double x : new double[]{Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 1e-310,
                -1e-300, 1e-30, Double.MAX_VALUE, 38.6, 40, -1e5}) {
            v.add(x);
        }
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Test
    void float64VectorKernelsGiveTheScalarBits() {
        // The gathers of coefficients must pick every interval, in every vector width.
        double[] x = probes();
        for (KernelVariants.Variant variant : KernelVariants.all()) {
            for (UnaryOp op : FLOAT_ERF) {
                double[] want = new double[x.length], got = new double[x.length];
                Kernels.scalar().unary(op, x, 0, want, 0, x.length);
                variant.kernels().unary(op, x, 0, got, 0, x.length);
                KernelAgreementTest.assertSameBits(variant.label() + " " + op + " F64", want, got);
            }
        }
    }

    @Test
    void float32VectorKernelsAreFloatAccurateAndAgreeAcrossWidths() {
        // In float arithmetic: erf within 2 ulps of the double definition rounded to float; GELU and its derivative
        // within 2⁻²² max(1, |x|) (float rounding of 1 + erf where it cancels, for x ≪ 0); special values exact. Every
        // vector width computes the same float operations per lane, so all give the same bits.
        double[] xd = probes();
        float[] x = new float[xd.length];
        for (int i = 0; i < x.length; i++) x[i] = (float) xd[i];
        for (UnaryOp op : FLOAT_ERF) {
            float[] want = new float[x.length], first = null;
            Kernels.scalar().unary(op, x, 0, want, 0, x.length);
            for (KernelVariants.Variant variant : KernelVariants.all()) {
                float[] got = new float[x.length], in = x.clone();
                variant.kernels().unary(op, x, 0, got, 0, x.length);
                variant.kernels().unary(op, in, 0, in, 0, x.length);
                KernelAgreementTest.assertSameBits(variant.label() + " " + op + " F32 in place", got, in);
                if (first == null) first = got;
                else KernelAgreementTest.assertSameBits(variant.label() + " " + op + " F32 across widths", first, got);
                for (int i = 0; i < x.length; i++) {
                    if (!Float.isFinite(want[i]) || !Float.isFinite(x[i])) {
                        assertThat(Float.floatToIntBits(got[i])).as("%s(%s)", op, x[i]).isEqualTo(Float.floatToIntBits(want[i]));
                    } else {
                        double bound = op == UnaryOp.ERF ? 2 * Math.ulp(want[i]) : 0x1p-22 * Math.max(1, Math.abs(x[i]));
                        assertThat((double) Math.abs(got[i] - want[i])).as("%s %s(%s) = %s", variant.label(), op, x[i], want[i])
                                .isLessThanOrEqualTo(bound);
                    }
                }
            }
        }
    }

    /**
     * erf in double by the Maclaurin series below |x| = 2 and erfc's continued fraction (modified Lentz) above: within
     * 14 ulps, and some ten times slower than {@link Erf}.
     */
    private static double slowErf(double x) {
        double ax = Math.abs(x);
        if (ax < 2.0) {
            double sum = ax, term = ax, x2 = ax * ax;
            for (int n = 1; n < 60; n++) {
                term *= -x2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
            }
            return Math.copySign(2.0 / Math.sqrt(Math.PI) * sum, x);
        }
        if (ax > 6.0) return Math.copySign(1.0, x);
        // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
        double tiny = 1e-300, f = ax, c = ax, d = 0;
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
        return Math.copySign(1.0 - erfc, x);
    }
}
