package kfac4j.tensor;

import static kfac4j.tensor.Reference.assertTensor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.ToDoubleFunction;

import org.junit.jupiter.api.Test;

/** Reductions over any set of axes, softmax and log-softmax, against scalar references. */
class ReductionsTest {

    private interface Reduce {
        Tensor apply(Tensor x, int[] axes, boolean keepDim);
    }

    private record Op(String name, Reduce op, ToDoubleFunction<double[]> ref, boolean needsElements) {
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s;
    }

    private static double var(double[] v, int correction) {
        if (v.length == 0) return Double.NaN;
        double m = sum(v) / v.length, ss = 0;
        for (double x : v) ss += (x - m) * (x - m);
        return ss / (v.length - correction);
    }

    private static final Op[] OPS = {
            new Op("sum", Tensor::sum, ReductionsTest::sum, false),
            new Op("mean", Tensor::mean, v -> sum(v) / v.length, false),
            new Op("var0", (x, a, k) -> x.var(a, k, 0), v -> var(v, 0), false),
            new Op("var1", (x, a, k) -> x.var(a, k, 1), v -> var(v, 1), false),
            new Op("max", Tensor::max, v -> Arrays.stream(v).max().orElseThrow(), true),
            new Op("min", Tensor::min, v -> Arrays.stream(v).min().orElseThrow(), true),
            new Op("logsumexp", Tensor::logsumexp, v -> Math.log(Arrays.stream(v).map(Math::exp).sum()), false),
    };

    /** For each output position (row-major, kept axes in order), the reduced values in row-major order. */
    static double[][] groups(double[] v, int[] shape, boolean[] reduced) {
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) if (!reduced[i]) kept.add(i);
        int[] outShape = kept.stream().mapToInt(i -> shape[i]).toArray();
        int outN = Reference.numel(outShape), per = outN == 0 ? 0 : v.length / outN;
        if (outN > 0 && v.length == 0) per = 0;
        double[][] g = new double[outN][per];
        int[] fill = new int[outN];
        for (int flat = 0; flat < v.length; flat++) {
            int[] idx = Reference.unravel(flat, shape);
            int[] o = new int[outShape.length];
            for (int k = 0; k < o.length; k++) o[k] = idx[kept.get(k)];
            int out = Reference.ravel(o, outShape);
            g[out][fill[out]++] = v[flat];
        }
        return g;
    }

    static int[] outShape(int[] shape, boolean[] reduced, boolean keepDim) {
        return java.util.stream.IntStream.range(0, shape.length).filter(i -> keepDim || !reduced[i])
                .map(i -> reduced[i] ? 1 : shape[i]).toArray();
    }

    @Test
    void everyReductionMatchesTheReferenceOverRandomAxesShapesAndLayouts() {
        Random rnd = new Random(20);
        for (int trial = 0; trial < 150; trial++) {
            int rank = rnd.nextInt(5);
            int[] shape = Layouts.shape(rnd, rank, 1, 2, 3, 5, 7, trial % 8 == 0 ? 0 : 4);
            boolean[] reduced = new boolean[rank];
            List<Integer> axes = new ArrayList<>();
            for (int i = 0; i < rank; i++) {
                if (rnd.nextBoolean()) {
                    reduced[i] = true;
                    axes.add(rnd.nextBoolean() ? i : i - rank);
                }
            }
            java.util.Collections.shuffle(axes, rnd);
            int[] ax = axes.stream().mapToInt(Integer::intValue).toArray();
            boolean keepDim = rnd.nextBoolean();
            DType dt = rnd.nextBoolean() ? DType.F32 : DType.F64;
            double[] v = Layouts.values(rnd, Reference.numel(shape), dt);
            Tensor x = Layouts.build(v, shape, dt, Layouts.Layout.values()[rnd.nextInt(3)]);
            double[][] g = groups(v, shape, reduced);
            int[] os = outShape(shape, reduced, keepDim);
            for (Op op : OPS) {
                int count = 1;
                for (int i = 0; i < rank; i++) if (reduced[i]) count *= shape[i];
                boolean empty = count == 0; // even when the output is empty too, as PyTorch
                if (empty && op.needsElements) {
                    assertThatThrownBy(() -> op.op.apply(x, ax, keepDim))
                            .hasMessageStartingWith(op.name + ": cannot reduce over zero elements");
                    continue;
                }
                double[] expected = new double[g.length];
                for (int i = 0; i < g.length; i++) expected[i] = op.ref.applyAsDouble(g[i]);
                try {
                    assertTensor(op.op.apply(x, ax, keepDim), dt, os, expected, dt == DType.F32 ? 1e-5 : 1e-12);
                } catch (AssertionError e) {
                    throw new AssertionError(op.name + " over " + Arrays.toString(ax) + " of " + Arrays.toString(shape)
                            + " keepDim=" + keepDim + ": " + e.getMessage(), e);
                }
            }
        }
    }

    @Test
    void reductionsReadBroadcastViews() {
        Random rnd = new Random(24);
        int[] shape = {3, 5, 4};
        double[] base = Layouts.values(rnd, 12, DType.F64), ev = new double[60];
        Tensor x = Layouts.expanded(base, new int[]{3, 1, 4}, shape, DType.F64, ev);
        for (int[] axes : new int[][]{{0}, {1}, {2}, {0, 1}, {1, 2}, {0, 2}, {0, 1, 2}}) {
            boolean[] reduced = new boolean[3];
            for (int a : axes) reduced[a] = true;
            double[][] g = groups(ev, shape, reduced);
            for (Op op : OPS) {
                double[] expected = new double[g.length];
                for (int i = 0; i < g.length; i++) expected[i] = op.ref.applyAsDouble(g[i]);
                assertTensor(op.op.apply(x, axes, true), DType.F64, outShape(shape, reduced, true), expected, 1e-12);
            }
        }
        // Softmax over the broadcast axis: every entry is 1/5.
        double[] fifth = new double[60];
        Arrays.fill(fifth, 0.2);
        assertTensor(x.softmax(1), shape, fifth);
    }

    @Test
    void argmaxReturnsTheFirstMaximumAlongAnyAxis() {
        Random rnd = new Random(21);
        for (int trial = 0; trial < 60; trial++) {
            int rank = 1 + rnd.nextInt(3);
            int[] shape = Layouts.shape(rnd, rank, 1, 2, 3, 5);
            int axis = rnd.nextInt(rank);
            double[] v = new double[Reference.numel(shape)];
            for (int i = 0; i < v.length; i++) v[i] = rnd.nextInt(4); // ties are common
            DType dt = rnd.nextBoolean() ? DType.F32 : DType.F64;
            Tensor x = Layouts.build(v, shape, dt, Layouts.Layout.values()[rnd.nextInt(3)]);
            boolean[] reduced = new boolean[rank];
            reduced[axis] = true;
            double[][] g = groups(v, shape, reduced);
            double[] expected = new double[g.length];
            for (int i = 0; i < g.length; i++) {
                int best = 0;
                for (int j = 1; j < g[i].length; j++) if (g[i][j] > g[i][best]) best = j;
                expected[i] = best;
            }
            boolean keepDim = rnd.nextBoolean();
            assertTensor(x.argmax(axis - (rnd.nextBoolean() ? rank : 0), keepDim), dt, outShape(shape, reduced, keepDim),
                    expected, 0);
        }
    }

    @Test
    void nanWinsMaxMinAndArgmax() {
        Tensor x = Tensor.of(new double[][]{{1, Double.NaN, 3}, {4, 5, 6}});
        assertTensor(x.max(new int[]{1}, false), new int[]{2}, new double[]{Double.NaN, 6});
        assertTensor(x.min(new int[]{1}, false), new int[]{2}, new double[]{Double.NaN, 4});
        assertTensor(x.max(new int[]{0}, false), new int[]{3}, new double[]{4, Double.NaN, 6});
        assertTensor(x.min(new int[]{0}, false), new int[]{3}, new double[]{1, Double.NaN, 3});
        assertTensor(x.argmax(1, false), new int[]{2}, new double[]{1, 2});
        assertTensor(x.argmax(0, false), new int[]{3}, new double[]{1, 0, 1});
        assertTensor(x.logsumexp(new int[]{1}, false), new int[]{2},
                new double[]{Double.NaN, 6 + Math.log(1 + Math.exp(-1) + Math.exp(-2))});
    }

    @Test
    void emptyReductionsFollowNumPy() {
        Tensor e = Tensor.zeros(DType.F32, 3, 0);
        assertTensor(e.sum(new int[]{1}, false), new int[]{3}, new double[]{0, 0, 0});
        assertTensor(e.mean(new int[]{1}, false), new int[]{3}, new double[]{Double.NaN, Double.NaN, Double.NaN});
        assertTensor(e.logsumexp(new int[]{1}, true), new int[]{3, 1}, new double[]{Double.NEGATIVE_INFINITY,
                Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY});
        assertTensor(e.sum(new int[]{0}, false), new int[]{0}, new double[0]);
        assertTensor(e.max(new int[]{0}, false), new int[]{0}, new double[0]);
        assertThat(e.sum().item()).isZero();
        assertThatThrownBy(e::max).hasMessage("max: cannot reduce over zero elements (axes [0, 1] of shape [3, 0])");
        assertThatThrownBy(() -> e.argmax(1, false))
                .hasMessage("argmax: cannot reduce over zero elements (axes [1] of shape [3, 0])");
        // No axes: nothing is reduced.
        Tensor x = Tensor.of(1, 2);
        assertTensor(x.sum(new int[0], false), new int[]{2}, new double[]{1, 2});
        assertTensor(Tensor.scalar(DType.F64, 3).sum(), new int[]{}, new double[]{3});
        assertTensor(Tensor.scalar(DType.F64, 3).max(), new int[]{}, new double[]{3});
    }

    @Test
    void varianceCorrectionAndStability() {
        // Large offset: E[x²] − E[x]² would lose every digit here; the two-pass formula does not.
        Tensor x = Tensor.of(1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4);
        assertThat(x.var(new int[]{0}, false, 0).item()).isEqualTo(1.25);
        assertThat(x.var(new int[]{0}, false, 1).item()).isCloseTo(5.0 / 3, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(Tensor.of(2).var(new int[]{0}, false, 1).item()).isNaN();
        assertThatThrownBy(() -> x.var(new int[]{0}, false, -1)).hasMessage("var: correction must be ≥ 0, got -1");
    }

    @Test
    void floatSumsAccumulateInDouble() {
        int n = 100_000;
        Tensor x = Tensor.full(DType.F32, 0.1, n);
        double exact = n * (double) 0.1f;
        assertThat(x.sum().item()).isCloseTo(exact, org.assertj.core.data.Percentage.withPercentage(1e-5));
        Tensor col = Tensor.full(DType.F32, 0.1, n, 2);
        assertThat(col.sum(new int[]{0}, false).toDoubleArray()[1]).isCloseTo(exact,
                org.assertj.core.data.Percentage.withPercentage(1e-5));
    }

    @Test
    void sumsOverAMiddleAxisAreTheRowOrderDoubleSumsWhateverTheBlocks() {
        // (N, R, D) summed over R: large enough to be cut into blocks of examples, each run by any thread; every
        // element must still be the double sum of its R values in row order, rounded once.
        Random rnd = new Random(25);
        int n = 37, r = 64, d = 301;
        double[] v = new double[n * r * d];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextGaussian();
        Tensor x = Tensor.fromArray(v, n, r, d).to(DType.F32);
        double[] xs = x.toDoubleArray(); // the F32 values, exactly
        double[] got = x.sum(new int[]{1}, false).toDoubleArray();
        for (int e = 0; e < n; e++) {
            for (int k = 0; k < d; k++) {
                double acc = 0;
                for (int j = 0; j < r; j++) acc += xs[(e * r + j) * d + k];
                assertThat(got[e * d + k]).isEqualTo((double) (float) acc);
            }
        }
    }

    @Test
    void axisErrorsNameTheOperation() {
        Tensor x = Tensor.zeros(DType.F32, 2, 3);
        assertThatThrownBy(() -> x.sum(2)).hasMessage("sum: axis 2 is out of range for a tensor of rank 2");
        assertThatThrownBy(() -> x.mean(new int[]{1, -1}, false))
                .hasMessage("mean: axis -1 appears twice in [1, -1] (shape [2, 3])");
        assertThatThrownBy(() -> x.logsumexp(new int[]{-3}, false))
                .hasMessage("logsumexp: axis -3 is out of range for a tensor of rank 2");
        assertThatThrownBy(() -> x.softmax(2)).hasMessage("softmax: axis 2 is out of range for a tensor of rank 2");
        assertThatThrownBy(() -> Tensor.scalar(DType.F32, 1).logSoftmax(0))
                .hasMessage("logSoftmax: needs rank ≥ 1, got a 0-d tensor");
    }

    // ---------------------------------------------------------------- softmax

    @Test
    void softmaxAndLogSoftmaxMatchTheReferenceAlongEveryAxis() {
        Random rnd = new Random(22);
        for (int trial = 0; trial < 80; trial++) {
            int rank = 1 + rnd.nextInt(4);
            int[] shape = Layouts.shape(rnd, rank, 1, 2, 3, 7, trial % 10 == 0 ? 0 : 4);
            int axis = rnd.nextInt(rank);
            DType dt = rnd.nextBoolean() ? DType.F32 : DType.F64;
            double[] v = Layouts.values(rnd, Reference.numel(shape), dt);
            for (int i = 0; i < v.length; i++) v[i] *= 10;
            Tensor x = Layouts.build(v, shape, dt, Layouts.Layout.values()[rnd.nextInt(3)]);
            double[] soft = new double[v.length], logSoft = new double[v.length];
            for (int flat = 0; flat < v.length; flat++) {
                int[] idx = Reference.unravel(flat, shape);
                double m = Double.NEGATIVE_INFINITY, s = 0;
                for (int j = 0; j < shape[axis]; j++) {
                    idx[axis] = j;
                    m = Math.max(m, v[Reference.ravel(idx, shape)]);
                }
                for (int j = 0; j < shape[axis]; j++) {
                    idx[axis] = j;
                    s += Math.exp(v[Reference.ravel(idx, shape)] - m);
                }
                soft[flat] = Math.exp(v[flat] - m) / s;
                logSoft[flat] = v[flat] - m - Math.log(s);
            }
            int a = rnd.nextBoolean() ? axis : axis - rank;
            double tol = dt == DType.F32 ? 1e-5 : 1e-13;
            assertTensor(x.softmax(a), dt, shape, soft, tol);
            assertTensor(x.logSoftmax(a), dt, shape, logSoft, tol);
        }
    }

    @Test
    void softmaxIsStableForHugeLogitsAndHandlesMaskedEntries() {
        double inf = Double.NEGATIVE_INFINITY;
        Tensor x = Tensor.of(new double[][]{{1000, 1001, 1002}, {-1000, inf, -1000}});
        double e1 = Math.exp(-1), e2 = Math.exp(-2), z = 1 + e1 + e2;
        assertTensor(x.softmax(-1), new int[]{2, 3}, new double[]{e2 / z, e1 / z, 1 / z, 0.5, 0, 0.5});
        assertTensor(x.logSoftmax(1), new int[]{2, 3},
                new double[]{-2 - Math.log(z), -1 - Math.log(z), -Math.log(z), -Math.log(2), inf, -Math.log(2)});
        assertTensor(x.to(DType.F32).softmax(1), DType.F32, new int[]{2, 3},
                new double[]{e2 / z, e1 / z, 1 / z, 0.5, 0, 0.5}, 1e-6);
        assertTensor(x.mT().softmax(0), new int[]{3, 2}, new double[]{e2 / z, 0.5, e1 / z, 0, 1 / z, 0.5});
        assertTensor(x.logsumexp(new int[]{1}, false), new int[]{2}, new double[]{1002 + Math.log(z), -1000 + Math.log(2)});
        // A fully masked row has no distribution: NaN, as in PyTorch.
        assertTensor(Tensor.of(inf, inf).softmax(0), new int[]{2}, new double[]{Double.NaN, Double.NaN});
    }

    @Test
    void softmaxRowsSumToOne() {
        Tensor x = new Rng(5).normal(DType.F32, 0, 5, 4, 9, 33);
        for (int axis = 0; axis < 3; axis++) {
            Tensor s = x.softmax(axis).sum(new int[]{axis}, false);
            for (double v : s.toDoubleArray()) assertThat(v).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void maskedSoftmaxGivesTheBitsOfScaleMaskThenSoftmax() {
        Random rnd = new Random(70);
        int t = 7;
        double[] causal = new double[t * t];
        for (int i = 0; i < t; i++) for (int j = i + 1; j < t; j++) causal[i * t + j] = 1;
        for (DType dt : DType.values()) {
            Tensor mask = Tensor.fromArray(causal, t, t).to(dt);
            for (Layouts.Layout layout : Layouts.Layout.values()) {
                int[] shape = {2, 3, t, t};
                Tensor x = Layouts.build(Layouts.values(rnd, Reference.numel(shape), dt), shape, dt, layout);
                double[] want = x.mul(0.35).maskedFill(mask, Double.NEGATIVE_INFINITY).softmax(-1).toDoubleArray();
                assertThat(x.maskedSoftmax(0.35, mask).toDoubleArray()).as("%s %s", dt, layout).containsExactly(want);
            }
            // Enough rows to be shared out in blocks: still the composite's bits.
            Tensor big = Tensor.fromArray(Layouts.values(rnd, 40 * 3 * t * t, dt), 40, 3, t, t).to(dt);
            assertThat(big.maskedSoftmax(0.35, mask).toDoubleArray())
                    .containsExactly(big.mul(0.35).maskedFill(mask, Double.NEGATIVE_INFINITY).softmax(-1).toDoubleArray());
            // A mask over whole rows of one batch entry broadcast differently, and a fully masked row (NaN, as -inf - -inf).
            Tensor x = Tensor.fromArray(Layouts.values(rnd, 2 * 3 * 4, dt), 2, 3, 4).to(dt);
            Tensor m = Tensor.of(new double[][]{{0, 1, 0, 0}, {1, 1, 1, 1}, {0, 0, 0, 0}}).to(dt);
            double[] want = x.mul(2).maskedFill(m, Double.NEGATIVE_INFINITY).softmax(-1).toDoubleArray();
            assertThat(x.maskedSoftmax(2, m).toDoubleArray()).containsExactly(want);
        }
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 2, 3).maskedSoftmax(1, Tensor.zeros(DType.F32, 2)))
                .hasMessage("maskedSoftmax: mask of shape [2] does not broadcast to the scores' shape [2, 3]");
    }

    @Test
    void softmaxBackwardMatchesItsFormula() {
        Random rnd = new Random(71);
        for (DType dt : DType.values()) {
            Tensor p = Tensor.fromArray(Layouts.values(rnd, 5 * 6, dt), 5, 6).to(dt).softmax(-1);
            Tensor g = Tensor.fromArray(Layouts.values(rnd, 5 * 6, dt), 5, 6).to(dt);
            double[] pv = p.toDoubleArray(), gv = g.toDoubleArray(), want = new double[30];
            for (int r = 0; r < 5; r++) {
                double dot = 0;
                for (int j = 0; j < 6; j++) dot += gv[r * 6 + j] * pv[r * 6 + j];
                for (int j = 0; j < 6; j++) want[r * 6 + j] = 0.5 * pv[r * 6 + j] * (gv[r * 6 + j] - dot);
            }
            assertTensor(Tensor.softmaxBackward(p, g, 0.5), dt, new int[]{5, 6}, want, dt == DType.F64 ? 1e-15 : 1e-6);
        }
        assertThatThrownBy(() -> Tensor.softmaxBackward(Tensor.zeros(DType.F32, 2, 3), Tensor.zeros(DType.F32, 3, 2), 1))
                .hasMessage("softmaxBackward: probabilities of shape [2, 3] and gradient of shape [3, 2] must have one shape"
                        + " of rank ≥ 1");
    }
}
