package kfac4j.kfac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;

import org.junit.jupiter.api.Test;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Variable;
import kfac4j.nn.CaptureListener;
import kfac4j.nn.Linear;
import kfac4j.nn.SharedRows;
import kfac4j.nn.WeightSharingLinear;
import kfac4j.tensor.DType;
import kfac4j.tensor.Recycler;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/** What a Fisher pass keeps of each layer's output gradient, and what it leaves for the backward pass to recycle. */
class CurvatureCaptureTest {

    /** Sees the output gradients beside the capture, keeping none of them from recycling. */
    private static final class Watcher implements CaptureListener {
        final List<SharedRows> grads = new ArrayList<>();

        @Override
        public void onInput(WeightSharingLinear layer, int call, SharedRows input) {
        }

        @Override
        public void onOutputGrad(WeightSharingLinear layer, int call, SharedRows outputGrad) {
            grads.add(outputGrad);
        }

        @Override
        public boolean keepsOutputGrads(WeightSharingLinear layer) {
            return false;
        }
    }

    @Test
    void aFisherPassKeepsExpandRowsAndOnlyTheSumsOfReduceRows() {
        Rng rng = new Rng(3);
        // x (N = 3 examples, R = 4 shared rows, D = 5) → lower (reduce) → tanh → upper (expand) → Σ C ⊙ y.
        Linear lower = new Linear(5, 6, true, DType.F64, new Rng(1)), upper = new Linear(6, 2, true, DType.F64, new Rng(2));
        List<KfacLayer> layers = List.of(new KfacLayer("lower", lower, Approximation.REDUCE),
                new KfacLayer("upper", upper, Approximation.EXPAND));
        CurvatureCapture capture = new CurvatureCapture(layers);
        Watcher watcher = new Watcher();
        capture.attach();
        CaptureFanout.attach(lower, watcher);
        CaptureFanout.attach(upper, watcher);
        try {
            Tensor x = rng.uniform(DType.F64, -1, 1, 3, 4, 5), c = rng.uniform(DType.F64, -1, 1, 3, 4, 2);
            Variable h = lower.forward(Variable.constant(x));
            Variable y = upper.forward(h.tanh());
            Variable loss = y.mul(Variable.constant(c)).sum();
            // The output gradients by hand: ∂L/∂y = C, ∂L/∂h = (C Wᵤ) ⊙ (1 − tanh² h).
            Tensor th = h.value().tanh();
            Tensor gh = c.matmul(upper.weight().value()).mul(th.mul(th).neg().add(1.0));

            capture.beginPass(true);
            Grad.reach(loss, Tensor.scalar(DType.F64, 1), capture.passTargets(), true);
            List<SortedMap<Integer, SharedRows>> grads = capture.endPass();

            SharedRows reduced = grads.get(0).get(0), expanded = grads.get(1).get(0);
            assertThat(reduced.exampleSums().toDoubleArray()).containsExactly(gh.sum(1).toDoubleArray());
            assertThat(reduced.numExamples()).isEqualTo(3);
            assertThatThrownBy(reduced::rows).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("only the per-example sums");
            assertThat(expanded.rows().toDoubleArray()).containsExactly(c.reshape(12, 2).toDoubleArray());
            // The reduce layer's gradient went back to the pool; the expand layer's is kept for its rows.
            assertThat(watcher.grads).hasSize(2);
            assertThat(Recycler.isReleased(watcher.grads.get(1).rows())).isTrue();   // lower's, reached last
            assertThat(Recycler.isReleased(watcher.grads.get(0).rows())).isFalse();  // upper's
        } finally {
            CaptureFanout.detach(lower, watcher);
            CaptureFanout.detach(upper, watcher);
            capture.detach();
        }
    }
}
