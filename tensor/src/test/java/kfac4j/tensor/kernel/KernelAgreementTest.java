package kfac4j.tensor.kernel;

import static kfac4j.tensor.kernel.KernelData.SIZES;
import static kfac4j.tensor.kernel.KernelData.f32;
import static kfac4j.tensor.kernel.KernelData.padded;
import static kfac4j.tensor.kernel.KernelData.values;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every vector configuration ({@link KernelVariants}) against the scalar reference: bit for bit wherever the vector
 * code does the same IEEE operations in the same order (elementwise ops, axpy, max; GEMM in {@link GemmTest}), within
 * a stated bound where it does not (sum and dot add in another order; F32 exp and sigmoid are approximations).
 */
class KernelAgreementTest {
    private static final Kernels REF = Kernels.scalar();
    private static final double U64 = 0x1p-53;

    static List<KernelVariants.Variant> variants() {
        return KernelVariants.all();
    }

    @Test
    void everyVectorWidthThisCpuSupportsIsUnderTest() {
        assertThat(KernelVariants.vectorModulePresent()).as("tests run with --add-modules jdk.incubator.vector").isTrue();
        List<String> labels = variants().stream().map(KernelVariants.Variant::label).toList();
        assertThat(labels).contains("active", "vector128", "vector, 16 registers");
        if (VectorWidth.PREFERRED_BITS >= 256) assertThat(labels).contains("vector256");
        if (VectorWidth.PREFERRED_BITS >= 512) assertThat(labels).contains("vector512");
        for (KernelVariants.Variant v : variants()) assertThat(v.kernels().name()).startsWith("vector ");
    }

    // ------------------------------------------------------------------ elementwise

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void unaryOpsAgreeBitForBitInPlaceAndOutOfPlace(KernelVariants.Variant v) {
        Random rnd = new Random(1);
        for (UnaryOp op : UnaryOp.values()) {
            for (int n : SIZES) {
                double[] x = padded(values(rnd, n, true), 3, 2, 7.0);
                String what = op + " n=" + n;
                double[] want = filled(n + 4, -9), got = filled(n + 4, -9);
                REF.unary(op, x, 3, want, 1, n);
                v.kernels().unary(op, x, 3, got, 1, n);
                assertSameBits(what + " F64", want, got);
                double[] in = x.clone(), inRef = x.clone();
                REF.unary(op, inRef, 3, inRef, 3, n);
                v.kernels().unary(op, in, 3, in, 3, n);
                assertSameBits(what + " F64 in place", inRef, in);

                if (APPROXIMATE_F32.contains(op) || ErfTest.FLOAT_ERF.contains(op)) continue;
                float[] xf = f32(x);
                float[] wantF = f32(filled(n + 4, -9)), gotF = f32(filled(n + 4, -9));
                REF.unary(op, xf, 3, wantF, 1, n);
                v.kernels().unary(op, xf, 3, gotF, 1, n);
                assertSameBits(what + " F32", wantF, gotF);
                float[] inF = xf.clone(), inRefF = xf.clone();
                REF.unary(op, inRefF, 3, inRefF, 3, n);
                v.kernels().unary(op, inF, 3, inF, 3, n);
                assertSameBits(what + " F32 in place", inRefF, inF);
            }
        }
    }

    /** F32 unary ops the vector kernels compute by their own approximation rather than the scalar's operations. */
    private static final java.util.Set<UnaryOp> APPROXIMATE_F32 = java.util.EnumSet.of(UnaryOp.EXP, UnaryOp.SIGMOID);

    /**
     * F32 exp is a polynomial approximation within 1 ulp of the correctly rounded {@code (float) Math.exp}, sigmoid
     * (built on it) within 2 ulps, over the whole range where the results are finite and non-zero and beyond, in place
     * and out of place; special values (NaN, ±∞, ±0, overflow, underflow) come out exactly as the scalar's.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void float32ExpAndSigmoidAreWithinOneAndTwoUlps(KernelVariants.Variant v) {
        int n = 1 << 20;
        float[] x = new float[n + 16];
        for (int i = 0; i < n; i++) x[i] = -110f + 210f * i / n;
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 88.72283f, 88.7229f,
                -87.33655f, -103.97f, -104.5f, 1e-30f, Float.MIN_VALUE, 100f, -100f, 1f, -1f};
        System.arraycopy(special, 0, x, n, 16);
        for (UnaryOp op : APPROXIMATE_F32) {
            int ulps = op == UnaryOp.EXP ? 1 : 2;
            float[] want = new float[n + 16], got = new float[n + 16], in = x.clone();
            REF.unary(op, x, 0, want, 0, n + 16);
            v.kernels().unary(op, x, 0, got, 0, n + 16);
            v.kernels().unary(op, in, 0, in, 0, n + 16);
            assertSameBits(op + " F32 in place", got, in);
            for (int i = 0; i < n + 16; i++) {
                if (i >= n || !Float.isFinite(want[i]) || want[i] == 0) {
                    assertThat(Float.floatToIntBits(got[i])).as("%s(%s)", op, x[i]).isEqualTo(Float.floatToIntBits(want[i]));
                } else {
                    assertThat(Math.abs(got[i] - want[i])).as("%s(%s) = %s", op, x[i], want[i])
                            .isLessThanOrEqualTo(ulps * Math.ulp(want[i]));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void binaryOpsAgreeBitForBitForEveryStepCombination(KernelVariants.Variant v) {
        Random rnd = new Random(2);
        for (BinaryOp op : BinaryOp.values()) {
            for (int n : SIZES) {
                for (int aStep = 0; aStep <= 1; aStep++) {
                    for (int bStep = 0; bStep <= 1; bStep++) {
                        double[] a = padded(values(rnd, aStep == 1 ? n : 1, true), 2, 3, 5.0);
                        double[] b = padded(values(rnd, bStep == 1 ? n : 1, true), 1, 1, 5.0);
                        // Ties, so the comparisons see equal operands.
                        for (int i = 0; i < Math.min(a.length, b.length); i += 3) b[i] = a[i];
                        String what = op + " n=" + n + " steps " + aStep + "," + bStep;
                        binaryCase(v.kernels(), what, op, a, 2, aStep, b, 1, bStep, n);
                    }
                }
            }
        }
    }

    private static void binaryCase(Kernels k, String what, BinaryOp op, double[] a, int aOff, int aStep, double[] b,
                                   int bOff, int bStep, int n) {
        double[] want = filled(n + 3, -9), got = filled(n + 3, -9);
        REF.binary(op, a, aOff, aStep, b, bOff, bStep, want, 2, n);
        k.binary(op, a, aOff, aStep, b, bOff, bStep, got, 2, n);
        assertSameBits(what + " F64", want, got);
        float[] af = f32(a), bf = f32(b);
        float[] wantF = f32(filled(n + 3, -9)), gotF = f32(filled(n + 3, -9));
        REF.binary(op, af, aOff, aStep, bf, bOff, bStep, wantF, 2, n);
        k.binary(op, af, aOff, aStep, bf, bOff, bStep, gotF, 2, n);
        assertSameBits(what + " F32", wantF, gotF);
        if (aStep == 1) {
            // The output may overwrite a step-1 input at the same offset.
            double[] in = a.clone(), inRef = a.clone();
            REF.binary(op, inRef, aOff, 1, b, bOff, bStep, inRef, aOff, n);
            k.binary(op, in, aOff, 1, b, bOff, bStep, in, aOff, n);
            assertSameBits(what + " F64 in place", inRef, in);
            float[] inF = af.clone(), inRefF = af.clone();
            REF.binary(op, inRefF, aOff, 1, bf, bOff, bStep, inRefF, aOff, n);
            k.binary(op, inF, aOff, 1, bf, bOff, bStep, inF, aOff, n);
            assertSameBits(what + " F32 in place", inRefF, inF);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void axpyAgreesBitForBit(KernelVariants.Variant v) {
        Random rnd = new Random(3);
        for (double alpha : new double[]{0.0, 1.0, -0.3, 1e-3}) {
            for (int n : SIZES) {
                double[] x = padded(values(rnd, n, true), 1, 2, 4.0), y = padded(values(rnd, n, true), 2, 1, 4.0);
                double[] want = y.clone(), got = y.clone();
                REF.axpy(n, alpha, x, 1, want, 2);
                v.kernels().axpy(n, alpha, x, 1, got, 2);
                assertSameBits("axpy F64 n=" + n + " alpha=" + alpha, want, got);
                float[] xf = f32(x), wantF = f32(y), gotF = f32(y);
                REF.axpy(n, alpha, xf, 1, wantF, 2);
                v.kernels().axpy(n, alpha, xf, 1, gotF, 2);
                assertSameBits("axpy F32 n=" + n + " alpha=" + alpha, wantF, gotF);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void keepWherePositiveAgreesBitForBitIncludingNaNAndSignedZeros(KernelVariants.Variant v) {
        Random rnd = new Random(8);
        for (int n : SIZES) {
            double[] g = padded(values(rnd, n, true), 2, 1, 5.0), x = padded(values(rnd, n, true), 1, 2, 5.0);
            double[] want = filled(n + 4, -9), got = filled(n + 4, -9);
            REF.keepWherePositive(g, 2, x, 1, want, 3, n);
            v.kernels().keepWherePositive(g, 2, x, 1, got, 3, n);
            assertSameBits("keepWherePositive F64 n=" + n, want, got);
            float[] gf = f32(g), xf = f32(x), wantF = f32(filled(n + 4, -9)), gotF = f32(filled(n + 4, -9));
            REF.keepWherePositive(gf, 2, xf, 1, wantF, 3, n);
            v.kernels().keepWherePositive(gf, 2, xf, 1, gotF, 3, n);
            assertSameBits("keepWherePositive F32 n=" + n, wantF, gotF);
            float[] inF = gf.clone(), inRefF = gf.clone();
            REF.keepWherePositive(inRefF, 2, xf, 1, inRefF, 2, n);
            v.kernels().keepWherePositive(inF, 2, xf, 1, inF, 2, n);
            assertSameBits("keepWherePositive F32 in place n=" + n, inRefF, inF);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void gatherAgreesBitForBit(KernelVariants.Variant v) {
        Random rnd = new Random(7);
        for (int n : SIZES) {
            // Distinct indices in a random order over a source twice as long, read from offset 2 on.
            List<Integer> order = new java.util.ArrayList<>();
            for (int i = 0; i < 2 * n + 3; i++) order.add(i);
            java.util.Collections.shuffle(order, rnd);
            int[] index = new int[n + 1];
            for (int i = 0; i < n; i++) index[i + 1] = order.get(i);
            double[] x = values(rnd, 2 * n + 5, true);
            double[] want = filled(n + 4, -9), got = filled(n + 4, -9);
            REF.gather(x, 2, index, 1, want, 1, n);
            v.kernels().gather(x, 2, index, 1, got, 1, n);
            assertSameBits("gather F64 n=" + n, want, got);
            float[] xf = f32(x), wantF = f32(filled(n + 4, -9)), gotF = f32(filled(n + 4, -9));
            REF.gather(xf, 2, index, 1, wantF, 1, n);
            v.kernels().gather(xf, 2, index, 1, gotF, 1, n);
            assertSameBits("gather F32 n=" + n, wantF, gotF);

        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void gatherSumAgreesBitForBitAndAddsOnlyPresentTerms(KernelVariants.Variant v) {
        Random rnd = new Random(9);
        for (int n : SIZES) {
            for (int terms = 0; terms <= 4; terms++) {
                // Slots terms × (n + 3) from offset 2; a present term reads a finite value, an absent one a NaN that
                // must not reach the sum.
                int stride = n + 3, size = 2 + terms * stride;
                double[] x = values(rnd, 4 * n + 8, false);
                int[] index = new int[size];
                boolean[] present = new boolean[size];
                double[] want = filled(n + 4, -9);
                for (int i = 0; i < n; i++) {
                    double sum = 0.0;
                    for (int s = 0; s < terms; s++) {
                        int at = 2 + s * stride + i;
                        present[at] = rnd.nextInt(4) > 0;
                        index[at] = present[at] ? rnd.nextInt(2 * n + 4) : 2 * n + 4 + rnd.nextInt(2 * n + 2);
                        if (present[at]) sum += x[1 + index[at]];
                    }
                    want[1 + i] = sum;
                }
                for (int i = 2 * n + 4; i < 4 * n + 7; i++) x[1 + i] = Double.NaN;
                double[] got = filled(n + 4, -9), ref = filled(n + 4, -9);
                REF.gatherSum(x, 1, index, present, 2, terms, stride, ref, 1, n);
                v.kernels().gatherSum(x, 1, index, present, 2, terms, stride, got, 1, n);
                assertSameBits("gatherSum F64 reference n=" + n + " terms=" + terms, want, ref);
                assertSameBits("gatherSum F64 n=" + n + " terms=" + terms, ref, got);
                float[] xf = f32(x), refF = f32(filled(n + 4, -9)), gotF = f32(filled(n + 4, -9));
                REF.gatherSum(xf, 1, index, present, 2, terms, stride, refF, 1, n);
                v.kernels().gatherSum(xf, 1, index, present, 2, terms, stride, gotF, 1, n);
                for (int i = 0; i < n; i++) assertThat(Float.isNaN(refF[1 + i])).as("F32 sum %d took an absent term", i).isFalse();
                assertSameBits("gatherSum F32 n=" + n + " terms=" + terms, refF, gotF);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void addRowsAgreesBitForBitAndTouchesOnlyItsBlock(KernelVariants.Variant v) {
        Random rnd = new Random(8);
        // Besides the usual sizes, rows from half a vector to a whole one at every width (a half-width vector each).
        int[] widths = IntStream.concat(Arrays.stream(SIZES), IntStream.of(4, 5, 6, 8, 11, 12, 15)).toArray();
        for (int cols : widths) {
            // Three rows of cols values, from a source with row stride cols + 2 into rows cols + 5 apart.
            int rows = 3, xStride = cols + 2, yStride = cols + 5;
            double[] x = values(rnd, 1 + rows * xStride, true), y0 = values(rnd, 4 + rows * yStride, true);
            double[] want = y0.clone(), got = y0.clone();
            REF.addRows(rows, cols, x, 1, xStride, want, 4, yStride);
            v.kernels().addRows(rows, cols, x, 1, xStride, got, 4, yStride);
            assertSameBits("addRows F64 cols=" + cols, want, got);
            for (int i = 0; i < y0.length; i++) {
                int r = (i - 4) / yStride, j = (i - 4) % yStride;
                boolean inside = i >= 4 && r < rows && j < cols;
                double expected = inside ? y0[i] + x[1 + r * xStride + j] : y0[i];
                assertThat(Double.doubleToLongBits(want[i])).as("element %d", i).isEqualTo(Double.doubleToLongBits(expected));
            }
            float[] xf = f32(x), wantF = f32(y0), gotF = f32(y0);
            REF.addRows(rows, cols, xf, 1, xStride, wantF, 4, yStride);
            v.kernels().addRows(rows, cols, xf, 1, xStride, gotF, 4, yStride);
            assertSameBits("addRows F32 cols=" + cols, wantF, gotF);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void maxAgreesIncludingNaNAndInfinities(KernelVariants.Variant v) {
        Random rnd = new Random(4);
        for (int n : SIZES) {
            if (n == 0) continue;
            for (int trial = 0; trial < 4; trial++) {
                double[] x = padded(values(rnd, n, trial >= 2), 3, 1, Double.NaN); // NaN padding must not be read
                if (trial == 1) Arrays.fill(x, 3, 3 + n, Double.NEGATIVE_INFINITY);
                String what = "max n=" + n + " trial " + trial;
                assertSameValue(what + " F64", REF.max(x, 3, n), v.kernels().max(x, 3, n));
                float[] xf = f32(x);
                assertSameValue(what + " F32", REF.max(xf, 3, n), v.kernels().max(xf, 3, n));
            }
        }
    }

    /**
     * Sums and dot products run in a different order from the scalar loop. Both accumulate in double, so each is within
     * γ_n·Σ|terms| of the exact value (γ_n = n·u/(1 − n·u), u = 2⁻⁵³; F32 inputs and their products are exact in
     * double), and they differ from each other by at most twice that.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void sumAndDotAgreeWithinTheirRoundingBound(KernelVariants.Variant v) {
        Random rnd = new Random(5);
        int[] sizes = Arrays.copyOf(SIZES, SIZES.length + 2);
        sizes[SIZES.length] = 1000;
        sizes[SIZES.length + 1] = 4099;
        for (int n : sizes) {
            double[] x = padded(values(rnd, n, false), 1, 2, Double.NaN), y = padded(values(rnd, n, false), 2, 1, Double.NaN);
            float[] xf = f32(x), yf = f32(y);
            double absSum = 0, absDot = 0, absSumF = 0, absDotF = 0;
            for (int i = 0; i < n; i++) {
                absSum += Math.abs(x[1 + i]);
                absDot += Math.abs(x[1 + i] * y[2 + i]);
                absSumF += Math.abs(xf[1 + i]);
                absDotF += Math.abs((double) xf[1 + i] * yf[2 + i]);
            }
            double gamma = n * U64 / (1 - n * U64);
            assertThat(v.kernels().sum(x, 1, n)).as("sum F64 n=" + n).isCloseTo(REF.sum(x, 1, n), within(2 * gamma * absSum));
            assertThat(v.kernels().sum(xf, 1, n)).as("sum F32 n=" + n).isCloseTo(REF.sum(xf, 1, n), within(2 * gamma * absSumF));
            assertThat(v.kernels().dot(x, 1, y, 2, n)).as("dot F64 n=" + n)
                    .isCloseTo(REF.dot(x, 1, y, 2, n), within(2 * gamma * absDot));
            assertThat(v.kernels().dot(xf, 1, yf, 2, n)).as("dot F32 n=" + n)
                    .isCloseTo(REF.dot(xf, 1, yf, 2, n), within(2 * gamma * absDotF));
        }
        double[] withNaN = {1, 2, Double.NaN, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
        assertThat(v.kernels().sum(withNaN, 0, withNaN.length)).isNaN();
        assertThat(v.kernels().sum(f32(withNaN), 0, withNaN.length)).isNaN();
    }

    /** accumulate adds element by element, each float widened exactly: the bits of the definition written out. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void accumulateAgreesBitForBitAndTouchesOnlyItsRun(KernelVariants.Variant v) {
        Random rnd = new Random(16);
        for (int n : SIZES) {
            float[] x = f32(padded(values(rnd, n, true), 3, 1, Double.NaN)); // NaN padding must not be read
            double[] acc0 = values(rnd, n + 4, true), want = acc0.clone(), got = acc0.clone();
            REF.accumulate(x, 3, want, 2, n);
            v.kernels().accumulate(x, 3, got, 2, n);
            assertSameBits("accumulate n=" + n, want, got);
            for (int i = 0; i < acc0.length; i++) {
                double expected = i >= 2 && i < 2 + n ? acc0[i] + (double) x[3 + i - 2] : acc0[i];
                assertThat(Double.doubleToLongBits(want[i])).as("element %d", i).isEqualTo(Double.doubleToLongBits(expected));
            }
        }
    }

    private static org.assertj.core.data.Offset<Double> within(double tolerance) {
        return org.assertj.core.data.Offset.offset(tolerance);
    }

    // ------------------------------------------------------------------ helpers

    static double[] filled(int n, double value) {
        double[] d = new double[n];
        Arrays.fill(d, value);
        return d;
    }

    /** Equal values, NaN equal to NaN (−0 and +0 count as equal: max may return either when both occur). */
    static void assertSameValue(String what, double want, double got) {
        if (Double.isNaN(want)) assertThat(got).as(what).isNaN();
        else assertThat(got).as(what).isEqualTo(want);
    }

    /** Equal bit patterns (every NaN counts as the canonical NaN), naming the first index that differs. */
    static void assertSameBits(String what, double[] want, double[] got) {
        for (int i = 0; i < want.length; i++) {
            if (Double.doubleToLongBits(want[i]) != Double.doubleToLongBits(got[i])) {
                throw new AssertionError(what + ": index " + i + " expected " + want[i] + " but got " + got[i]);
            }
        }
        assertThat(got).hasSameSizeAs(want);
    }

    static void assertSameBits(String what, float[] want, float[] got) {
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(got[i])) {
                throw new AssertionError(what + ": index " + i + " expected " + want[i] + " but got " + got[i]);
            }
        }
        assertThat(got).hasSameSizeAs(want);
    }
}
