package kfac4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

class OptimizerTest {
    private static final double[] P0 = {1, -2, 0.5};
    private static final double[][] GRADS = {{0.3, -0.1, 2}, {-0.4, 0.2, 1}, {0.1, 0.1, -3}};

    /** Runs three steps with the fixed gradients and returns the parameter after each. */
    private static double[][] run(Function<List<Parameter>, Optimizer> make) {
        Parameter p = new Parameter(Tensor.of(P0));
        Optimizer opt = make.apply(List.of(p));
        double[][] out = new double[GRADS.length][];
        for (int s = 0; s < GRADS.length; s++) {
            opt.zeroGrad();
            p.setGrad(Tensor.of(GRADS[s]));
            opt.step();
            out[s] = p.value().toDoubleArray();
        }
        return out;
    }

    private static void assertSteps(double[][] actual, double[][] expected) {
        for (int s = 0; s < expected.length; s++) {
            assertThat(actual[s]).as("step %d", s + 1).containsExactly(expected[s], offset(1e-14));
        }
    }

    @Test
    void sgdWithMomentumNesterovAndWeightDecayMatchesHandSteps() {
        double lr = 0.1, mu = 0.9, wd = 0.01;
        for (boolean nesterov : new boolean[]{false, true}) {
            double[][] expected = new double[3][3];
            for (int i = 0; i < 3; i++) {
                double p = P0[i], buf = 0;
                for (int s = 0; s < 3; s++) {
                    double d = GRADS[s][i] + wd * p;
                    buf = s == 0 ? d : mu * buf + d;
                    p -= lr * (nesterov ? d + mu * buf : buf);
                    expected[s][i] = p;
                }
            }
            assertSteps(run(ps -> new SGD(ps, lr).momentum(mu).weightDecay(wd).nesterov(nesterov)), expected);
        }
        double[][] plain = new double[3][3];
        for (int i = 0; i < 3; i++) {
            double p = P0[i];
            for (int s = 0; s < 3; s++) plain[s][i] = p -= lr * GRADS[s][i];
        }
        assertSteps(run(ps -> new SGD(ps, lr)), plain);
    }

    @Test
    void adamAndAdamWMatchHandSteps() {
        double lr = 0.01, b1 = 0.8, b2 = 0.95, eps = 1e-6, wd = 0.1;
        for (boolean decoupled : new boolean[]{false, true}) {
            double[][] expected = new double[3][3];
            for (int i = 0; i < 3; i++) {
                double p = P0[i], m = 0, v = 0;
                for (int s = 0; s < 3; s++) {
                    int t = s + 1;
                    double g = GRADS[s][i];
                    if (decoupled) p *= 1 - lr * wd;
                    else g += wd * p;
                    m = b1 * m + (1 - b1) * g;
                    v = b2 * v + (1 - b2) * g * g;
                    double mHat = m / (1 - Math.pow(b1, t)), vHat = v / (1 - Math.pow(b2, t));
                    p -= lr * mHat / (Math.sqrt(vHat) + eps);
                    expected[s][i] = p;
                }
            }
            assertSteps(run(ps -> (decoupled ? new AdamW(ps, lr) : new Adam(ps, lr)).betas(b1, b2).eps(eps).weightDecay(wd)),
                    expected);
        }
    }

    @Test
    void clippingScalesAllGradientsToTheGlobalNorm() {
        Parameter a = new Parameter(Tensor.of(0, 0)), b = new Parameter(Tensor.of(0.0));
        a.setGrad(Tensor.of(3, 0));
        b.setGrad(Tensor.of(4.0));
        double norm = Optimizer.clipGradNorm(List.of(a, b), 1.0);
        assertThat(norm).isEqualTo(5.0);
        double coef = 1.0 / (5 + 1e-6);
        assertThat(a.grad().toDoubleArray()).containsExactly(new double[]{3 * coef, 0}, offset(1e-15));
        assertThat(b.grad().toDoubleArray()).containsExactly(new double[]{4 * coef}, offset(1e-15));
        assertThat(Optimizer.clipGradNorm(List.of(a, b), 10)).isCloseTo(1.0, offset(1e-6));
        assertThat(a.grad().toDoubleArray()).containsExactly(new double[]{3 * coef, 0}, offset(1e-15));

        Parameter p = new Parameter(Tensor.of(0, 0));
        SGD sgd = new SGD(List.of(p), 1);
        sgd.clipGradNorm(0.5);
        p.setGrad(Tensor.of(6, 8));
        sgd.step();
        assertThat(p.value().toDoubleArray()).containsExactly(new double[]{-0.3, -0.4}, offset(1e-6));
    }

    @Test
    void schedulesGiveTheDocumentedFactors() {
        assertThat(LrSchedule.constant().factor(123)).isEqualTo(1);
        LrSchedule cos = LrSchedule.cosine(10, 0.1);
        assertThat(cos.factor(0)).isEqualTo(1);
        assertThat(cos.factor(5)).isCloseTo(0.55, offset(1e-15));
        assertThat(cos.factor(10)).isCloseTo(0.1, offset(1e-15));
        assertThat(cos.factor(50)).isCloseTo(0.1, offset(1e-15));
        LrSchedule warm = LrSchedule.linearWarmup(4, cos);
        assertThat(new double[]{warm.factor(0), warm.factor(1), warm.factor(3), warm.factor(4), warm.factor(9)})
                .containsExactly(new double[]{0.25, 0.5, 1, 1, 0.55}, offset(1e-15));

        Parameter p = new Parameter(Tensor.of(0.0));
        SGD sgd = new SGD(List.of(p), 2);
        sgd.schedule(LrSchedule.linearWarmup(2, LrSchedule.constant()));
        assertThat(sgd.learningRate()).isEqualTo(1);
        p.setGrad(Tensor.of(1.0));
        sgd.step();
        assertThat(p.value().item()).isEqualTo(-1);
        assertThat(sgd.learningRate()).isEqualTo(2);
        sgd.step();
        assertThat(p.value().item()).isEqualTo(-3);
        assertThat(sgd.stepCount()).isEqualTo(2);
    }

    @Test
    void stateDictRoundTripResumesIdentically() {
        Parameter p = new Parameter(Tensor.of(P0)), q = new Parameter(Tensor.of(P0));
        Adam a = new Adam(List.of(p), 0.1), b = new Adam(List.of(q), 0.1);
        p.setGrad(Tensor.of(GRADS[0]));
        a.step();
        Map<String, Tensor> state = a.stateDict();
        assertThat(state.keySet()).containsExactly("state.0.exp_avg", "state.0.exp_avg_sq", "step");
        b.loadStateDict(state);
        q.value().copyFromInPlace(p.value());
        p.setGrad(Tensor.of(GRADS[1]));
        q.setGrad(Tensor.of(GRADS[1]));
        a.step();
        b.step();
        assertThat(q.value().toDoubleArray()).containsExactly(p.value().toDoubleArray());
        assertThat(b.stepCount()).isEqualTo(2);

        SGD sgd = new SGD(List.of(p), 0.1).momentum(0.9);
        sgd.step();
        assertThat(sgd.stateDict()).containsKeys("state.0.momentum_buffer", "step");
    }

    @Test
    void loadingAMismatchedStateNamesTheKeys() {
        Adam a = new Adam(List.of(new Parameter(Tensor.zeros(DType.F64, 3))), 0.1);
        Map<String, Tensor> bad = new HashMap<>();
        bad.put("state.0.exp_avg", Tensor.zeros(DType.F64, 4));
        bad.put("state.7.exp_avg", Tensor.zeros(DType.F64, 3));
        assertThatThrownBy(() -> a.loadStateDict(bad))
                .hasMessageContaining("missing keys [step, state.0.exp_avg_sq]")
                .hasMessageContaining("unexpected keys [state.7.exp_avg]")
                .hasMessageContaining("state.0.exp_avg (expected [3], got [4])");
    }
}
