package kfac4j.tensor.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link UnaryOp#ERF}, {@link UnaryOp#GELU_ERF} and {@link UnaryOp#GELU_ERF_GRAD} on the Vector API: lane for lane the
 * IEEE operations of {@link Erf} in the same order, so the results are bit-identical to the scalar definitions (F32
 * values are widened to double and the results rounded back, as the scalar kernel does). Each lane's interval
 * coefficients are picked from {@link Erf#TABLE} by register permutes (a coefficient's 16 values fill two 512-bit
 * registers; a gather per coefficient was measured five times slower); the series near zero, the polynomial and the
 * tail are computed on every lane and chosen at the end.
 *
 * <p>The whole computation sits in the body of one loop on purpose: C2 keeps vectors in registers only within one
 * compiled method, and a helper too large to inline would pass them around as heap objects (measured: four times
 * slower than the scalar code).
 */
final class VectorErf {
    private static final VectorSpecies<Double> F64 = VectorWidth.F64;
    private static final VectorSpecies<Float> F32 = VectorWidth.F32;
    private static final int L32 = F32.length();
    /** Register pairs that hold one float coefficient's 16 values (one register, counted as one pair, at 512 bits). */
    private static final int PAIRS32 = Math.max(1, Erf.INTERVALS / (2 * L32));
    /** Pairs of registers that hold the 16 values of one coefficient: one pair at 512 bits, more when narrower. */
    private static final int PAIRS = Math.max(1, Erf.INTERVALS / (2 * F64.length()));
    private static final int L = F64.length();
    private static final long SIGN = Long.MIN_VALUE;

    private VectorErf() {
    }

    /**
     * F32, computed in float (as PyTorch does), 16 lanes at 512 bits: the same intervals with float coefficients of
     * lower degree ({@link Erf#TABLE_F32}), a float series near zero and a float e^(−x²/2). Not bit-identical to the
     * scalar definition, which computes in double: within a few float ulps of it (tested), plus for GELU an absolute
     * error of about |x|·2⁻²⁴ where 1 + erf cancels, as in any float evaluation. Returns how many values were done.
     */
    static int apply(UnaryOp op, float[] x, int xOff, float[] y, int yOff, int n) {
        int up = n - n % L32;
        boolean gelu = op != UnaryOp.ERF, grad = op == UnaryOp.GELU_ERF_GRAD;
        float[] c = Erf.TABLE_F32, series = Erf.SERIES_F32;
        float small = (float) Erf.SMALL, rounder = 0x1.8p23f;
        for (int i = 0; i < up; i += L32) {
            FloatVector v = FloatVector.fromArray(F32, x, xOff + i);
            FloatVector z = gelu ? v.mul((float) Erf.INV_SQRT_2) : v;
            // |z| < 1/2: z·P(z²).
            FloatVector az = z.abs(), t = z.mul(z), s = FloatVector.broadcast(F32, series[Erf.MACLAURIN_F32]);
            for (int k = Erf.MACLAURIN_F32 - 1; k >= 0; k--) s = s.fma(t, FloatVector.broadcast(F32, series[k]));
            FloatVector near = z.mul(s);
            // 1/2 ≤ |z| < 6: the interval's polynomial around its centre; the coefficients picked by permutes.
            VectorMask<Float> mid = az.compare(VectorOperators.GE, small).and(az.compare(VectorOperators.LT, (float) Erf.TAIL));
            FloatVector a = FloatVector.broadcast(F32, small).blend(az, mid);
            FloatVector j = a.sub(small).mul((float) Erf.INV_WIDTH).sub(0.5f).add(rounder).sub(rounder)
                    .max(0f).min(Erf.INTERVALS - 1);
            FloatVector u = a.sub(j.mul(22f).add(43f).mul(0.015625f));
            FloatVector j0 = PAIRS32 == 1 ? j : j.min(Math.min(2 * L32, Erf.INTERVALS) - 1);
            FloatVector p = coefficient(c, Erf.COEFFICIENTS_F32 - 1, j, j0);
            for (int k = Erf.COEFFICIENTS_F32 - 2; k >= 1; k--) p = p.fma(u, coefficient(c, k, j, j0));
            FloatVector e = coefficient(c, 0, j, j0).add(p);
            // |z| ≥ 6: ±1; the sign of z; the series below 1/2; NaN passed through.
            e = FloatVector.broadcast(F32, 1f).blend(e, mid);
            e = e.reinterpretAsInts().and(Integer.MAX_VALUE).or(z.reinterpretAsInts().and(Integer.MIN_VALUE)).reinterpretAsFloats();
            e = e.blend(near, az.compare(VectorOperators.LT, small));
            e = z.blend(e, z.compare(VectorOperators.EQ, z));
            FloatVector r;
            if (!gelu) {
                r = e;
            } else if (!grad) {
                r = v.mul(0.5f).mul(e.add(1f));
            } else {
                // e^(−x²/2) in float: a = n ln 2 + r', e^r' by its series to r'⁷, 2ⁿ applied in two halves.
                FloatVector g = v.mul(-0.5f).mul(v).max(-104f);
                FloatVector shifted = g.fma(FloatVector.broadcast(F32, (float) Erf.INV_LN2), FloatVector.broadcast(F32, rounder));
                FloatVector nn = shifted.sub(rounder);
                FloatVector rr = nn.fma(FloatVector.broadcast(F32, -0.693359375f), g);
                rr = nn.fma(FloatVector.broadcast(F32, 2.12194440e-4f), rr);
                FloatVector q = FloatVector.broadcast(F32, 1f / 5040);
                q = q.fma(rr, FloatVector.broadcast(F32, 1f / 720));
                q = q.fma(rr, FloatVector.broadcast(F32, 1f / 120));
                q = q.fma(rr, FloatVector.broadcast(F32, 1f / 24));
                q = q.fma(rr, FloatVector.broadcast(F32, 1f / 6));
                q = q.fma(rr, FloatVector.broadcast(F32, 0.5f));
                q = q.fma(rr, FloatVector.broadcast(F32, 1f));
                q = q.fma(rr, FloatVector.broadcast(F32, 1f));
                IntVector k0 = shifted.reinterpretAsInts().sub(Float.floatToRawIntBits(rounder));
                IntVector k1 = k0.lanewise(VectorOperators.ASHR, 1), k2 = k0.sub(k1);
                FloatVector gauss = q.mul(k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                        .mul(k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                r = e.add(1f).mul(0.5f).add(v.mul(gauss).mul((float) Erf.INV_SQRT_2PI));
            }
            r.intoArray(y, yOff + i);
        }
        return up;
    }

    /** Coefficient k of each lane's interval j in float (j0: j clamped to the first register pair). */
    private static FloatVector coefficient(float[] c, int k, FloatVector j, FloatVector j0) {
        int row = k * Erf.INTERVALS;
        FloatVector ck = L32 >= Erf.INTERVALS ? j0.selectFrom(FloatVector.fromArray(F32, c, row))
                : j0.selectFrom(FloatVector.fromArray(F32, c, row), FloatVector.fromArray(F32, c, row + L32));
        for (int pair = 1; pair < PAIRS32; pair++) {
            FloatVector local = j.sub(2f * L32 * pair).max(0f).min(2 * L32 - 1);
            FloatVector part = local.selectFrom(FloatVector.fromArray(F32, c, row + 2 * L32 * pair),
                    FloatVector.fromArray(F32, c, row + 2 * L32 * pair + L32));
            ck = ck.blend(part, j.compare(VectorOperators.GE, 2f * L32 * pair));
        }
        return ck;
    }

    /** Coefficient k of each lane's interval j (j0: j clamped to the first pair of registers). */
    private static DoubleVector coefficient(double[] c, int k, DoubleVector j, DoubleVector j0) {
        int row = k * Erf.INTERVALS;
        DoubleVector ck = j0.selectFrom(DoubleVector.fromArray(F64, c, row), DoubleVector.fromArray(F64, c, row + L));
        for (int pair = 1; pair < PAIRS; pair++) {
            DoubleVector local = j.sub(2.0 * L * pair).max(0.0).min(2 * L - 1);
            DoubleVector part = local.selectFrom(DoubleVector.fromArray(F64, c, row + 2 * L * pair),
                    DoubleVector.fromArray(F64, c, row + 2 * L * pair + L));
            ck = ck.blend(part, j.compare(VectorOperators.GE, 2.0 * L * pair));
        }
        return ck;
    }

    /** Applies {@code op} to the first {@code n − n % L} values; returns how many that is (the rest is the caller's). */
    static int apply(UnaryOp op, double[] x, int xOff, double[] y, int yOff, int n) {
        int up = n - n % L;
        boolean gelu = op != UnaryOp.ERF, grad = op == UnaryOp.GELU_ERF_GRAD;
        double[] c = Erf.TABLE, series = Erf.SERIES, exp = Erf.EXP_SERIES;
        for (int i = 0; i < up; i += L) {
            DoubleVector v = DoubleVector.fromArray(F64, x, xOff + i);
            DoubleVector z = gelu ? v.mul(Erf.INV_SQRT_2) : v;

            // erf(z), as Erf.erf. |z| < 1/2: z·(K_HI + (K_LO + t·(S1 + ...))), t = z², the leading product rounded once.
            DoubleVector az = z.abs(), t = z.mul(z), s = DoubleVector.broadcast(F64, series[Erf.MACLAURIN]);
            for (int k = Erf.MACLAURIN - 1; k >= 0; k--) s = s.fma(t, DoubleVector.broadcast(F64, series[k]));
            DoubleVector near = z.fma(DoubleVector.broadcast(F64, Erf.K_HI), z.mul(s));
            // 1/2 ≤ |z| < 6: interval j = ⌊(|z| − 1/2)/w⌋, u = |z| − centre(j); other lanes (and NaN) take interval 0.
            // Each coefficient of the lanes' intervals is picked from the table's 16 values by two-register permutes.
            VectorMask<Double> mid = az.compare(VectorOperators.GE, Erf.SMALL).and(az.compare(VectorOperators.LT, Erf.TAIL));
            DoubleVector a = DoubleVector.broadcast(F64, Erf.SMALL).blend(az, mid);
            DoubleVector j = a.sub(Erf.SMALL).mul(Erf.INV_WIDTH).sub(0.5).add(Erf.ROUNDER).sub(Erf.ROUNDER)
                    .max(0.0).min(Erf.INTERVALS - 1);                               // Erf.interval
            DoubleVector u = a.sub(j.mul(22.0).add(43.0).mul(0.015625));
            DoubleVector j0 = PAIRS == 1 ? j : j.min(2 * L - 1);
            DoubleVector p = coefficient(c, Erf.COEFFICIENTS - 1, j, j0);
            for (int k = Erf.COEFFICIENTS - 2; k >= 1; k--) p = p.fma(u, coefficient(c, k, j, j0));
            DoubleVector poly = coefficient(c, 0, j, j0).add(p);
            // |z| ≥ 6: ±1. The sign of z on both; the series where |z| < 1/2; z itself where it is NaN (unequal to itself).
            DoubleVector e = DoubleVector.broadcast(F64, 1.0).blend(poly, mid);
            e = e.reinterpretAsLongs().and(~SIGN).or(z.reinterpretAsLongs().and(SIGN)).reinterpretAsDoubles();
            e = e.blend(near, az.compare(VectorOperators.LT, Erf.SMALL));
            e = z.blend(e, z.compare(VectorOperators.EQ, z));

            DoubleVector r;
            if (!gelu) {
                r = e;
            } else if (!grad) {
                r = v.mul(0.5).mul(e.add(1.0));                                  // (0.5·x)·(1 + erf)
            } else {
                // e^(−x²/2) as Erf.gaussian: x²/2 = n ln 2 + r', e^r' by its series, 2ⁿ applied in two halves.
                DoubleVector g = v.mul(-0.5).mul(v).max(Erf.EXP_MIN);
                DoubleVector shifted = g.fma(DoubleVector.broadcast(F64, Erf.INV_LN2), DoubleVector.broadcast(F64, Erf.ROUNDER));
                DoubleVector nn = shifted.sub(Erf.ROUNDER);
                DoubleVector rr = nn.fma(DoubleVector.broadcast(F64, -Erf.LN2_HI), g);
                rr = nn.fma(DoubleVector.broadcast(F64, -Erf.LN2_LO), rr);
                DoubleVector q = DoubleVector.broadcast(F64, exp[exp.length - 1]);
                for (int k = exp.length - 2; k >= 0; k--) q = q.fma(rr, DoubleVector.broadcast(F64, exp[k]));
                LongVector k0 = shifted.reinterpretAsLongs().sub(Double.doubleToRawLongBits(Erf.ROUNDER));
                LongVector k1 = k0.lanewise(VectorOperators.ASHR, 1), k2 = k0.sub(k1);
                DoubleVector gauss = q.mul(k1.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles())
                        .mul(k2.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles());
                r = e.add(1.0).mul(0.5).add(v.mul(gauss).mul(Erf.INV_SQRT_2PI)); // (1 + erf)/2 + (x·φ')/√(2π)
            }
            r.intoArray(y, yOff + i);
        }
        return up;
    }
}
