package kfac4j.autograd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * Every differentiable operation, gradient-checked in F64 against central differences (relative error ≤ 1e-6) on
 * random shapes (size 1, primes, rank 0, broadcasting) with contiguous and non-contiguous inputs; most also checked to
 * second order (double backward). Ops whose rule composes several tensor ops are also checked inside composites.
 */
class OpGradientTest {
    private static final int[][] SHAPES = {{}, {1}, {7}, {2, 3}, {3, 1, 5}};

    private final Rng rng = new Rng(20240611);

    private Tensor randn(int... shape) {
        return rng.normal(DType.F64, 0, 1, shape);
    }

    /** Values in [0.5, 2.5): inside the domain of log, sqrt, pow. */
    private Tensor positive(int... shape) {
        return rng.uniform(DType.F64, 0.5, 2.5, shape);
    }

    /** Normal values pushed at least 0.2 away from 0, where relu, abs and reciprocal are smooth. */
    private Tensor awayFromZero(int... shape) {
        Tensor x = randn(shape);
        return x.add(x.sign().mul(0.2));
    }

    /**
     * The same values in a non-contiguous layout: stored with the axes reversed when two or more axes are longer than
     * 1, else every other element of a buffer twice as long.
     */
    static Tensor nonContiguous(Tensor t) {
        int n = t.numel();
        if (n <= 1) return t;
        int longAxes = 0;
        for (int s : t.shape()) if (s > 1) longAxes++;
        Tensor v;
        if (longAxes >= 2) {
            int[] reverse = new int[t.rank()];
            for (int i = 0; i < reverse.length; i++) reverse[i] = reverse.length - 1 - i;
            v = t.permute(reverse).contiguous().permute(reverse);
        } else {
            v = t.reshape(n).unsqueeze(1).expand(n, 2).contiguous().select(1, 0).reshape(t.shape());
        }
        assertThat(v.isContiguous()).as("a non-contiguous layout of %s", t).isFalse();
        assertThat(v.toDoubleArray()).containsExactly(t.toDoubleArray());
        return v;
    }

    /** First-order check with the inputs as given and in a non-contiguous layout. */
    private static void check(Function<List<Variable>, Variable> f, Tensor... inputs) {
        GradCheck.check(f, inputs);
        Tensor[] nc = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) nc[i] = nonContiguous(inputs[i]);
        GradCheck.check(f, nc);
    }

    /** First- and second-order checks. */
    private static void check2(Function<List<Variable>, Variable> f, Tensor... inputs) {
        check(f, inputs);
        GradCheck.checkSecondOrder(f, inputs);
    }

    private static Variable c(Tensor t) {
        return Variable.constant(t);
    }

    // ---------------------------------------------------------------- elementwise

    private record Unary(String name, UnaryOperator<Variable> op, String domain, boolean secondOrder) {
    }

    @TestFactory
    Stream<DynamicTest> unaryOpsOnEveryShape() {
        List<Unary> ops = List.of(
                new Unary("neg", Variable::neg, "any", true),
                new Unary("exp", Variable::exp, "any", true),
                new Unary("log", Variable::log, "positive", true),
                new Unary("log1p", Variable::log1p, "positive", true),
                new Unary("sqrt", Variable::sqrt, "positive", true),
                new Unary("rsqrt", Variable::rsqrt, "positive", true),
                new Unary("reciprocal", Variable::reciprocal, "away", true),
                new Unary("abs", Variable::abs, "away", true),
                new Unary("tanh", Variable::tanh, "any", true),
                new Unary("sigmoid", Variable::sigmoid, "any", true),
                new Unary("relu", Variable::relu, "away", true),
                new Unary("erf", Variable::erf, "any", true),
                new Unary("gelu", Variable::gelu, "any", true),
                new Unary("geluTanh", Variable::geluTanh, "any", true),
                new Unary("sin", Variable::sin, "any", true),
                new Unary("cos", Variable::cos, "any", true),
                new Unary("square", Variable::square, "any", true),
                new Unary("pow 3", x -> x.pow(3), "any", true),
                new Unary("pow -1.5", x -> x.pow(-1.5), "positive", true),
                new Unary("add scalar", x -> x.add(1.25), "any", false),
                new Unary("sub scalar", x -> x.sub(0.75), "any", false),
                new Unary("mul scalar", x -> x.mul(-2.5), "any", false),
                new Unary("div scalar", x -> x.div(3.0), "any", false),
                new Unary("rsub scalar", x -> x.rsub(2.0), "any", false),
                new Unary("maximum scalar", x -> x.maximum(0.3).square(), "any", true),
                new Unary("minimum scalar", x -> x.minimum(-0.3).square(), "any", true),
                new Unary("clamp", x -> x.clamp(-0.9, 0.9), "any", true),
                new Unary("contiguous", Variable::contiguous, "any", false));
        List<DynamicTest> tests = new ArrayList<>();
        for (Unary u : ops) {
            tests.add(DynamicTest.dynamicTest(u.name(), () -> {
                for (int[] shape : SHAPES) {
                    Tensor x = switch (u.domain()) {
                        case "positive" -> positive(shape);
                        case "away" -> awayFromZero(shape);
                        default -> randn(shape);
                    };
                    Function<List<Variable>, Variable> f = v -> u.op().apply(v.get(0));
                    if (u.secondOrder()) check2(f, x);
                    else check(f, x);
                }
            }));
        }
        return tests.stream();
    }

    private record Binary(String name, java.util.function.BinaryOperator<Variable> op, boolean positive) {
    }

    @TestFactory
    Stream<DynamicTest> binaryOpsWithBroadcasting() {
        List<Binary> ops = List.of(
                new Binary("add", Variable::add, false),
                new Binary("sub", Variable::sub, false),
                new Binary("mul", Variable::mul, false),
                new Binary("div", Variable::div, true),
                new Binary("pow", Variable::pow, true),
                new Binary("maximum", Variable::maximum, false),
                new Binary("minimum", Variable::minimum, false),
                new Binary("where", (a, b) -> Variable.where(a.value().gt(0.3), a, b), false));
        int[][][] pairs = {
                {{2, 3}, {2, 3}}, {{3, 1}, {1, 4}}, {{2, 3, 5}, {5}}, {{5}, {}}, {{1}, {3, 1}}, {{7, 2}, {1, 2}}};
        List<DynamicTest> tests = new ArrayList<>();
        for (Binary b : ops) {
            tests.add(DynamicTest.dynamicTest(b.name(), () -> {
                for (int[][] pair : pairs) {
                    Tensor x = b.positive() ? positive(pair[0]) : randn(pair[0]);
                    Tensor y = b.positive() ? positive(pair[1]) : randn(pair[1]);
                    check2(v -> b.op().apply(v.get(0), v.get(1)), x, y);
                    check2(v -> b.op().apply(v.get(1), v.get(0)), x, y);
                }
            }));
        }
        return tests.stream();
    }

    @Test
    void maskedFillAndWhereWithConstantBranch() {
        Tensor x = randn(3, 4);
        Tensor mask = randn(1, 4).gt(0);
        check2(v -> v.get(0).maskedFill(mask, -7).mul(v.get(0)), x);
        check2(v -> Variable.where(mask, v.get(0).exp(), c(Tensor.scalar(DType.F64, 2))), x);
    }

    // ---------------------------------------------------------------- matmul

    @Test
    void matmulOfMatricesBatchesAndVectors() {
        int[][][] pairs = {
                {{1, 1}, {1, 1}}, {{3, 5}, {5, 2}}, {{2, 3, 4}, {4, 5}}, {{2, 1, 3, 2}, {5, 2, 3}}, {{7}, {7, 3}},
                {{3, 7}, {7}}, {{4}, {4}}, {{2, 3, 4}, {4}}};
        for (int[][] pair : pairs) {
            check2(v -> v.get(0).matmul(v.get(1)), randn(pair[0]), randn(pair[1]));
        }
        // Transposed operands are read through their views.
        check2(v -> v.get(0).mT().matmul(v.get(1).mT()), randn(5, 3), randn(2, 5));
    }

    // ---------------------------------------------------------------- reductions

    @Test
    void sumsAndMeansOverAxes() {
        Tensor x = randn(2, 3, 5);
        check2(v -> v.get(0).sum(), x);
        check2(v -> v.get(0).mean(), x);
        check2(v -> v.get(0).sum(1), x);
        check2(v -> v.get(0).sum(new int[]{0, 2}, true), x);
        check2(v -> v.get(0).sum(new int[]{-1}, false).square(), x);
        check2(v -> v.get(0).mean(new int[]{0, 1}, false), x);
        check2(v -> v.get(0).mean(-1), x);
        check2(v -> v.get(0).sum(), randn());
    }

    @Test
    void softmaxLogSoftmaxLogsumexp() {
        for (int[] shape : new int[][]{{1}, {7}, {2, 3}, {3, 1, 5}}) {
            Tensor x = randn(shape).mul(2);
            for (int axis = 0; axis < shape.length; axis++) {
                int a = axis;
                check2(v -> v.get(0).softmax(a).mul(v.get(0)), x);
                check2(v -> v.get(0).logSoftmax(a), x);
                check2(v -> v.get(0).logsumexp(new int[]{a}, false), x);
            }
        }
        Tensor x = randn(2, 3, 5);
        check2(v -> v.get(0).logsumexp(new int[]{0, 2}, true), x);
        check2(v -> v.get(0).softmax(-1), x);
    }

    @Test
    void maxMinAndVarianceOverAxes() {
        // Distinct values, no ties: the maximum is smooth.
        Tensor x = Tensor.fromArray(distinct(30), 2, 3, 5);
        check2(v -> v.get(0).max(), x);
        check2(v -> v.get(0).min(), x);
        check2(v -> v.get(0).max(new int[]{1}, false), x);
        check2(v -> v.get(0).max(new int[]{0, 2}, true), x);
        check2(v -> v.get(0).min(new int[]{-1}, false), x);
        check2(v -> v.get(0).max(2, false), x);
        check2(v -> v.get(0).max(0, true), x);
        for (int correction : new int[]{0, 1}) {
            check2(v -> v.get(0).var(new int[]{2}, false, correction), x);
            check2(v -> v.get(0).var(new int[]{0, 1}, true, correction), x);
        }
    }

    /** n distinct values in shuffled order, spaced 0.1 apart. */
    private double[] distinct(int n) {
        int[] perm = rng.permutation(n);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = 0.1 * perm[i] - 1;
        return v;
    }

    // ---------------------------------------------------------------- shape and views

    @Test
    void viewsAndReshapes() {
        Tensor x = randn(2, 3, 5);
        check2(v -> v.get(0).reshape(5, 6).square(), x);
        check2(v -> v.get(0).reshape(-1).square(), x);
        check2(v -> v.get(0).permute(2, 0, 1).square(), x);
        check2(v -> v.get(0).transpose(0, 2).square(), x);
        check2(v -> v.get(0).mT().square(), x);
        check2(v -> v.get(0).unsqueeze(1).square(), x);
        check2(v -> v.get(0).unsqueeze(-1).squeeze(3).square(), x);
        check2(v -> v.get(0).flatten(1, 2).square(), x);
        check2(v -> v.get(0).narrow(2, 1, 3).square(), x);
        check2(v -> v.get(0).slice(2, 0, 5, 2).square(), x);
        check2(v -> v.get(0).slice(1, 1, 3, 3).square(), x);
        check2(v -> v.get(0).select(1, -1).square(), x);
        check2(v -> v.get(0).select(0, 1).square(), x);
        check2(v -> v.get(0).expand(4, 2, 3, 5).square(), x);
        check2(v -> v.get(0).expand(2, 3, 5).square(), x);
        check2(v -> v.get(0).sumTo(3, 1).square(), x);
        check2(v -> v.get(0).sumTo(5).square(), x);
        check2(v -> v.get(0).squeeze().square(), randn(1, 4, 1));
        check2(v -> v.get(0).expand(3, 4).square(), randn(1, 4));
    }

    @Test
    void dtypeCastPassesTheGradientBackInTheInputsDtype() {
        Variable x = Variable.leaf(randn(2, 3));
        Variable y = x.to(DType.F32).mul(Variable.constant(Tensor.full(DType.F32, 3, 2, 3))).to(DType.F64);
        y.sum().backward();
        assertThat(x.grad().dtype()).isEqualTo(DType.F64);
        assertThat(x.grad().toDoubleArray()).containsOnly(3.0);
        // An F32 leaf combined with an F64 constant gets an F32 gradient.
        Variable w = Variable.leaf(Tensor.ones(DType.F32, 3));
        w.mul(c(Tensor.of(1, 2, 3))).sum().backward();
        assertThat(w.grad().dtype()).isEqualTo(DType.F32);
        assertThat(w.grad().toDoubleArray()).containsExactly(1, 2, 3);
    }

    // ---------------------------------------------------------------- subgradients at ties and kinks, as PyTorch

    @Test
    void tiesAndKinksFollowPyTorch() {
        // amax over axes: equal maxima share the gradient evenly; max along an axis: the first maximum takes it all.
        Variable x = Variable.leaf(Tensor.of(new double[][]{{1, 3, 3}, {2, 2, 0}}));
        x.max(new int[]{1}, false).sum().backward();
        assertThat(x.grad().toDoubleArray()).containsExactly(0, 0.5, 0.5, 0.5, 0.5, 0);
        x.zeroGrad();
        x.max(1, false).sum().backward();
        assertThat(x.grad().toDoubleArray()).containsExactly(0, 1, 0, 1, 0, 0);
        x.zeroGrad();
        x.max().backward();
        assertThat(x.grad().toDoubleArray()).containsExactly(0, 0.5, 0.5, 0, 0, 0);
        // maximum/minimum of equal values: half each; clamp passes the gradient at its bounds; relu and abs give 0 at 0.
        Variable a = Variable.leaf(Tensor.of(1, 2, 0)), b = Variable.leaf(Tensor.of(1, 3, -1));
        a.maximum(b).sum().backward();
        assertThat(a.grad().toDoubleArray()).containsExactly(0.5, 0, 1);
        assertThat(b.grad().toDoubleArray()).containsExactly(0.5, 1, 0);
        Variable z = Variable.leaf(Tensor.of(-1, 0, 1, 2));
        z.clamp(-1, 1).sum().backward();
        assertThat(z.grad().toDoubleArray()).containsExactly(1, 1, 1, 0);
        z.zeroGrad();
        z.relu().add(z.abs()).sum().backward();
        assertThat(z.grad().toDoubleArray()).containsExactly(-1, 0, 2, 2);
    }

    // ---------------------------------------------------------------- indexing, segments, joining, padding

    @Test
    void indexSelectAndIndexAddWithRepeats() {
        Tensor x = randn(5, 3);
        int[] ids = {4, 0, 4, 2, 2, 2, 1};
        check2(v -> v.get(0).indexSelect(0, ids).square(), x);
        check2(v -> v.get(0).indexSelect(1, new int[]{2, 2, 0}).square(), x);
        check2(v -> v.get(0).indexSelect(-1, new int[]{1}).square(), randn(2, 3, 3));
        check2(v -> v.get(0).indexAdd(0, ids, v.get(1)).square(), x, randn(7, 3));
        check2(v -> v.get(0).indexAdd(1, new int[]{0, 0}, v.get(1)).square(), x, randn(5, 2));
    }

    @Test
    void gatherAndScatterAdd() {
        Tensor x = randn(3, 4);
        Tensor index = Tensor.of(new double[][]{{0, 3, 3}, {1, 1, 2}, {2, 0, 1}});
        check2(v -> v.get(0).gather(1, index).square(), x);
        Tensor rows = Tensor.of(new double[][]{{0, 2, 1, 1}, {2, 2, 0, 1}});
        check2(v -> v.get(0).gather(0, rows).square(), x);
        check2(v -> v.get(0).scatterAdd(1, index, v.get(1)).square(), x, randn(3, 3));
        check2(v -> v.get(0).scatterAdd(0, rows, v.get(1)).square(), x, randn(2, 4));
    }

    @Test
    void segmentSumAndMeanOverRaggedRows() {
        int[] ids = {0, 0, 2, 2, 2, 1, 3};   // segment 4 is empty
        Tensor x = randn(7, 3);
        check2(v -> v.get(0).segmentSum(ids, 5).square(), x);
        check2(v -> v.get(0).segmentMean(ids, 5).square(), x);
        check2(v -> v.get(0).segmentMean(ids, 4).square(), randn(7));
        // The composite the mean stands for: the sum divided by the segment sizes.
        Variable a = Variable.leaf(x), b = Variable.leaf(x);
        Tensor sizes = Tensor.of(new double[][]{{2}, {1}, {3}, {1}});
        a.segmentMean(ids, 4).tanh().sum().backward();
        b.segmentSum(ids, 4).div(c(sizes)).tanh().sum().backward();
        assertThat(a.grad().allClose(b.grad(), 1e-14, 1e-14)).isTrue();
    }

    @Test
    void concatStackAndPad() {
        Tensor a = randn(2, 3), b = randn(2, 1), d = randn(2, 5);
        check2(v -> Variable.concat(1, v.get(0), v.get(1), v.get(2)).square(), a, b, d);
        check2(v -> Variable.concat(0, v.get(0), v.get(0).exp()).square(), a);
        check2(v -> Variable.concat(-1, List.of(v.get(0), v.get(1))).square(), randn(3), randn(1));
        check2(v -> Variable.stack(0, v.get(0), v.get(1)).square(), a, randn(2, 3));
        check2(v -> Variable.stack(-1, List.of(v.get(0), v.get(1), v.get(0))).square(), a, randn(2, 3));
        check2(v -> Variable.stack(1, v.get(0), v.get(1)).square(), randn(4), randn(4));
        check2(v -> v.get(0).pad(new int[]{1, 0}, new int[]{0, 2}).square(), a);
        check2(v -> v.get(0).pad(new int[]{0, 0, 1}, new int[]{2, 0, 1}, 0.5).square(), randn(1, 2, 3));
        // A constant part of a concat gets no gradient, the others do.
        Variable x = Variable.leaf(a);
        Variable.concat(0, x, c(a)).sum().backward();
        assertThat(x.grad().toDoubleArray()).containsOnly(1.0);
    }

    @Test
    void unfoldAndFoldAreAdjointAndDifferentiable() {
        var g1 = kfac4j.tensor.ConvGeometry.square(3, 1, 1, 1);
        var g2 = new kfac4j.tensor.ConvGeometry(2, 3, 2, 1, 0, 1, 1, 2);
        Tensor x = randn(2, 2, 5, 4);
        check2(v -> v.get(0).unfold(g1).square(), x);
        check2(v -> v.get(0).unfold(g2).square(), x);
        int cols = 2 * 9, l = g1.outH(5) * g1.outW(4);
        check2(v -> v.get(0).fold(g1, 5, 4).square(), randn(2, cols, l));
        // fold is unfold's adjoint: ⟨unfold x, y⟩ = ⟨x, fold y⟩.
        Tensor y = randn(2, cols, l);
        double lhs = x.unfold(g1).mul(y).sum().item(), rhs = x.mul(y.fold(g1, 5, 4)).sum().item();
        assertThat(lhs).isCloseTo(rhs, org.assertj.core.data.Offset.offset(1e-12 * Math.abs(lhs) + 1e-12));
        // The same with the batch in the columns.
        check2(v -> v.get(0).unfoldColumns(g2).square(), x);
        check2(v -> v.get(0).foldColumns(g1, 5, 4).square(), randn(cols, 2 * l));
    }

    // ---------------------------------------------------------------- composites (several ops, as layers use them)

    @Test
    void layerNormComposite() {
        Tensor x = randn(3, 7), gamma = randn(7), beta = randn(7);
        check2(v -> {
            Variable h = v.get(0);
            Variable centred = h.sub(h.mean(new int[]{-1}, true));
            Variable scaled = centred.mul(h.var(new int[]{-1}, true, 0).add(1e-5).rsqrt());
            return scaled.mul(v.get(1)).add(v.get(2));
        }, x, gamma, beta);
    }

    @Test
    void causalAttentionComposite() {
        int t = 4, d = 3;
        double[] above = new double[t * t];
        for (int i = 0; i < t; i++) for (int j = i + 1; j < t; j++) above[i * t + j] = 1;
        Tensor future = Tensor.fromArray(above, t, t);
        check2(v -> {
            Variable q = v.get(0), k = v.get(1), val = v.get(2);
            Variable scores = q.matmul(k.mT()).div(Math.sqrt(d)).maskedFill(future, Double.NEGATIVE_INFINITY);
            return scores.softmax(-1).matmul(val);
        }, randn(2, t, d), randn(2, t, d), randn(2, t, d));
    }

    @Test
    void convolutionAsUnfoldAndMatmul() {
        var g = kfac4j.tensor.ConvGeometry.square(3, 2, 1, 1);
        int n = 2, cin = 2, cout = 3, h = 5, w = 5;
        check2(v -> {
            Variable cols = v.get(0).unfold(g);                                  // (N, Cin·9, L)
            Variable out = v.get(1).reshape(cout, cin * 9).matmul(cols);          // (N, Cout, L)
            return out.add(v.get(2).reshape(cout, 1)).tanh()
                    .reshape(n, cout, g.outH(h), g.outW(w)).mean(new int[]{2, 3}, false);
        }, randn(n, cin, h, w), randn(cout, cin, 3, 3), randn(cout));
    }

    @Test
    void crossEntropyComposite() {
        Tensor logits = randn(4, 5);
        Tensor oneHot = Tensor.zeros(DType.F64, 4, 5).add(Tensor.of(new double[][]{
                {1, 0, 0, 0, 0}, {0, 0, 0, 1, 0}, {0, 1, 0, 0, 0}, {0, 0, 0, 0, 1}}));
        check2(v -> v.get(0).logSoftmax(-1).mul(c(oneHot)).sum(-1).neg().mean(), logits);
    }

    @Test
    void embeddingLookupAndGraphReadout() {
        Tensor table = randn(6, 3);
        int[] tokens = {5, 1, 1, 0, 3};
        check2(v -> v.get(0).indexSelect(0, tokens).reshape(5, 3).tanh().segmentMean(new int[]{0, 0, 1, 1, 1}, 2),
                table);
    }
}
