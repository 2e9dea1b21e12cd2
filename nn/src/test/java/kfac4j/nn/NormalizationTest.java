package kfac4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.List;

import org.junit.jupiter.api.Test;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/** LayerNorm, Dropout, pooling over axes, residual connections and flattening. */
class NormalizationTest {

    @Test
    void layerNormMatchesHandComputedValues() {
        LayerNorm ln = new LayerNorm(4, DType.F64);
        Init.fill(ln.weight(), Tensor.of(1, 2, 3, 4));
        Init.fill(ln.bias(), Tensor.of(0, 0, 0, 1));
        Tensor y = ln.forward(Variable.constant(Tensor.of(new double[][]{{1, 2, 3, 4}, {5, 5, 5, 5}}))).value();
        // Row 1: mean 2.5, biased variance 1.25; row 2 is constant, so x̂ = 0 and y = β.
        double r = 1 / Math.sqrt(1.25 + 1e-5);
        assertThat(y.toDoubleArray()).containsExactly(new double[]{-1.5 * r, -0.5 * r * 2, 0.5 * r * 3, 1.5 * r * 4 + 1,
                0, 0, 0, 1}, offset(1e-14));
        assertThat(ln.stateDict().keySet()).containsExactly("weight", "bias");
    }

    @Test
    void layerNormGradientsAndDoubleBackwardMatchFiniteDifferences() {
        Rng rng = new Rng(1);
        for (int[] shape : new int[][]{{3, 5}, {2, 3, 5}}) {
            LayerNorm ln = new LayerNorm(5, DType.F64);
            Init.fill(ln.weight(), rng.normal(DType.F64, 1, 0.5, 5));
            Init.fill(ln.bias(), rng.normal(DType.F64, 0, 0.5, 5));
            Variable x = FiniteDifferences.randomLeaf(rng, shape);
            FiniteDifferences.check(() -> ln.forward(x), List.of(x, ln.weight().variable(), ln.bias().variable()));
            // The gradient itself is differentiable: check its derivative in x and γ.
            Tensor w = rng.normal(DType.F64, 0, 1, shape);
            FiniteDifferences.check(() -> Grad.grad(ln.forward(x).mul(Variable.constant(w)).sum(),
                    Tensor.scalar(DType.F64, 1), List.of(x), true, true).get(0), List.of(x, ln.weight().variable()), 1e-5);
        }
        LayerNorm two = new LayerNorm(new int[]{2, 3}, 1e-5, false, DType.F64);
        assertThat(two.parameters()).isEmpty();
        Variable x = FiniteDifferences.randomLeaf(rng, 2, 2, 3);
        FiniteDifferences.check(() -> two.forward(x), List.of(x));
        assertThat(two.forward(x).value().sum(new int[]{1, 2}, false).toDoubleArray()).containsExactly(new double[]{0, 0},
                offset(1e-14));
    }

    @Test
    void dropoutZeroesAFractionScalesTheRestAndRepeatsWithTheSeed() {
        Tensor ones = Tensor.ones(DType.F64, 100, 100);
        Dropout a = new Dropout(0.3, new Rng(2)), b = new Dropout(0.3, new Rng(2));
        Variable x = Variable.leaf(ones);
        Variable y = a.forward(x);
        double[] v = y.value().toDoubleArray();
        int zeros = 0;
        for (double e : v) {
            if (e == 0) zeros++;
            else assertThat(e).isCloseTo(1 / 0.7, offset(1e-15));
        }
        assertThat(zeros / 10000.0).isCloseTo(0.3, offset(0.02));
        assertThat(b.forward(Variable.constant(ones)).value().toDoubleArray()).containsExactly(v);
        // The gradient is the mask itself: 1/(1 − p) where kept, 0 where dropped.
        y.sum().backward();
        assertThat(x.grad().toDoubleArray()).containsExactly(v);
        a.eval();
        assertThat(a.forward(x)).isSameAs(x);
        assertThatThrownBy(() -> new Dropout(1.5, new Rng(0))).hasMessageContaining("p must be in [0, 1]");
    }

    @Test
    void poolingResidualAndFlattenComputeWhatTheySay() {
        Rng rng = new Rng(3);
        Tensor img = rng.normal(DType.F64, 0, 1, 2, 3, 4, 5);
        Tensor pooled = new GlobalMeanPool().forward(Variable.constant(img)).value();
        assertThat(pooled.shape()).containsExactly(2, 3);
        double[] iv = img.toDoubleArray();
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                double s = 0;
                for (int k = 0; k < 20; k++) s += iv[(n * 3 + c) * 20 + k];
                assertThat(pooled.get(n, c)).isCloseTo(s / 20, offset(1e-14));
            }
        }
        Tensor tokens = rng.normal(DType.F64, 0, 1, 2, 3, 4);
        assertThat(GlobalMeanPool.overTokens().forward(Variable.constant(tokens)).value()
                .allClose(tokens.mean(new int[]{1}, false), 0, 1e-15)).isTrue();
        assertThatThrownBy(() -> new GlobalMeanPool().forward(Variable.constant(tokens)))
                .hasMessageContaining("(N, C, H, W)").hasMessageContaining("[2, 3, 4]");

        Linear lin = new Linear(4, 4, true, DType.F64, rng);
        Residual res = new Residual(lin, new Tanh());
        Variable x = FiniteDifferences.randomLeaf(rng, 2, 4);
        Tensor expected = x.value().add(lin.forward(x).value().tanh());
        assertThat(res.forward(x).value().toDoubleArray()).containsExactly(expected.toDoubleArray());
        FiniteDifferences.check(() -> res.forward(x), List.of(x, lin.weight().variable()));
        assertThat(res.stateDict().keySet()).containsExactly("0.weight", "0.bias");
        assertThatThrownBy(() -> new Residual(new Linear(4, 3, rng)).forward(Variable.constant(Tensor.zeros(DType.F32, 1, 4))))
                .hasMessageContaining("[1, 4] to [1, 3]");

        assertThat(new Flatten().forward(Variable.constant(img)).shape()).containsExactly(2, 60);
    }
}
