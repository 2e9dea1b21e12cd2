package kfac4j.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/** The checker must catch wrong rules, not only pass right ones. */
class GradCheckTest {
    private final Tensor x = new Rng(3).normal(DType.F64, 0, 1, 3, 4);

    /** sin with its derivative scaled by {@code factor}; with {@code constantDerivative} the rule is not differentiable. */
    private static Variable sin(Variable v, double factor, boolean constantDerivative) {
        return Node.record("sin", v.value().sin(), new Variable[]{v}, (g, o, n) -> new Variable[]{
                constantDerivative ? g.mul(Variable.constant(v.value().cos().mul(factor))) : g.mul(v.cos().mul(factor))});
    }

    @Test
    void aCorrectRulePassesWithErrorNearRounding() {
        GradCheck.Result r = GradCheck.compare(v -> sin(v.get(0), 1, false), List.of(x), GradCheck.DEFAULT_STEP);
        assertThat(r.maxRelativeError()).isLessThan(1e-8);
        GradCheck.check(v -> sin(v.get(0), 1, false), x);
        GradCheck.checkSecondOrder(v -> sin(v.get(0), 1, false), x);
    }

    @Test
    void aRuleOffByOnePartInAThousandFails() {
        GradCheck.Result r = GradCheck.compare(v -> sin(v.get(0), 1.001, false), List.of(x), GradCheck.DEFAULT_STEP);
        assertThat(r.maxRelativeError()).isGreaterThan(5e-4);
        assertThatThrownBy(() -> GradCheck.check(v -> sin(v.get(0), 1.001, false), x))
                .isInstanceOf(AssertionError.class).hasMessageContaining("gradient check failed");
    }

    @Test
    void aRuleThatIsRightOnceButNotDifferentiableFailsTheSecondOrderCheck() {
        GradCheck.check(v -> sin(v.get(0), 1, true), x);
        assertThatThrownBy(() -> GradCheck.checkSecondOrder(v -> sin(v.get(0), 1, true), x))
                .isInstanceOf(AssertionError.class).hasMessageContaining("second-order");
    }

    @Test
    void aMissingGradientForOneInputFails() {
        assertThatThrownBy(() -> GradCheck.check(v -> Node.record("mul", v.get(0).value().mul(v.get(1).value()),
                new Variable[]{v.get(0), v.get(1)}, (g, o, n) -> new Variable[]{g.mul(v.get(1)), null}), x, x))
                .isInstanceOf(AssertionError.class).hasMessageContaining("input 1");
    }

    @Test
    void onlyF64InputsAreAccepted() {
        assertThatThrownBy(() -> GradCheck.check(v -> v.get(0).sin(), x.to(DType.F32)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("F32");
    }
}
