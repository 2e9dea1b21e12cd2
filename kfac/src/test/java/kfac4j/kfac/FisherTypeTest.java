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
import kfac4j.nn.CrossEntropyLoss;
import kfac4j.nn.Linear;
import kfac4j.nn.Loss;
import kfac4j.nn.MSELoss;
import kfac4j.nn.Module;
import kfac4j.nn.ReLU;
import kfac4j.nn.Reduction;
import kfac4j.nn.Sequential;
import kfac4j.nn.Sigmoid;
import kfac4j.nn.Tanh;
import kfac4j.nn.WeightSharingLinear;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * The Fisher types on one example without weight sharing (DESIGN.md §5.3): type-2 K-FAC equals the GGN block and
 * empirical K-FAC the empirical-Fisher block of every layer, for MSE and cross-entropy and tanh, ReLU and sigmoid
 * MLPs; the Monte Carlo Fisher approaches type-2 as samples grow; the forward-only Fisher has G = I.
 */
class FisherTypeTest {
    static final int IN = 4, HIDDEN = 5, OUT = 3;

    static Sequential mlp(String activation, Rng rng) {
        Supplier<Module> act = switch (activation) {
            case "tanh" -> Tanh::new;
            case "relu" -> ReLU::new;
            case "sigmoid" -> Sigmoid::new;
            default -> throw new IllegalArgumentException(activation);
        };
        return new Sequential(new Linear(IN, HIDDEN, true, DType.F64, rng), act.get(),
                new Linear(HIDDEN, HIDDEN, true, DType.F64, rng), act.get(), new Linear(HIDDEN, OUT, true, DType.F64, rng));
    }

    static Stream<Arguments> cases() {
        return Stream.of("tanh", "relu", "sigmoid").flatMap(a -> Stream.of(
                Arguments.of(a, "mse", Reduction.SUM), Arguments.of(a, "mse", Reduction.MEAN),
                Arguments.of(a, "ce", Reduction.SUM), Arguments.of(a, "ce", Reduction.MEAN)));
    }

    static Loss loss(String kind, Reduction r) {
        return kind.equals("mse") ? new MSELoss(r) : new CrossEntropyLoss(r);
    }

    static Tensor target(String kind, Rng rng, int n) {
        if (kind.equals("mse")) return rng.normal(DType.F64, 0, 1, n, OUT);
        double[] labels = new double[n];
        for (int i = 0; i < n; i++) labels[i] = rng.nextInt(OUT);
        return Tensor.fromArray(labels, n);
    }

    static KfacCurvature curvature(Module model, Loss loss, Tensor x, Tensor y, FisherType fisher) {
        return KfacCurvature.over(model, loss, List.of(new KfacCurvature.Batch(x, y))).fisher(fisher).compute();
    }

    static double[][] block(KroneckerFactors f) {
        return Dense.kron(Dense.of(f.g()), Dense.of(f.a()));
    }

    @ParameterizedTest(name = "{0}, {1}, {2}")
    @MethodSource("cases")
    void typeTwoEqualsGgnAndEmpiricalEqualsEmpiricalFisherForOneExample(String act, String lossKind, Reduction red) {
        Rng rng = new Rng(act.hashCode() + lossKind.hashCode() + red.ordinal());
        Sequential model = mlp(act, rng);
        Tensor x = rng.normal(DType.F64, 0, 1, 1, IN), y = target(lossKind, rng, 1);
        Loss loss = loss(lossKind, red);
        KfacCurvature type2 = curvature(model, loss, x, y, FisherType.TYPE2);
        KfacCurvature empirical = curvature(model, loss, x, y, FisherType.EMPIRICAL);
        Variable f = model.forward(Variable.constant(x));
        for (String name : type2.layers()) {
            WeightSharingLinear layer = (WeightSharingLinear) model.namedModules().get(name);
            double[][] ggn = Reference.ggn(f, loss, layer);
            double[][] ef = Reference.empiricalFisher(f, y, loss, layer, new int[]{0}, 1);
            assertThat(Dense.relativeError(block(type2.factors(name)), ggn)).as("type-2, layer " + name).isLessThanOrEqualTo(1e-10);
            assertThat(Dense.relativeError(block(empirical.factors(name)), ef)).as("empirical, layer " + name).isLessThanOrEqualTo(1e-10);
        }
    }

    @Test
    void typeTwoIsNotExactForSeveralExamplesOfANonlinearNet() {
        // K-FAC's independence assumption: across examples the Kronecker factorisation is an approximation.
        Rng rng = new Rng(12);
        Sequential model = mlp("tanh", rng);
        Tensor x = rng.normal(DType.F64, 0, 1, 6, IN), y = target("ce", rng, 6);
        Loss loss = new CrossEntropyLoss(Reduction.MEAN);
        KfacCurvature type2 = curvature(model, loss, x, y, FisherType.TYPE2);
        Variable f = model.forward(Variable.constant(x));
        WeightSharingLinear first = (WeightSharingLinear) model.get(0);
        assertThat(Dense.relativeError(block(type2.factors("0")), Reference.ggn(f, loss, first))).isGreaterThan(1e-3);
    }

    @Test
    void monteCarloFisherApproachesTypeTwoAsSamplesGrow() {
        Rng rng = new Rng(21);
        Sequential model = mlp("tanh", rng);
        Tensor x = rng.normal(DType.F64, 0, 1, 8, IN), y = target("ce", rng, 8);
        Loss loss = new CrossEntropyLoss(Reduction.MEAN);
        KfacCurvature exact = curvature(model, loss, x, y, FisherType.TYPE2);
        double[] errors = new double[2];
        int[] samples = {4, 400};
        for (int i = 0; i < 2; i++) {
            KfacCurvature mc = KfacCurvature.over(model, loss, List.of(new KfacCurvature.Batch(x, y)))
                    .fisher(FisherType.MC).mcSamples(samples[i]).seed(3).compute();
            double sum = 0;
            for (String name : exact.layers()) sum += Dense.relativeError(Dense.of(mc.factors(name).g()), Dense.of(exact.factors(name).g()));
            errors[i] = sum / exact.layers().size();
        }
        // The error falls like 1/√k: a hundred times the samples, about a tenth of the error. Fixed seed; the margin
        // (a factor 3 where 10 is expected) keeps the claim robust.
        assertThat(errors[1]).isLessThan(errors[0] / 3);
        assertThat(errors[1]).isLessThan(0.1);
    }

    @Test
    void monteCarloWithOneSampleMatchesTheSampledGradient() {
        // With one sample, G is ρ Σ g gᵀ of the gradient at the sampled label: the empirical Fisher at those labels.
        Rng rng = new Rng(4);
        Sequential model = mlp("relu", rng);
        Tensor x = rng.normal(DType.F64, 0, 1, 1, IN);
        Loss loss = new CrossEntropyLoss(Reduction.SUM);
        KfacCurvature mc = KfacCurvature.over(model, loss, List.of(new KfacCurvature.Batch(x, target("ce", rng, 1))))
                .fisher(FisherType.MC).seed(9).compute();
        Tensor sampled = loss.sampleTarget(model.forward(Variable.constant(x)).value(), new Rng(9));
        KfacCurvature empirical = curvature(model, loss, x, sampled, FisherType.EMPIRICAL);
        for (String name : mc.layers()) {
            assertThat(mc.factors(name).g().allClose(empirical.factors(name).g(), 1e-12, 1e-14)).isTrue();
        }
    }

    @Test
    void forwardOnlyHasIdentityOutputFactorAndTheSameInputFactor() {
        Rng rng = new Rng(8);
        Sequential model = mlp("sigmoid", rng);
        Tensor x = rng.normal(DType.F64, 0, 1, 5, IN), y = target("mse", rng, 5);
        Loss loss = new MSELoss(Reduction.MEAN);
        KfacCurvature forward = curvature(model, loss, x, y, FisherType.FORWARD_ONLY);
        KfacCurvature type2 = curvature(model, loss, x, y, FisherType.TYPE2);
        for (String name : forward.layers()) {
            KroneckerFactors f = forward.factors(name);
            assertThat(f.g().allClose(Tensor.eye(DType.F64, f.outputDim()), 0, 0)).isTrue();
            assertThat(f.a().allClose(type2.factors(name).a(), 0, 0)).isTrue();
        }
    }
}
