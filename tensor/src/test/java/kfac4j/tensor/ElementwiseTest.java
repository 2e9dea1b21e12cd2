package kfac4j.tensor;

import static kfac4j.tensor.Reference.assertTensor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;

import kfac4j.tensor.kernel.UnaryOp;
import org.junit.jupiter.api.Test;

/** Unary and binary elementwise operations, NumPy broadcasting, where/maskedFill, against scalar references. */
class ElementwiseTest {
    private static final int[][] SHAPES = {{}, {1}, {7}, {3, 5}, {2, 1, 3}, {1, 4, 1, 2}, {0, 3}, {3, 0}, {2, 3, 5, 2}};

    private record Unary(String name, Function<Tensor, Tensor> op, DoubleUnaryOperator ref, boolean positive) {
    }

    private static final Unary[] UNARY = {
            new Unary("neg", Tensor::neg, x -> -x, false),
            new Unary("exp", Tensor::exp, Math::exp, false),
            new Unary("log", Tensor::log, Math::log, true),
            new Unary("log1p", Tensor::log1p, Math::log1p, true),
            new Unary("sqrt", Tensor::sqrt, Math::sqrt, true),
            new Unary("rsqrt", Tensor::rsqrt, x -> 1 / Math.sqrt(x), true),
            new Unary("abs", Tensor::abs, Math::abs, false),
            new Unary("sign", Tensor::sign, Math::signum, false),
            new Unary("tanh", Tensor::tanh, Math::tanh, false),
            new Unary("sigmoid", Tensor::sigmoid, x -> 1 / (1 + Math.exp(-x)), false),
            new Unary("relu", Tensor::relu, x -> Math.max(x, 0), false),
            new Unary("geluTanh", Tensor::geluTanh,
                    x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))), false),
            new Unary("sin", Tensor::sin, Math::sin, false),
            new Unary("cos", Tensor::cos, Math::cos, false),
            new Unary("square", Tensor::square, x -> x * x, false),
            new Unary("reciprocal", Tensor::reciprocal, x -> 1 / x, true),
    };

    @Test
    void everyUnaryOpMatchesItsDefinitionInEveryLayout() {
        Random rnd = new Random(10);
        for (Unary u : UNARY) {
            for (int[] shape : SHAPES) {
                for (Layouts.Layout layout : Layouts.Layout.values()) {
                    DType dt = rnd.nextBoolean() ? DType.F32 : DType.F64;
                    double[] v = Layouts.values(rnd, Reference.numel(shape), dt);
                    if (u.positive) for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]) + 0.125;
                    Tensor x = Layouts.build(v, shape, dt, layout);
                    double[] expected = new double[v.length];
                    for (int i = 0; i < v.length; i++) expected[i] = u.ref.applyAsDouble(v[i]);
                    Tensor y = u.op.apply(x);
                    assertThat(y.isContiguous()).isTrue();
                    assertTensor(y, dt, shape, expected, Reference.tol(dt));
                }
            }
        }
    }

    @Test
    void unaryOpsReadViewsWhoseRowsAreContiguousButApart() {
        // (2, 3, 4) stored as (3, 2, 4): the view swaps the outer axes, so rows of 4 are contiguous but not in order.
        Random rnd = new Random(11);
        for (DType dt : DType.values()) {
            double[] stored = Layouts.values(rnd, 24, dt);
            Tensor x = Tensor.fromArray(stored, 3, 2, 4).to(dt).permute(1, 0, 2);
            for (Unary u : UNARY) {
                if (u.positive) continue;
                double[] expected = new double[24];
                for (int i = 0; i < 2; i++) {
                    for (int j = 0; j < 3; j++) {
                        for (int k = 0; k < 4; k++) expected[(i * 3 + j) * 4 + k] = u.ref.applyAsDouble(stored[(j * 2 + i) * 4 + k]);
                    }
                }
                assertTensor(u.op.apply(x), dt, new int[]{2, 3, 4}, expected, Reference.tol(dt));
            }
        }
    }

    @Test
    void largeOperandsSharedOutInBlocksGiveTheElementwiseDefinition() {
        // Big enough to be cut into blocks (several per thread): one run, many runs with a broadcast row or column,
        // a permuted view with contiguous rows, and wherePositive; each element against its definition.
        Random rnd = new Random(15);
        int rows = 301, cols = 517, n = rows * cols;
        for (DType dt : DType.values()) {
            double[] av = Layouts.values(rnd, n, dt), bv = Layouts.values(rnd, n, dt);
            double[] rowv = Layouts.values(rnd, cols, dt), colv = Layouts.values(rnd, rows, dt);
            Tensor a = Tensor.fromArray(av, rows, cols).to(dt), b = Tensor.fromArray(bv, rows, cols).to(dt);
            Tensor row = Tensor.fromArray(rowv, cols).to(dt), col = Tensor.fromArray(colv, rows, 1).to(dt);
            double[] sum = a.add(b).toDoubleArray(), byRow = a.mul(row).toDoubleArray(), byCol = a.sub(col).toDoubleArray();
            double[] neg = a.neg().toDoubleArray(), keep = b.wherePositive(a).toDoubleArray();
            // (cols, rows) stored, viewed transposed blockwise: rows of 11 contiguous, out of order.
            Tensor perm = Tensor.fromArray(bv, cols / 11, rows, 11).to(dt).permute(1, 0, 2);
            double[] permNeg = perm.neg().toDoubleArray();
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    int k = i * cols + j;
                    assertThat(sum[k]).isEqualTo(round(dt, av[k] + bv[k]));
                    assertThat(byRow[k]).isEqualTo(round(dt, av[k] * rowv[j]));
                    assertThat(byCol[k]).isEqualTo(round(dt, av[k] - colv[i]));
                    assertThat(neg[k]).isEqualTo(-av[k]);
                    assertThat(keep[k]).isEqualTo(av[k] > 0 ? bv[k] : 0);
                    int q = j / 11, r = j % 11;
                    assertThat(permNeg[k]).isEqualTo(-bv[(q * rows + i) * 11 + r]);
                }
            }
        }
    }

    private static double round(DType dt, double v) {
        return dt == DType.F32 ? (float) v : v;
    }

    @Test
    void addScaledInPlaceWithABroadcastSourceGivesTheBitsOfAddAndMul() {
        // A bias over rows, a column, a scalar and a middle axis: in place, the same rounding as t + alpha·x.
        Random rnd = new Random(14);
        int[][][] cases = {{{4, 6}, {6}}, {{4, 6}, {4, 1}}, {{3, 4, 5}, {1}}, {{3, 4, 5}, {4, 1}}, {{3, 4, 5}, {3, 1, 5}}};
        for (int[][] c : cases) {
            for (DType dt : DType.values()) {
                for (double alpha : new double[]{1, -0.3}) {
                    Tensor t = Tensor.fromArray(Layouts.values(rnd, Reference.numel(c[0]), dt), c[0]).to(dt);
                    Tensor x = Tensor.fromArray(Layouts.values(rnd, Reference.numel(c[1]), dt), c[1]).to(dt);
                    double[] want = t.add(x.mul(alpha)).toDoubleArray();
                    t.addScaledInPlace(alpha, x);
                    assertThat(t.toDoubleArray()).as("%s += %s·%s (%s)", Arrays.toString(c[0]), alpha,
                            Arrays.toString(c[1]), dt).containsExactly(want);
                }
            }
        }
    }

    /**
     * The same-shape in-place ops over several blocks of threads' work, on views that start inside their storage:
     * every element is {@code y + a·x} (the product rounded first) or {@code y·s}, in the dtype, as written out here.
     */
    @Test
    void inPlaceOpsOverManyBlocksRoundElementByElement() {
        Random rnd = new Random(15);
        int n = 3 * Blocks.GRAIN + 17;
        for (DType dt : DType.values()) {
            double[] tv = Layouts.values(rnd, n + 5, dt), xv = Layouts.values(rnd, n + 2, dt);
            Tensor t = Tensor.fromArray(tv, n + 5).to(dt).narrow(0, 5, n), x = Tensor.fromArray(xv, n + 2).to(dt).narrow(0, 2, n);
            double alpha = -0.3, s = 1.7;
            t.addScaledInPlace(alpha, x);
            double[] got = t.toDoubleArray();
            t.mulInPlace(s);
            double[] scaled = t.toDoubleArray();
            for (int i = 0; i < n; i++) {
                double y = tv[i + 5], v = xv[i + 2];
                double want = dt == DType.F32 ? (float) y + (float) alpha * (float) v : y + alpha * v;
                assertThat(got[i]).as("%s element %d of y + a·x", dt, i).isEqualTo(want);
                double wantScaled = dt == DType.F32 ? (float) want * (float) s : want * s;
                assertThat(scaled[i]).as("%s element %d of y·s", dt, i).isEqualTo(wantScaled);
            }
        }
    }

    @Test
    void wherePositiveKeepsTheGradientWhereTheInputIsPositive() {
        Random rnd = new Random(12);
        for (int[] shape : SHAPES) {
            for (Layouts.Layout layout : Layouts.Layout.values()) {
                DType dt = rnd.nextBoolean() ? DType.F32 : DType.F64, xt = rnd.nextBoolean() ? DType.F32 : DType.F64;
                int n = Reference.numel(shape);
                double[] gv = Layouts.values(rnd, n, dt), xv = Layouts.values(rnd, n, xt);
                double[] special = {0, Double.NaN, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Float.MIN_VALUE};
                for (int i = 0; i < n; i += 3) xv[i] = special[i / 3 % special.length];
                Tensor g = Layouts.build(gv, shape, dt, layout);
                Tensor x = Layouts.build(xv, shape, xt, Layouts.Layout.values()[rnd.nextInt(3)]);
                double[] expected = new double[n];
                for (int i = 0; i < n; i++) expected[i] = xv[i] > 0 ? gv[i] : 0;
                assertTensor(g.wherePositive(x), dt, shape, expected, 0);
                if (g.isContiguous()) {
                    int version = g.version();
                    assertThat(g.wherePositiveInPlace(x)).isSameAs(g);
                    assertTensor(g, dt, shape, expected, 0);
                    assertThat(g.version()).isEqualTo(version + 1);
                }
            }
        }
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 2, 3).wherePositive(Tensor.zeros(DType.F32, 3)))
                .hasMessage("wherePositive: shapes [2, 3] and [3] differ");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 2, 3).wherePositiveInPlace(Tensor.zeros(DType.F32, 3, 2)))
                .hasMessage("wherePositiveInPlace: shapes [2, 3] and [3, 2] differ");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 3, 2).transpose(0, 1).wherePositiveInPlace(Tensor.zeros(DType.F32, 2, 3)))
                .hasMessage("wherePositiveInPlace: the target must be contiguous, got shape [2, 3] with strides [1, 2]");
    }

    @Test
    void wherePositiveInPlaceOverAViewAtAnOffsetLeavesTheRestOfItsStorageAlone() {
        Tensor whole = Tensor.of(1, 2, 3, 4, 5, 6, 7, 8);
        Tensor view = whole.narrow(0, 2, 4); // 3, 4, 5, 6
        view.wherePositiveInPlace(Tensor.of(1, -1, 0, 2));
        assertThat(whole.toDoubleArray()).containsExactly(1, 2, 3, 0, 0, 6, 7, 8);
    }

    @Test
    void unaryOpsLeaveTheirInputAlone() {
        Tensor x = Tensor.of(1, -2, 3);
        x.exp();
        x.map(UnaryOp.SQUARE);
        assertThat(x.toDoubleArray()).containsExactly(1, -2, 3);
    }

    @Test
    void erfAndExactGeluMatchTabulatedValues() {
        // erf(t) to 16 digits (Abramowitz and Stegun table 7.1 / any CAS).
        double[] t = {0.1, 0.5, 1.0, 2.0, 3.0, -0.3};
        double[] erf = {0.1124629160182849, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527,
                0.9999779095030014, -0.3286267594591912};
        assertTensor(Tensor.of(t).erf(), new int[]{6}, erf);
        // GELU(x) = x Φ(x) = x (1 + erf(x/√2)) / 2; at x = √2·t that is √2·t (1 + erf(t)) / 2.
        double[] x = new double[t.length], gelu = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            x[i] = Math.sqrt(2) * t[i];
            gelu[i] = x[i] * (1 + erf[i]) / 2;
        }
        assertTensor(Tensor.of(x).gelu(), new int[]{6}, gelu);
        assertTensor(Tensor.of(x).to(DType.F32).gelu(), DType.F32, new int[]{6}, gelu, 1e-6);
        assertTensor(Tensor.of(0, 7, -7).erf(), new int[]{3}, new double[]{0, 1, -1});
        // GELU'(x) = Φ(x) + x φ(x); at x = √2·t that is (1 + erf(t)) / 2 + √2·t e^(−t²) / √(2π).
        double[] grad = new double[t.length];
        for (int i = 0; i < t.length; i++) grad[i] = (1 + erf[i]) / 2 + x[i] * Math.exp(-t[i] * t[i]) / Math.sqrt(2 * Math.PI);
        assertTensor(Tensor.of(x).geluDerivative(), new int[]{6}, grad);
        assertTensor(Tensor.of(x).to(DType.F32).geluDerivative(), DType.F32, new int[]{6}, grad, 1e-6);
        // The backward: the bits of grad ⊙ GELU'(x), for a strided gradient too.
        for (DType dt : DType.values()) {
            Tensor xs = Tensor.of(x).to(dt), g = Tensor.of(3, -1, 0.5, 2, -4, 1.5).to(dt).reshape(2, 3).mT().reshape(6);
            assertThat(xs.geluBackward(g).toDoubleArray()).containsExactly(g.mul(xs.geluDerivative()).toDoubleArray());
        }
        assertThatThrownBy(() -> Tensor.of(1, 2).geluBackward(Tensor.of(1, 2, 3)))
                .hasMessage("geluBackward: input of shape [2] and gradient of shape [3] differ");
    }

    @Test
    void sigmoidAndExpSaturateWithoutNaN() {
        assertTensor(Tensor.of(-800, 800, 0).sigmoid(), new int[]{3}, new double[]{0, 1, 0.5});
        assertTensor(Tensor.of(-800, 800).exp(), new int[]{2}, new double[]{0, Double.POSITIVE_INFINITY});
        assertTensor(Tensor.of(0, -1).log(), new int[]{2}, new double[]{Double.NEGATIVE_INFINITY, Double.NaN});
        assertTensor(Tensor.of(0, -0.0, 3).sign(), new int[]{3}, new double[]{0, 0, 1});
        assertTensor(Tensor.of(0, -0.0).reciprocal(), new int[]{2}, new double[]{Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY});
    }

    // ---------------------------------------------------------------- binary ops and broadcasting

    private record Binary(String name, BiFunction<Tensor, Tensor, Tensor> op, DoubleBinaryOperator ref) {
    }

    private static final Binary[] BINARY = {
            new Binary("add", Tensor::add, Double::sum),
            new Binary("sub", Tensor::sub, (a, b) -> a - b),
            new Binary("mul", Tensor::mul, (a, b) -> a * b),
            new Binary("div", Tensor::div, (a, b) -> a / b),
            new Binary("pow", Tensor::pow, Math::pow),
            new Binary("minimum", Tensor::minimum, Math::min),
            new Binary("maximum", Tensor::maximum, Math::max),
            new Binary("eq", Tensor::eq, (a, b) -> a == b ? 1 : 0),
            new Binary("ne", Tensor::ne, (a, b) -> a != b ? 1 : 0),
            new Binary("lt", Tensor::lt, (a, b) -> a < b ? 1 : 0),
            new Binary("le", Tensor::le, (a, b) -> a <= b ? 1 : 0),
            new Binary("gt", Tensor::gt, (a, b) -> a > b ? 1 : 0),
            new Binary("ge", Tensor::ge, (a, b) -> a >= b ? 1 : 0),
    };

    /** NumPy's rule, written out: align at the right, sizes equal or one of them 1. */
    static int[] broadcastShape(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - r + a.length], db = i < r - b.length ? 1 : b[i - r + b.length];
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** The value of an operand of shape {@code s} at output index {@code idx} under broadcasting. */
    static double at(double[] v, int[] s, int[] idx) {
        int[] j = new int[s.length];
        for (int k = 0; k < s.length; k++) j[k] = s[k] == 1 ? 0 : idx[idx.length - s.length + k];
        return v[Reference.ravel(j, s)];
    }

    /** A random operand shape that broadcasts to {@code out}: some leading axes dropped, some sizes set to 1. */
    private static int[] operandShape(Random rnd, int[] out) {
        int rank = out.length - rnd.nextInt(out.length + 1);
        int[] s = Arrays.copyOfRange(out, out.length - rank, out.length);
        for (int i = 0; i < s.length; i++) if (rnd.nextInt(3) == 0) s[i] = 1;
        return s;
    }

    @Test
    void binaryOpsBroadcastAsNumPyInEveryLayoutAndDtype() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 120; trial++) {
            int[] out = Layouts.shape(rnd, rnd.nextInt(5), 1, 2, 3, 5, 7, trial % 10 == 0 ? 0 : 4);
            int[] as = operandShape(rnd, out), bs = operandShape(rnd, out);
            if (trial % 2 == 0) as = out.clone();
            DType da = rnd.nextBoolean() ? DType.F32 : DType.F64, db = rnd.nextBoolean() ? DType.F32 : DType.F64;
            DType dt = da == DType.F64 || db == DType.F64 ? DType.F64 : DType.F32;
            double[] av = Layouts.values(rnd, Reference.numel(as), da), bv = Layouts.values(rnd, Reference.numel(bs), db);
            // Some equal values, so the comparisons see ties.
            for (int i = 0; i < bv.length; i++) {
                if (rnd.nextInt(4) == 0 && av.length > 0) bv[i] = db == DType.F32 ? (float) av[i % av.length] : av[i % av.length];
            }
            Layouts.Layout[] layouts = Layouts.Layout.values();
            Tensor a = Layouts.build(av, as, da, layouts[rnd.nextInt(3)]);
            Tensor b = Layouts.build(bv, bs, db, layouts[rnd.nextInt(3)]);
            int[] shape = broadcastShape(as, bs);
            for (Binary op : BINARY) {
                double[] expected = new double[Reference.numel(shape)];
                for (int i = 0; i < expected.length; i++) {
                    int[] idx = Reference.unravel(i, shape);
                    double x = at(av, as, idx), y = at(bv, bs, idx);
                    expected[i] = op.ref.applyAsDouble(x, y);
                }
                try {
                    assertTensor(op.op.apply(a, b), dt, shape, expected, Reference.tol(dt));
                } catch (AssertionError e) {
                    throw new AssertionError(op.name + " of " + Arrays.toString(as) + " " + da + " and "
                            + Arrays.toString(bs) + " " + db + ": " + e.getMessage(), e);
                }
            }
        }
    }

    @Test
    void broadcastingAnExpandedViewReadsStrideZeroAxes() {
        Random rnd = new Random(12);
        double[] base = Layouts.values(rnd, 6, DType.F64), ev = new double[60];
        Tensor e = Layouts.expanded(base, new int[]{3, 1, 2}, new int[]{2, 3, 5, 2}, DType.F64, ev);
        double[] other = Layouts.values(rnd, 60, DType.F64);
        Tensor o = Layouts.build(other, new int[]{2, 3, 5, 2}, DType.F64, Layouts.Layout.STRIDED);
        double[] expected = new double[60];
        for (int i = 0; i < 60; i++) expected[i] = ev[i] * other[i];
        assertTensor(e.mul(o), new int[]{2, 3, 5, 2}, expected);
        assertTensor(o.mul(e), new int[]{2, 3, 5, 2}, expected);
        assertTensor(e.exp(), new int[]{2, 3, 5, 2}, Arrays.stream(ev).map(Math::exp).toArray());
    }

    @Test
    void scalarOperandsKeepTheTensorDtype() {
        Tensor f = Tensor.of(DType.F32, 1, 2, 4);
        Tensor r = f.add(0.1);
        assertThat(r.dtype()).isEqualTo(DType.F32);
        assertTensor(r, DType.F32, new int[]{3}, new double[]{1.1f, 2.1f, 4.1f}, 0);
        assertTensor(f.sub(1), new int[]{3}, new double[]{0, 1, 3});
        assertTensor(f.mul(-2), new int[]{3}, new double[]{-2, -4, -8});
        assertTensor(f.div(4), new int[]{3}, new double[]{0.25, 0.5, 1});
        assertTensor(f.pow(2), new int[]{3}, new double[]{1, 4, 16});
        assertTensor(f.pow(0.5), new int[]{3}, new double[]{1, Math.sqrt(2), 2});
        assertTensor(f.minimum(2), new int[]{3}, new double[]{1, 2, 2});
        assertTensor(f.maximum(2), new int[]{3}, new double[]{2, 2, 4});
        assertTensor(f.rsub(10), new int[]{3}, new double[]{9, 8, 6});
        assertTensor(f.eq(2), new int[]{3}, new double[]{0, 1, 0});
        assertTensor(f.ne(2), new int[]{3}, new double[]{1, 0, 1});
        assertTensor(f.lt(2), new int[]{3}, new double[]{1, 0, 0});
        assertTensor(f.le(2), new int[]{3}, new double[]{1, 1, 0});
        assertTensor(f.gt(2), new int[]{3}, new double[]{0, 0, 1});
        assertTensor(f.ge(2), new int[]{3}, new double[]{0, 1, 1});
        assertThat(Tensor.of(1, 2).add(Tensor.of(DType.F32, 1)).dtype()).isEqualTo(DType.F64);
    }

    @Test
    void nanPropagatesThroughMinimumMaximumAndComparesFalse() {
        Tensor a = Tensor.of(Double.NaN, 1, 2), b = Tensor.of(0, Double.NaN, 3);
        assertTensor(a.minimum(b), new int[]{3}, new double[]{Double.NaN, Double.NaN, 2});
        assertTensor(a.maximum(b), new int[]{3}, new double[]{Double.NaN, Double.NaN, 3});
        assertTensor(a.eq(a), new int[]{3}, new double[]{0, 1, 1});
        assertTensor(a.ne(a), new int[]{3}, new double[]{1, 0, 0});
        assertTensor(Tensor.of(1, 0, -1).div(Tensor.of(0.0)), new int[]{3},
                new double[]{Double.POSITIVE_INFINITY, Double.NaN, Double.NEGATIVE_INFINITY});
    }

    @Test
    void clampBoundsValues() {
        assertTensor(Tensor.of(-3, 0.5, 7).clamp(-1, 1), new int[]{3}, new double[]{-1, 0.5, 1});
        assertTensor(Tensor.of(-3, 0.5).clamp(2, 2), new int[]{2}, new double[]{2, 2});
        assertThatThrownBy(() -> Tensor.of(1).clamp(1, 0)).hasMessage("clamp: lower bound 1.0 exceeds upper bound 0.0");
    }

    @Test
    void incompatibleShapesNameTheOperationAndBothShapes() {
        Tensor a = Tensor.zeros(DType.F32, 2, 3);
        assertThatThrownBy(() -> a.add(Tensor.zeros(DType.F32, 4)))
                .hasMessage("add: shapes [2, 3] and [4] cannot be broadcast together");
        assertThatThrownBy(() -> a.mul(Tensor.zeros(DType.F64, 3, 3)))
                .hasMessage("mul: shapes [2, 3] and [3, 3] cannot be broadcast together");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 0).sub(Tensor.zeros(DType.F32, 2)))
                .hasMessage("sub: shapes [0] and [2] cannot be broadcast together");
        assertThatThrownBy(() -> a.lt(Tensor.zeros(DType.F32, 1, 2, 1, 2)))
                .hasMessage("lt: shapes [2, 3] and [1, 2, 1, 2] cannot be broadcast together");
        // Size 1 broadcasts against 0; 0 against 0.
        assertThat(Tensor.zeros(DType.F32, 1, 3).add(Tensor.zeros(DType.F32, 0, 1)).shape()).containsExactly(0, 3);
    }

    // ---------------------------------------------------------------- where and maskedFill

    @Test
    void whereBroadcastsAllThreeOperands() {
        Random rnd = new Random(13);
        for (int trial = 0; trial < 40; trial++) {
            int[] out = Layouts.shape(rnd, 1 + rnd.nextInt(3), 1, 2, 3, 5);
            int[] cs = operandShape(rnd, out), as = operandShape(rnd, out), bs = operandShape(rnd, out);
            double[] cv = new double[Reference.numel(cs)];
            for (int i = 0; i < cv.length; i++) cv[i] = rnd.nextBoolean() ? 0 : rnd.nextInt(3) - 1.5;
            DType ct = rnd.nextBoolean() ? DType.F32 : DType.F64;
            DType at = rnd.nextBoolean() ? DType.F32 : DType.F64, bt = rnd.nextBoolean() ? DType.F32 : DType.F64;
            double[] av = Layouts.values(rnd, Reference.numel(as), at), bv = Layouts.values(rnd, Reference.numel(bs), bt);
            Layouts.Layout[] l = Layouts.Layout.values();
            Tensor r = Tensor.where(Layouts.build(cv, cs, ct, l[rnd.nextInt(3)]), Layouts.build(av, as, at, l[rnd.nextInt(3)]),
                    Layouts.build(bv, bs, bt, l[rnd.nextInt(3)]));
            int[] shape = broadcastShape(broadcastShape(cs, as), bs);
            double[] expected = new double[Reference.numel(shape)];
            for (int i = 0; i < expected.length; i++) {
                int[] idx = Reference.unravel(i, shape);
                expected[i] = at(cv, cs, idx) != 0 ? at(av, as, idx) : at(bv, bs, idx);
            }
            assertTensor(r, at == DType.F64 || bt == DType.F64 ? DType.F64 : DType.F32, shape, expected, 0);
        }
        // A condition is true exactly where it is non-zero: −0 is false, NaN and the tiniest subnormal are true.
        for (DType ct : DType.values()) {
            for (DType vt : DType.values()) {
                Tensor cond = Tensor.of(0, -0.0, Double.NaN, Float.MIN_VALUE, -2, Double.POSITIVE_INFINITY).to(ct);
                Tensor r = Tensor.where(cond, Tensor.full(vt, 1, 6), Tensor.full(vt, 2, 6));
                assertThat(r.toDoubleArray()).as("%s condition, %s values", ct, vt).containsExactly(2, 2, 1, 1, 1, 1);
            }
        }
        assertThatThrownBy(() -> Tensor.where(Tensor.zeros(DType.F32, 2), Tensor.zeros(DType.F32, 3), Tensor.zeros(DType.F32, 1)))
                .hasMessage("where: shapes [2] (condition), [3] and [1] cannot be broadcast together");
    }

    @Test
    void maskedFillWritesWhereTheMaskIsSet() {
        // A causal mask: -inf above the diagonal, broadcast over a batch of score matrices.
        Tensor scores = Tensor.arange(DType.F32, 18).reshape(2, 3, 3);
        Tensor upper = Tensor.arange(DType.F32, 3).reshape(1, 3).gt(Tensor.arange(DType.F32, 3).reshape(3, 1));
        Tensor masked = scores.maskedFill(upper, Double.NEGATIVE_INFINITY);
        double inf = Double.NEGATIVE_INFINITY;
        assertTensor(masked, DType.F32, new int[]{2, 3, 3},
                new double[]{0, inf, inf, 3, 4, inf, 6, 7, 8, 9, inf, inf, 12, 13, inf, 15, 16, 17}, 0);
        assertThat(scores.get(0, 0, 1)).isEqualTo(1);
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 3).maskedFill(Tensor.zeros(DType.F32, 2, 3), 1))
                .hasMessage("maskedFill: mask of shape [2, 3] does not broadcast to the tensor's shape [3]");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 3).maskedFill(Tensor.zeros(DType.F32, 2), 1))
                .hasMessage("maskedFill: mask of shape [2] does not broadcast to the tensor's shape [3]");
    }
}
