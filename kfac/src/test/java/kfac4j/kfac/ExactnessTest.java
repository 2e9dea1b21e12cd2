package kfac4j.kfac;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import kfac4j.autograd.Variable;
import kfac4j.nn.Conv2d;
import kfac4j.nn.GlobalMeanPool;
import kfac4j.nn.Linear;
import kfac4j.nn.Loss;
import kfac4j.nn.MSELoss;
import kfac4j.nn.Module;
import kfac4j.nn.Reduction;
import kfac4j.nn.Sequential;
import kfac4j.nn.WeightSharingLinear;
import kfac4j.tensor.ConvGeometry;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * The exactness matrix of DESIGN.md §5.3 for deep linear networks of weight-sharing layers with biases, MSE, type-2
 * Fisher, in F64: each flavour equals the exact GGN block of every layer in its own setting (relative Frobenius error
 * ≤ 1e-10) and is clearly wrong in the other one (≥ 1e-3) whenever the shared axis has more than one row.
 */
class ExactnessTest {
    static final double EXACT = 1e-10, INEXACT = 1e-3;
    static final int D0 = 4, D1 = 5, D2 = 3, C = 2;

    static Sequential deepLinear(Rng rng, boolean pool) {
        Linear l0 = new Linear(D0, D1, true, DType.F64, rng), l1 = new Linear(D1, D2, true, DType.F64, rng),
                l2 = new Linear(D2, C, true, DType.F64, rng);
        return pool ? new Sequential(l0, l1, l2, GlobalMeanPool.overTokens()) : new Sequential(l0, l1, l2);
    }

    static Stream<Arguments> settings() {
        return Stream.of(Reduction.SUM, Reduction.MEAN).flatMap(red -> Stream.of(
                Arguments.of(red, 1, 1), Arguments.of(red, 4, 1), Arguments.of(red, 1, 3),
                Arguments.of(red, 3, 4), Arguments.of(red, 6, 2)));
    }

    /** Relative error of each layer's K-FAC block against the reference GGN block, in model order. */
    static double[] errors(Module model, Supplier<Variable> prediction, Loss loss, Tensor target, Approximation approx) {
        KfacCurvature k = KfacCurvature.overLosses(model, List.of(() -> loss.apply(prediction.get(), target)))
                .approximation(approx).fisher(FisherType.TYPE2).compute();
        Variable f = prediction.get();
        List<KfacLayer> layers = KfacLayer.discover(model, approx, java.util.Map.of());
        double[] out = new double[layers.size()];
        for (int i = 0; i < out.length; i++) {
            WeightSharingLinear layer = layers.get(i).layer();
            KroneckerFactors kf = k.factors(layers.get(i).name());
            double[][] block = Dense.kron(Dense.of(kf.g()), Dense.of(kf.a()));
            out[i] = Dense.relativeError(block, Reference.ggn(f, loss, layer));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}, N={1}, R={2}")
    @MethodSource("settings")
    void expandIsExactForDeepLinearNetInExpandSetting(Reduction reduction, int n, int r) {
        Rng rng = new Rng(10 * n + r);
        Sequential model = deepLinear(rng, false);
        Tensor x = rng.normal(DType.F64, 0, 1, n, r, D0), y = rng.normal(DType.F64, 0, 1, n, r, C);
        Loss loss = new MSELoss(reduction);
        Supplier<Variable> f = () -> model.forward(Variable.constant(x));
        for (double e : errors(model, f, loss, y, Approximation.EXPAND)) assertThat(e).isLessThanOrEqualTo(EXACT);
        double[] reduce = errors(model, f, loss, y, Approximation.REDUCE);
        for (double e : reduce) {
            // With one row per example the two flavours coincide; with more, reduce must be visibly wrong here.
            if (r == 1) assertThat(e).isLessThanOrEqualTo(EXACT);
            else assertThat(e).isGreaterThan(INEXACT);
        }
    }

    @ParameterizedTest(name = "{0}, N={1}, R={2}")
    @MethodSource("settings")
    void reduceIsExactForDeepLinearNetInReduceSetting(Reduction reduction, int n, int r) {
        Rng rng = new Rng(100 + 10 * n + r);
        Sequential model = deepLinear(rng, true);
        Tensor x = rng.normal(DType.F64, 0, 1, n, r, D0), y = rng.normal(DType.F64, 0, 1, n, C);
        Loss loss = new MSELoss(reduction);
        Supplier<Variable> f = () -> model.forward(Variable.constant(x));
        for (double e : errors(model, f, loss, y, Approximation.REDUCE)) assertThat(e).isLessThanOrEqualTo(EXACT);
        for (double e : errors(model, f, loss, y, Approximation.EXPAND)) {
            if (r == 1) assertThat(e).isLessThanOrEqualTo(EXACT);
            else assertThat(e).isGreaterThan(INEXACT);
        }
    }

    /** The deep linear net over ragged rows: example n has R_n rows, a loss term per row. */
    static final class RaggedDeepLinear extends Module {
        final Linear l0, l1, l2;

        RaggedDeepLinear(Rng rng) {
            l0 = registerModule("l0", new Linear(D0, D1, true, DType.F64, rng));
            l1 = registerModule("l1", new Linear(D1, D2, true, DType.F64, rng));
            l2 = registerModule("l2", new Linear(D2, C, true, DType.F64, rng));
        }

        Variable forward(Variable rows, int[] exampleOfRow, int n) {
            Variable h = l0.forward(rows, exampleOfRow, n);
            h = l1.forward(h, exampleOfRow, n);
            return l2.forward(h, exampleOfRow, n);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reductions")
    void expandIsExactWithRaggedRowsPerExample(Reduction reduction) {
        Rng rng = new Rng(7);
        RaggedDeepLinear model = new RaggedDeepLinear(rng);
        int[] ids = {0, 1, 1, 1, 1, 2, 2, 3, 3, 3};
        Tensor x = rng.normal(DType.F64, 0, 1, ids.length, D0), y = rng.normal(DType.F64, 0, 1, ids.length, C);
        Loss loss = new MSELoss(reduction);
        Supplier<Variable> f = () -> model.forward(Variable.constant(x), ids, 4);
        for (double e : errors(model, f, loss, y, Approximation.EXPAND)) assertThat(e).isLessThanOrEqualTo(EXACT);
        for (double e : errors(model, f, loss, y, Approximation.REDUCE)) assertThat(e).isGreaterThan(INEXACT);
    }

    static Stream<Reduction> reductions() {
        return Stream.of(Reduction.SUM, Reduction.MEAN);
    }

    /** conv (2→3) → conv (3→4), 3×3 with padding 1, linear; then a per-position head or global pooling and a head. */
    static final class ConvNet extends Module {
        final Conv2d conv1, conv2;
        final Linear head;
        final boolean pool;

        ConvNet(Rng rng, boolean pool) {
            this.pool = pool;
            conv1 = registerModule("conv1", new Conv2d(2, 3, ConvGeometry.square(3, 1, 1, 1), true, DType.F64, rng));
            conv2 = registerModule("conv2", new Conv2d(3, 4, ConvGeometry.square(3, 1, 1, 1), true, DType.F64, rng));
            head = registerModule("head", new Linear(4, C, true, DType.F64, rng));
        }

        @Override
        public Variable forward(Variable x) {
            Variable h = conv2.forward(conv1.forward(x));
            // Per position: channels last, so every position is one loss term over C outputs.
            return pool ? head.forward(h.mean(new int[]{2, 3}, false)) : head.forward(h.permute(0, 2, 3, 1));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reductions")
    void lastConvBeforeAPerPositionHeadIsExactWithExpand(Reduction reduction) {
        Rng rng = new Rng(31);
        ConvNet model = new ConvNet(rng, false);
        Tensor x = rng.normal(DType.F64, 0, 1, 2, 2, 4, 3), y = rng.normal(DType.F64, 0, 1, 2, 4, 3, C);
        Loss loss = new MSELoss(reduction);
        Supplier<Variable> f = () -> model.forward(Variable.constant(x));
        double[] expand = errors(model, f, loss, y, Approximation.EXPAND), reduce = errors(model, f, loss, y, Approximation.REDUCE);
        // Layers: conv1, conv2, head. The first conv's rows reach several loss terms: exact in neither flavour.
        assertThat(expand[1]).isLessThanOrEqualTo(EXACT);
        assertThat(expand[2]).isLessThanOrEqualTo(EXACT);
        assertThat(reduce[1]).isGreaterThan(INEXACT);
        assertThat(reduce[2]).isGreaterThan(INEXACT);
        assertThat(expand[0]).isGreaterThan(INEXACT);
        assertThat(reduce[0]).isGreaterThan(INEXACT);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reductions")
    void lastConvBeforeGlobalMeanPoolingIsExactWithReduce(Reduction reduction) {
        Rng rng = new Rng(32);
        ConvNet model = new ConvNet(rng, true);
        Tensor x = rng.normal(DType.F64, 0, 1, 3, 2, 4, 3), y = rng.normal(DType.F64, 0, 1, 3, C);
        Loss loss = new MSELoss(reduction);
        Supplier<Variable> f = () -> model.forward(Variable.constant(x));
        double[] expand = errors(model, f, loss, y, Approximation.EXPAND), reduce = errors(model, f, loss, y, Approximation.REDUCE);
        assertThat(reduce[1]).isLessThanOrEqualTo(EXACT);
        assertThat(expand[1]).isGreaterThan(INEXACT);
        // The head sees one pooled row per example: both flavours are the same and exact.
        assertThat(expand[2]).isLessThanOrEqualTo(EXACT);
        assertThat(reduce[2]).isLessThanOrEqualTo(EXACT);
        assertThat(expand[0]).isGreaterThan(INEXACT);
        assertThat(reduce[0]).isGreaterThan(INEXACT);
    }

    @Test
    void perLayerApproximationsMixInOneModel() {
        Rng rng = new Rng(3);
        Sequential model = deepLinear(rng, false);
        Tensor x = rng.normal(DType.F64, 0, 1, 3, 4, D0), y = rng.normal(DType.F64, 0, 1, 3, 4, C);
        Loss loss = new MSELoss(Reduction.SUM);
        KfacCurvature all = KfacCurvature.over(model, loss, List.of(new KfacCurvature.Batch(x, y)))
                .approximation(Approximation.EXPAND).approximation("1", Approximation.REDUCE).compute();
        KfacCurvature reduce = KfacCurvature.over(model, loss, List.of(new KfacCurvature.Batch(x, y)))
                .approximation(Approximation.REDUCE).compute();
        KfacCurvature expand = KfacCurvature.over(model, loss, List.of(new KfacCurvature.Batch(x, y)))
                .approximation(Approximation.EXPAND).compute();
        assertThat(all.factors("1").a().allClose(reduce.factors("1").a(), 0, 0)).isTrue();
        assertThat(all.factors("1").g().allClose(reduce.factors("1").g(), 0, 0)).isTrue();
        assertThat(all.factors("0").a().allClose(expand.factors("0").a(), 0, 0)).isTrue();
        assertThat(all.factors("2").g().allClose(expand.factors("2").g(), 0, 0)).isTrue();
        assertThat(all.factors("0").a().allClose(reduce.factors("0").a(), 1e-3, 0)).isFalse();
    }

    @Test
    void referenceGgnEqualsHessianBlockForDeepLinearNet() {
        // The reference itself, cross-checked: a deep linear net with MSE has no second-order term in its Hessian.
        Rng rng = new Rng(5);
        Sequential model = deepLinear(rng, false);
        Tensor x = rng.normal(DType.F64, 0, 1, 2, 3, D0), y = rng.normal(DType.F64, 0, 1, 2, 3, C);
        Loss loss = new MSELoss(Reduction.MEAN);
        for (Module m : List.of(model.get(0), model.get(1), model.get(2))) {
            WeightSharingLinear layer = (WeightSharingLinear) m;
            double[][] h = hessianBlock(() -> loss.apply(model.forward(Variable.constant(x)), y), layer);
            double[][] ggn = Reference.ggn(model.forward(Variable.constant(x)), loss, layer);
            assertThat(Dense.relativeError(ggn, h)).isLessThanOrEqualTo(EXACT);
        }
    }

    @Test
    void referenceGgnAgreesWithTheAutogradExactCurvature() {
        // Two independent dense GGNs: this test's and the autograd module's (reordered to the joint [W b] order).
        Rng rng = new Rng(6);
        Sequential model = FisherTypeTest.mlp("tanh", rng);
        Tensor x = rng.normal(DType.F64, 0, 1, 3, FisherTypeTest.IN);
        Loss loss = new kfac4j.nn.CrossEntropyLoss(Reduction.MEAN);
        Variable f = model.forward(Variable.constant(x));
        Linear first = (Linear) model.get(0);
        Tensor exact = kfac4j.autograd.ExactCurvature.ggn(f, List.of(first.weight().variable(), first.bias().variable()),
                kfac4j.autograd.LossHessian.softmaxCrossEntropy(), 1.0 / 3);
        Tensor joint = kfac4j.autograd.ExactCurvature.reorder(exact,
                kfac4j.autograd.ExactCurvature.jointWeightBiasOrder(first.outFeatures(), first.inFeatures()));
        assertThat(Dense.relativeError(Dense.of(joint), Reference.ggn(f, loss, first))).isLessThanOrEqualTo(1e-13);
    }

    /** The Hessian of the loss with respect to vec([W b]), by double backward. */
    static double[][] hessianBlock(Supplier<Variable> loss, WeightSharingLinear layer) {
        List<Variable> params = List.of(layer.weight().variable(), layer.bias().variable());
        Variable l = loss.get();
        List<Variable> g = kfac4j.autograd.Grad.grad(l, l.value().onesLike(), params, true, true);
        int rows = layer.outFeatures(), in = layer.inFeatures(), dim = rows * (in + 1);
        double[][] h = new double[dim][];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j <= in; j++) {
                Variable entry = j < in ? g.get(0).select(0, i).select(0, j) : g.get(1).select(0, i);
                List<Variable> second = kfac4j.autograd.Grad.grad(entry, entry.value().onesLike(), params, true, false);
                h[i * (in + 1) + j] = Reference.joined(second.get(0).value(), second.get(1).value());
            }
        }
        return h;
    }
}
