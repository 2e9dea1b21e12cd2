package kfac4j.kfac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import kfac4j.autograd.Variable;
import kfac4j.nn.CrossEntropyLoss;
import kfac4j.nn.LayerNorm;
import kfac4j.nn.Linear;
import kfac4j.nn.Loss;
import kfac4j.nn.MSELoss;
import kfac4j.nn.Parameter;
import kfac4j.nn.Reduction;
import kfac4j.nn.SGD;
import kfac4j.nn.Sequential;
import kfac4j.nn.Tanh;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/** The K-FAC optimizer (DESIGN.md §5.4): Newton on quadratics, faster than SGD, NaN-proof, transparent. */
class KfacOptimizerTest {
    static final int N = 32, D = 4, OUT = 2;

    /** A linear regression: X (N, D), Y = X W* + b* + noise. */
    record Regression(Tensor x, Tensor y) {
        static Regression make(long seed) {
            Rng rng = new Rng(seed);
            Tensor x = rng.normal(DType.F64, 0, 1, N, D).mul(Tensor.of(1, 3, 0.3, 5));
            Tensor w = rng.normal(DType.F64, 0, 1, D, OUT);
            return new Regression(x, x.matmul(w).add(1.5).add(rng.normal(DType.F64, 0, 0.1, N, OUT)));
        }

        /** argmin ‖[X 1] Θᵀ − Y‖² + (ridge/2ρ)·‖Θ‖², Θ = [W b], from the normal equations. */
        double[] solution(double ridgeOverTwoRho) {
            double[][] xt = new double[N][D + 1];
            double[] xv = x.toDoubleArray(), yv = y.toDoubleArray();
            for (int n = 0; n < N; n++) {
                for (int d = 0; d < D; d++) xt[n][d] = xv[n * D + d];
                xt[n][D] = 1;
            }
            double[][] normal = Dense.plusIdentity(Dense.transposeTimes(xt, xt), ridgeOverTwoRho);
            double[] theta = new double[OUT * (D + 1)];
            for (int o = 0; o < OUT; o++) {
                double[] rhs = new double[D + 1];
                for (int n = 0; n < N; n++) for (int d = 0; d <= D; d++) rhs[d] += xt[n][d] * yv[n * OUT + o];
                double[] row = Dense.solve(normal, rhs);
                System.arraycopy(row, 0, theta, o * (D + 1), D + 1);
            }
            return theta;
        }
    }

    static double[] weights(Linear l) {
        return Reference.joined(l.weight().value(), l.bias().value());
    }

    static KfacOptimizer.Builder newton(Sequential model) {
        return KfacOptimizer.builder(model).fisher(FisherType.TYPE2).learningRate(1).momentum(0).klClip(0).log(null);
    }

    @ParameterizedTest
    @EnumSource(Reduction.class)
    void oneStepWithTinyDampingLandsOnTheLeastSquaresSolution(Reduction reduction) {
        Regression data = Regression.make(1);
        Linear layer = new Linear(D, OUT, true, DType.F64, new Rng(2));
        Sequential model = new Sequential(layer);
        Loss loss = new MSELoss(reduction);
        KfacOptimizer opt = newton(model).damping(1e-10).build();
        StepReport r = opt.step(loss.apply(model.forward(Variable.constant(data.x())), data.y()));
        assertThat(r.skipped()).isFalse();
        // The GGN of a linear least-squares problem is its Hessian, and K-FAC is exact for one linear layer.
        assertThat(Dense.relativeError(weights(layer), data.solution(0))).isLessThan(1e-8);
    }

    @Test
    void oneStepWithDampingEqualToWeightDecayLandsOnTheRidgeSolution() {
        // With λ = wd the damped Newton step on L + (wd/2)‖Θ‖² is exact: (H + wd I)⁻¹ (∇L + wd Θ).
        Regression data = Regression.make(3);
        Linear layer = new Linear(D, OUT, true, DType.F64, new Rng(4));
        Sequential model = new Sequential(layer);
        double wd = 0.3, rho = 1.0 / (N * OUT);
        KfacOptimizer opt = newton(model).damping(wd).weightDecay(wd).build();
        opt.step(new MSELoss().apply(model.forward(Variable.constant(data.x())), data.y()));
        // ρ‖XΘᵀ − Y‖² + (wd/2)‖Θ‖² has normal equations (XᵀX + wd/(2ρ) I) Θᵀ = XᵀY.
        assertThat(Dense.relativeError(weights(layer), data.solution(wd / (2 * rho)))).isLessThan(1e-10);
    }

    @Test
    void ekfacAndFactoredDampingAlsoSolveTheLeastSquaresProblem() {
        Regression data = Regression.make(5);
        for (int variant = 0; variant < 2; variant++) {
            Linear layer = new Linear(D, OUT, true, DType.F64, new Rng(6));
            Sequential model = new Sequential(layer);
            KfacOptimizer.Builder b = newton(model).damping(1e-14);
            KfacOptimizer opt = variant == 0 ? b.eigenvalueCorrection(true).build() : b.dampingMode(DampingMode.FACTORED).build();
            opt.step(new MSELoss().apply(model.forward(Variable.constant(data.x())), data.y()));
            // π-damping adds √λ-sized cross terms: 1e-7 relative.
            assertThat(Dense.relativeError(weights(layer), data.solution(0))).isLessThan(variant == 0 ? 1e-8 : 1e-5);
        }
    }

    // ---------------------------------------------------------------- against SGD

    /**
     * A small regression MLP whose inputs span a factor 300 in scale (the teacher sees them normalised): gradient
     * descent's step is limited by the largest scale and crawls along the smallest; K-FAC's input factor A whitens
     * them.
     */
    static final class Task {
        final Tensor x, y;

        Task() {
            Rng rng = new Rng(11);
            Tensor z = rng.normal(DType.F32, 0, 1, 128, 6);
            x = z.mul(Tensor.of(DType.F32, 10, 3, 1, 0.3, 0.1, 0.03));
            y = mlp(new Rng(12)).forward(Variable.constant(z)).value();
        }

        static Sequential mlp(Rng rng) {
            return new Sequential(new Linear(6, 16, rng), new Tanh(), new Linear(16, 16, rng), new Tanh(), new Linear(16, 2, rng));
        }

        Variable loss(Sequential model) {
            return new MSELoss().apply(model.forward(Variable.constant(x)), y);
        }
    }

    static int stepsToTarget(Task task, Sequential model, java.util.function.Consumer<Variable> step, double target, int max) {
        for (int t = 0; t < max; t++) {
            Variable l = task.loss(model);
            if (l.value().item() < target) return t;
            step.accept(l);
        }
        return max;
    }

    @Test
    void kfacReachesALossTargetInFewerStepsThanSgd() {
        Task task = new Task();
        double target = 0.05 * task.loss(Task.mlp(new Rng(13))).value().item();
        int max = 400, sgdBest = max;
        for (double lr : new double[]{0.03, 0.1, 0.3}) {
            Sequential model = Task.mlp(new Rng(13));
            SGD sgd = new SGD(model.parameters(), lr).momentum(0.9);
            sgdBest = Math.min(sgdBest, stepsToTarget(task, model, l -> {
                sgd.zeroGrad();
                l.backward();
                sgd.step();
            }, target, max));
        }
        Sequential model = Task.mlp(new Rng(13));
        KfacOptimizer kfac = KfacOptimizer.builder(model).learningRate(0.1).damping(1e-2).momentum(0.9)
                .inverseEvery(5).log(null).build();
        int kfacSteps = stepsToTarget(task, model, kfac::step, target, max);
        // Measured: K-FAC 88 steps; SGD with momentum does not get there in 400 at any of the three rates.
        assertThat(kfacSteps * 3).as("K-FAC %d steps, SGD %d steps", kfacSteps, sgdBest).isLessThan(sgdBest);
    }

    // ---------------------------------------------------------------- robustness

    @Test
    void aNaNInTheBatchChangesNoWeightAndNoStatistic() {
        Regression data = Regression.make(7);
        Linear layer = new Linear(D, OUT, true, DType.F64, new Rng(8));
        Sequential model = new Sequential(layer);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        KfacOptimizer opt = KfacOptimizer.builder(model).log(new PrintStream(log, true, StandardCharsets.UTF_8)).build();
        Loss loss = new MSELoss();
        opt.step(loss.apply(model.forward(Variable.constant(data.x())), data.y()));
        double[] before = weights(layer);
        Tensor a = opt.factors("0").a(), g = opt.factors("0").g();
        double[] poisoned = data.x().toDoubleArray();
        poisoned[5] = Double.NaN;
        StepReport r = opt.step(loss.apply(model.forward(Variable.constant(Tensor.fromArray(poisoned, N, D))), data.y()));
        assertThat(r.skipped()).isTrue();
        assertThat(r.reason()).contains("non-finite");
        assertThat(weights(layer)).containsExactly(before, org.assertj.core.data.Offset.offset(0.0));
        assertThat(opt.factors("0").a()).isSameAs(a);
        assertThat(opt.factors("0").g()).isSameAs(g);
        assertThat(opt.skippedSteps()).isEqualTo(1);
        assertThat(opt.steps()).isEqualTo(1);
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("step 1 skipped");
        // Training goes on afterwards.
        assertThat(opt.step(loss.apply(model.forward(Variable.constant(data.x())), data.y())).skipped()).isFalse();
        assertThat(weights(layer)).isNotEqualTo(before);
    }

    @Test
    void anInfiniteGradientOnAStepWithoutStatisticsIsSkippedToo() {
        Regression data = Regression.make(9);
        Linear layer = new Linear(D, OUT, true, DType.F64, new Rng(10));
        Sequential model = new Sequential(layer);
        KfacOptimizer opt = KfacOptimizer.builder(model).statsEvery(10).log(null).build();
        Loss loss = new MSELoss();
        opt.step(loss.apply(model.forward(Variable.constant(data.x())), data.y()));
        double[] before = weights(layer);
        double[] target = data.y().toDoubleArray();
        target[0] = Double.POSITIVE_INFINITY;
        StepReport r = opt.step(loss.apply(model.forward(Variable.constant(data.x())), Tensor.fromArray(target, N, OUT)));
        assertThat(r.statistics()).isFalse();
        assertThat(r.skipped()).isTrue();
        assertThat(r.reason()).contains("update in layer 0");
        assertThat(weights(layer)).containsExactly(before, org.assertj.core.data.Offset.offset(0.0));
    }

    // ---------------------------------------------------------------- configuration and bookkeeping

    @Test
    void listsWhichLayersGotWhichRuleAndUpdatesTheRestWithAdam() {
        Rng rng = new Rng(14);
        Linear first = new Linear(D, 5, true, DType.F64, rng), last = new Linear(5, 3, false, DType.F64, rng);
        LayerNorm norm = new LayerNorm(5, DType.F64);
        Sequential model = new Sequential(first, norm, new Tanh(), last);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        KfacOptimizer opt = KfacOptimizer.builder(model).approximation("3", Approximation.REDUCE)
                .fallback(FallbackRule.ADAM, 0.01).log(new PrintStream(out, true, StandardCharsets.UTF_8)).build();
        String table = out.toString(StandardCharsets.UTF_8);
        assertThat(table).contains("0 ").contains("K-FAC-expand").contains("K-FAC-reduce").contains("1.weight").contains("1.bias").contains("Adam");
        assertThat(opt.fallbackParameters()).containsExactly("1.weight", "1.bias");
        assertThat(opt.layers()).extracting(KfacLayer::name).containsExactly("0", "3");
        Tensor x = rng.normal(DType.F64, 0, 1, 8, D);
        double[] labels = new double[8];
        for (int i = 0; i < 8; i++) labels[i] = i % 3;
        Parameter gamma = norm.namedParameters().get("weight");
        Tensor before = gamma.value().copy();
        opt.step(new CrossEntropyLoss().apply(model.forward(Variable.constant(x)), Tensor.fromArray(labels, 8)));
        // Adam's first, bias-corrected step: m̂ = g, v̂ = g², so every coordinate moves by lr·g / (|g| + ε).
        Tensor moved = before.sub(gamma.value());
        Tensor expected = gamma.grad().div(gamma.grad().abs().add(1e-8)).mul(0.01);
        assertThat(moved.allClose(expected, 1e-12, 1e-15)).isTrue();
    }

    @Test
    void empiricalAndTypeTwoFactorsOfOneStepMatchTheCurvatureOperator() {
        Rng rng = new Rng(15);
        Tensor x = rng.normal(DType.F64, 0, 1, 6, D);
        double[] labels = {0, 1, 2, 1, 0, 2};
        Tensor y = Tensor.fromArray(labels, 6);
        Loss loss = new CrossEntropyLoss(Reduction.MEAN);
        for (FisherType fisher : List.of(FisherType.EMPIRICAL, FisherType.TYPE2)) {
            Sequential model = new Sequential(new Linear(D, 5, true, DType.F64, new Rng(16)), new Tanh(), new Linear(5, 3, true, DType.F64, new Rng(17)));
            KfacCurvature expected = KfacCurvature.over(model, loss, List.of(new KfacCurvature.Batch(x, y))).fisher(fisher).compute();
            KfacOptimizer opt = KfacOptimizer.builder(model).fisher(fisher).log(null).build();
            opt.step(loss.apply(model.forward(Variable.constant(x)), y));
            for (String name : expected.layers()) {
                assertThat(opt.factors(name).a().allClose(expected.factors(name).a(), 1e-12, 1e-14)).isTrue();
                assertThat(opt.factors(name).g().allClose(expected.factors(name).g(), 1e-12, 1e-14)).as(fisher + " " + name).isTrue();
            }
        }
    }

    @Test
    void factorsAreAnExponentialMovingAverageAndIntervalsAreKept() {
        Regression data = Regression.make(18);
        Sequential model = new Sequential(new Linear(D, OUT, true, DType.F64, new Rng(19)));
        KfacOptimizer opt = KfacOptimizer.builder(model).fisher(FisherType.TYPE2).emaDecay(0.5).statsEvery(2).inverseEvery(3).log(null).build();
        Loss loss = new MSELoss();
        List<StepReport> reports = new ArrayList<>();
        List<KroneckerFactors> batchFactors = new ArrayList<>();
        for (int t = 0; t < 5; t++) {
            Tensor xt = data.x().mul(1 + t);
            // Computed on the same model between steps: the optimizer's capture must not be disturbed by it.
            batchFactors.add(KfacCurvature.over(model, loss, List.of(new KfacCurvature.Batch(xt, data.y()))).fisher(FisherType.TYPE2).compute().factors("0"));
            reports.add(opt.step(loss.apply(model.forward(Variable.constant(xt)), data.y())));
        }
        assertThat(reports).extracting(StepReport::statistics).containsExactly(true, false, true, false, true);
        assertThat(reports).extracting(StepReport::inverses).containsExactly(true, false, false, true, false);
        // Statistics at steps 0, 2 and 4: ((F0/2 + F2/2)/2 + F4/2).
        Tensor expectedA = batchFactors.get(0).a().mul(0.25).add(batchFactors.get(2).a().mul(0.25)).add(batchFactors.get(4).a().mul(0.5));
        assertThat(opt.factors("0").a().allClose(expectedA, 1e-12, 1e-12)).isTrue();
    }

    @Test
    void klClippingBoundsTheQuadraticChangeOfTheStep() {
        Regression data = Regression.make(20);
        Linear layer = new Linear(D, OUT, true, DType.F64, new Rng(21));
        Sequential model = new Sequential(layer);
        double kappa = 1e-4, lr = 1;
        KfacOptimizer opt = KfacOptimizer.builder(model).fisher(FisherType.TYPE2).learningRate(lr).momentum(0).klClip(kappa).log(null).build();
        double[] before = weights(layer);
        Variable l = new MSELoss().apply(model.forward(Variable.constant(data.x())), data.y());
        StepReport r = opt.step(l);
        assertThat(r.klScale()).isLessThan(1);
        // The applied step is δ = −η ν Δ with η² ν² Δ·∇ = κ, hence (−δ·∇)·η ν = κ.
        double[] after = weights(layer), grad = Reference.joined(layer.weight().grad(), layer.bias().grad());
        double quadratic = 0;
        for (int i = 0; i < after.length; i++) quadratic += -(after[i] - before[i]) * grad[i];
        assertThat(quadratic * lr * r.klScale()).isCloseTo(kappa, org.assertj.core.data.Offset.offset(1e-9 * kappa));
    }

    @Test
    void levenbergMarquardtShrinksDampingOnGoodStepsAndGrowsItOnBadOnes() {
        Regression data = Regression.make(22);
        // Type-2 on a least-squares problem: the quadratic model is exact, the reduction ratio ≈ 1, λ × 19/20.
        Sequential good = new Sequential(new Linear(D, OUT, true, DType.F64, new Rng(23)));
        Loss mean = new MSELoss();
        KfacOptimizer opt = newton(good).damping(1e-3).levenbergMarquardt(1).build();
        Variable l = mean.apply(good.forward(Variable.constant(data.x())), data.y());
        assertThatThrownBy(() -> opt.step(l)).hasMessageContaining("Levenberg");
        opt.step(mean.apply(good.forward(Variable.constant(data.x())), data.y()),
                () -> mean.apply(good.forward(Variable.constant(data.x())), data.y()));
        assertThat(opt.damping()).isCloseTo(1e-3 * 0.95, org.assertj.core.data.Offset.offset(1e-15));
        // G = I where the true G is 2N·I (a SUM loss): the step is 2N times too long and the loss rises while the
        // model predicts a fall; the ratio is negative, λ × 20/19.
        Sequential bad = new Sequential(new Linear(D, OUT, true, DType.F64, new Rng(23)));
        Loss sum = new MSELoss(Reduction.SUM);
        KfacOptimizer forward = newton(bad).fisher(FisherType.FORWARD_ONLY).damping(1e-3).levenbergMarquardt(1).build();
        forward.step(sum.apply(bad.forward(Variable.constant(data.x())), data.y()),
                () -> sum.apply(bad.forward(Variable.constant(data.x())), data.y()));
        assertThat(forward.damping()).isCloseTo(1e-3 / 0.95, org.assertj.core.data.Offset.offset(1e-15));
    }

    @Test
    void theScheduleScalesBothLearningRates() {
        Regression data = Regression.make(25);
        Sequential model = new Sequential(new Linear(D, OUT, true, DType.F64, new Rng(26)));
        KfacOptimizer opt = KfacOptimizer.builder(model).learningRate(0.2).schedule(kfac4j.nn.LrSchedule.linearWarmup(4, kfac4j.nn.LrSchedule.constant()))
                .log(null).build();
        Loss loss = new MSELoss();
        double[] used = new double[5];
        for (int t = 0; t < 5; t++) used[t] = opt.step(loss.apply(model.forward(Variable.constant(data.x())), data.y())).learningRate();
        assertThat(used).containsExactly(new double[]{0.05, 0.1, 0.15, 0.2, 0.2}, org.assertj.core.data.Offset.offset(1e-15));
    }

    /** A module that registers the weight of its linear layer a second time, as a tied embedding would. */
    static final class Tied extends kfac4j.nn.Module {
        final Linear inner;

        Tied(Rng rng) {
            inner = registerModule("inner", new Linear(D, D, true, DType.F64, rng));
            registerParameter("shared", inner.weight());
        }

        @Override
        public Variable forward(Variable x) {
            return inner.forward(x).matmul(inner.weight().variable());
        }
    }

    @Test
    void aLayerWhoseWeightIsTiedElsewhereFallsBackAndSaysWhy() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        KfacOptimizer opt = KfacOptimizer.builder(new Tied(new Rng(27))).log(new PrintStream(out, true, StandardCharsets.UTF_8)).build();
        assertThat(opt.layers()).isEmpty();
        assertThat(opt.fallbackParameters()).containsExactly("shared", "inner.bias");
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("inner").contains("tied to the model");
    }

    @Test
    void aLossThatIsNotALossOutputIsRejectedWithAClearMessage() {
        Sequential model = new Sequential(new Linear(D, OUT, true, DType.F64, new Rng(24)));
        KfacOptimizer opt = KfacOptimizer.builder(model).log(null).build();
        Variable out = model.forward(Variable.constant(Tensor.ones(DType.F64, 3, D)));
        assertThatThrownBy(() -> opt.step(out.square().sum())).hasMessageContaining("kfac4j.nn.Loss").hasMessageContaining("sum");
        assertThatThrownBy(() -> KfacOptimizer.builder(model).eigenvalueCorrection(true).dampingMode(DampingMode.FACTORED).build())
                .hasMessageContaining("EKFAC");
    }
}
