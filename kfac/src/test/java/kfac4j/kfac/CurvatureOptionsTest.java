package kfac4j.kfac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import kfac4j.autograd.Variable;
import kfac4j.nn.Linear;
import kfac4j.nn.Sequential;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;

/** The curvature options are one set, read and checked the same way by the operator's and the optimizer's builder. */
class CurvatureOptionsTest {
    private static Sequential model() {
        return new Sequential(new Linear(3, 2, true, DType.F64, new Rng(1)));
    }

    private static List<CurvatureOptions<?>> both() {
        List<Supplier<Variable>> none = List.of();
        return List.of(KfacCurvature.overLosses(model(), none), KfacOptimizer.builder(model()));
    }

    @Test
    void theDefaultsDifferOnlyInTheFisherType() {
        CurvatureOptions<?> operator = both().get(0), optimizer = both().get(1);
        assertThat(operator.fisher).isEqualTo(FisherType.TYPE2);
        assertThat(optimizer.fisher).isEqualTo(FisherType.MC);
        for (CurvatureOptions<?> o : both()) {
            assertThat(o.approximation).isEqualTo(Approximation.EXPAND);
            assertThat(o.perLayer()).isEmpty();
            assertThat(o.samples).isEqualTo(1);
            assertThat(o.seed).isZero();
            assertThat(o.eigenvalueCorrection).isFalse();
        }
    }

    @Test
    void settersChainIntoEachBuildersOwnOptions() {
        // The chain returns the concrete builder: its own options (learningRate, compute) follow the shared ones.
        KfacOptimizer.Builder b = KfacOptimizer.builder(model()).approximation(Approximation.REDUCE)
                .approximation("0", Approximation.EXPAND).fisher(FisherType.EMPIRICAL).mcSamples(3).seed(7)
                .eigenvalueCorrection(true).learningRate(0.5);
        assertThat(b.approximation).isEqualTo(Approximation.REDUCE);
        assertThat(b.perLayer()).containsExactly(Map.entry("0", Approximation.EXPAND));
        assertThat(b.fisher).isEqualTo(FisherType.EMPIRICAL);
        assertThat(b.samples).isEqualTo(3);
        assertThat(b.seed).isEqualTo(7);
        assertThat(b.eigenvalueCorrection).isTrue();
        List<Supplier<Variable>> none = List.of();
        KfacCurvature.Builder c = KfacCurvature.overLosses(model(), none).mcSamples(2).fisher(FisherType.MC);
        assertThat(c.samples).isEqualTo(2);
        assertThat(c.fisher).isEqualTo(FisherType.MC);
    }

    @Test
    void badOptionsAreRefusedWithTheSameMessageByBoth() {
        for (CurvatureOptions<?> o : both()) {
            assertThatThrownBy(() -> o.mcSamples(0)).hasMessage("mcSamples must be ≥ 1, got 0");
            assertThatThrownBy(() -> o.fisher(null)).hasMessage("fisher must not be null");
            assertThatThrownBy(() -> o.approximation(null)).hasMessage("approximation must not be null");
            assertThatThrownBy(() -> o.approximation("fc", null))
                    .hasMessage("approximation: layer and approximation must not be null");
        }
    }
}
