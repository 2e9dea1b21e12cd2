package kfac4j.tensor.kernel;

import jdk.incubator.vector.DoubleVector;
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
    /** Pairs of registers that hold the 16 values of one coefficient: one pair at 512 bits, more when narrower. */
    private static final int PAIRS = Math.max(1, Erf.INTERVALS / (2 * F64.length()));
    private static final int L = F64.length();
    private static final long SIGN = Long.MIN_VALUE;
    /** F32 values go through double buffers of this many values, which stay in the L1 cache. */
    private static final int CHUNK = 256;

    private VectorErf() {
    }

    /** F32: widened to double a chunk at a time, computed, rounded back; returns how many values were done. */
    static int apply(UnaryOp op, float[] x, int xOff, float[] y, int yOff, int n) {
        double[] in = new double[CHUNK], out = new double[CHUNK];
        int up = n - n % L;
        for (int i = 0; i < up; i += CHUNK) {
            int len = Math.min(CHUNK, up - i);
            for (int k = 0; k < len; k++) in[k] = x[xOff + i + k];
            apply(op, in, 0, out, 0, len);
            for (int k = 0; k < len; k++) y[yOff + i + k] = (float) out[k];
        }
        return up;
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
