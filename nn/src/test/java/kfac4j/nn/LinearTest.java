package kfac4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

class LinearTest {

    /** A listener that keeps everything it is told (saying so, unless {@code keeps} is cleared). */
    static final class Recorder implements CaptureListener {
        record Event(WeightSharingLinear layer, int call, SharedRows rows) {
        }

        final List<Event> inputs = new ArrayList<>(), grads = new ArrayList<>();
        boolean keeps = true;

        @Override
        public boolean keepsOutputGrads(WeightSharingLinear layer) {
            return keeps;
        }

        @Override
        public void onInput(WeightSharingLinear layer, int call, SharedRows input) {
            inputs.add(new Event(layer, call, input));
        }

        @Override
        public void onOutputGrad(WeightSharingLinear layer, int call, SharedRows outputGrad) {
            grads.add(new Event(layer, call, outputGrad));
        }
    }

    @Test
    void outputGradientsAListenerDeclinesToKeepAreRecycledAndTheOnesItKeepsAreNot() {
        for (boolean keeps : new boolean[]{false, true}) {
            Linear lin = f64(4, 3, 5);
            Recorder r = new Recorder();
            r.keeps = keeps;
            lin.setCaptureListener(r);
            Variable x = Variable.leaf(new Rng(6).normal(DType.F64, 0, 1, 2, 4));
            Variable y = lin.forward(x);
            y.tanh().sum().backward(); // tanh's rule allocates the output gradient; the linear rule consumes it
            Tensor rows = r.grads.get(0).rows().rows();
            assertThat(kfac4j.tensor.Recycler.isReleased(rows)).isEqualTo(!keeps);
            if (keeps) {
                Tensor t = y.value().tanh();
                assertThat(rows.toDoubleArray()).containsExactly(t.mul(t).neg().add(1.0).toDoubleArray());
            }
        }
    }

    private static Linear f64(int in, int out, long seed) {
        return new Linear(in, out, true, DType.F64, new Rng(seed));
    }

    /** y[n, o] = Σ_d x[n, d] W[o, d] + b[o], written out. */
    private static double[] handLinear(double[] x, int rows, int in, double[] w, double[] b, int out) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int d = 0; d < in; d++) s += x[r * in + d] * w[o * in + d];
                y[r * out + o] = s;
            }
        }
        return y;
    }

    @Test
    void outputMatchesHandComputedProductForEveryInputRank() {
        Linear lin = f64(5, 3, 1);
        double[] w = lin.weight().value().toDoubleArray(), b = lin.bias().value().toDoubleArray();
        Rng rng = new Rng(2);
        for (int[] shape : new int[][]{{4, 5}, {2, 3, 5}, {2, 2, 3, 5}, {5}}) {
            Tensor x = rng.uniform(DType.F64, -1, 1, shape);
            Variable y = lin.forward(Variable.constant(x));
            int[] expectedShape = shape.clone();
            expectedShape[shape.length - 1] = 3;
            assertThat(y.shape()).isEqualTo(expectedShape);
            double[] expected = handLinear(x.toDoubleArray(), x.numel() / 5, 5, w, b, 3);
            assertThat(y.value().toDoubleArray()).containsExactly(expected, org.assertj.core.data.Offset.offset(1e-14));
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Rng rng = new Rng(3);
        for (int[] shape : new int[][]{{3, 4}, {2, 3, 4}, {2, 1, 3, 4}}) {
            Linear lin = f64(4, 3, 4);
            Variable x = FiniteDifferences.randomLeaf(rng, shape);
            FiniteDifferences.check(() -> lin.forward(x).tanh(),
                    List.of(x, lin.weight().variable(), lin.bias().variable()));
        }
        Linear noBias = new Linear(4, 2, false, DType.F64, new Rng(5));
        assertThat(noBias.bias()).isNull();
        Variable x = FiniteDifferences.randomLeaf(rng, 3, 4);
        FiniteDifferences.check(() -> noBias.forward(x).square(), List.of(x, noBias.weight().variable()));
        Variable rows = FiniteDifferences.randomLeaf(rng, 5, 4);
        Linear lin = f64(4, 3, 6);
        FiniteDifferences.check(() -> lin.forward(rows, new int[]{0, 0, 1, 2, 2}, 3).sin(),
                List.of(rows, lin.weight().variable(), lin.bias().variable()));
    }

    @Test
    void defaultInitIsPyTorchsUniformBoundAndSeeded() {
        Linear a = new Linear(64, 32, new Rng(7)), b = new Linear(64, 32, new Rng(7));
        assertThat(a.weight().value().dtype()).isEqualTo(DType.F32);
        assertThat(a.weight().shape()).containsExactly(32, 64);
        assertThat(a.bias().shape()).containsExactly(32);
        double bound = 1 / Math.sqrt(64);
        double[] w = a.weight().value().toDoubleArray();
        double maxAbs = 0;
        for (double v : w) maxAbs = Math.max(maxAbs, Math.abs(v));
        assertThat(maxAbs).isLessThanOrEqualTo(bound).isGreaterThan(0.9 * bound);
        for (double v : a.bias().value().toDoubleArray()) assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
        assertThat(a.weight().value().toDoubleArray()).containsExactly(b.weight().value().toDoubleArray());
        assertThat(a.stateDict().keySet()).containsExactly("weight", "bias");
    }

    @Test
    void captureReportsRowsAndOutputGradientsForExampleInputs() {
        Rng rng = new Rng(8);
        Linear lin = f64(4, 3, 9);
        Recorder rec = new Recorder();
        lin.setCaptureListener(rec);
        Tensor x = rng.uniform(DType.F64, -1, 1, 5, 4);
        Tensor c = rng.uniform(DType.F64, -1, 1, 5, 3);
        // L = Σ C ⊙ y, so ∂L/∂y = C exactly.
        lin.forward(Variable.constant(x)).mul(Variable.constant(c)).sum().backward();

        assertThat(rec.inputs).hasSize(1);
        SharedRows in = rec.inputs.get(0).rows();
        assertThat(rec.inputs.get(0).call()).isZero();
        assertThat(rec.inputs.get(0).layer()).isSameAs(lin);
        assertThat(in.rows().toDoubleArray()).containsExactly(x.toDoubleArray());
        assertThat(in.exampleOfRow()).containsExactly(0, 1, 2, 3, 4);
        assertThat(in.numExamples()).isEqualTo(5);
        assertThat(rec.grads).hasSize(1);
        SharedRows g = rec.grads.get(0).rows();
        assertThat(g.rows().shape()).containsExactly(5, 3);
        assertThat(g.rows().toDoubleArray()).containsExactly(c.toDoubleArray());
        assertThat(g.exampleOfRow()).containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void captureGroupsSharedAxesPerExampleAndNumbersTiedCalls() {
        Rng rng = new Rng(10);
        Linear lin = f64(3, 3, 11);
        Recorder rec = new Recorder();
        lin.setCaptureListener(rec);
        Tensor x = rng.uniform(DType.F64, -1, 1, 2, 4, 3);   // N = 2 examples, R = 4 tokens
        Tensor c = rng.uniform(DType.F64, -1, 1, 2, 4, 3);
        Variable y1 = lin.forward(Variable.constant(x));
        Variable y2 = lin.forward(y1);                        // the same weight applied twice
        y2.mul(Variable.constant(c)).sum().backward();

        int[] ids = {0, 0, 0, 0, 1, 1, 1, 1};
        assertThat(rec.inputs).extracting(Recorder.Event::call).containsExactly(0, 1);
        assertThat(rec.inputs.get(0).rows().rows().shape()).containsExactly(8, 3);
        assertThat(rec.inputs.get(0).rows().rows().toDoubleArray()).containsExactly(x.toDoubleArray());
        assertThat(rec.inputs.get(1).rows().rows().toDoubleArray()).containsExactly(y1.value().toDoubleArray());
        assertThat(rec.inputs.get(1).rows().exampleOfRow()).containsExactly(ids);

        // Backward visits call 1 first: its output gradient is C; call 0's is C W (∂(y1 Wᵀ)/∂y1), by hand.
        assertThat(rec.grads).extracting(Recorder.Event::call).containsExactly(1, 0);
        assertThat(rec.grads.get(0).rows().rows().toDoubleArray()).containsExactly(c.toDoubleArray());
        double[] w = lin.weight().value().toDoubleArray(), cv = c.toDoubleArray();
        double[] expected = new double[24];
        for (int r = 0; r < 8; r++) {
            for (int d = 0; d < 3; d++) {
                double s = 0;
                for (int o = 0; o < 3; o++) s += cv[r * 3 + o] * w[o * 3 + d];
                expected[r * 3 + d] = s;
            }
        }
        assertThat(rec.grads.get(1).rows().rows().toDoubleArray())
                .containsExactly(expected, org.assertj.core.data.Offset.offset(1e-14));
        assertThat(rec.grads.get(1).rows().exampleOfRow()).containsExactly(ids);
    }

    @Test
    void captureReportsEveryBackwardPassAndRaggedGroups() {
        Rng rng = new Rng(12);
        Linear lin = f64(2, 2, 13);
        Recorder rec = new Recorder();
        lin.setCaptureListener(rec);
        Tensor rows = rng.uniform(DType.F64, -1, 1, 6, 2);
        int[] ids = {0, 1, 1, 1, 2, 2};
        Variable y = lin.forward(Variable.constant(rows), ids, 3);
        Tensor seed1 = rng.uniform(DType.F64, -1, 1, 6, 2), seed2 = rng.uniform(DType.F64, -1, 1, 6, 2);
        y.backward(seed1, true);
        y.backward(seed2, false);
        assertThat(rec.inputs).hasSize(1);
        assertThat(rec.inputs.get(0).rows().exampleOfRow()).containsExactly(ids);
        assertThat(rec.inputs.get(0).rows().numExamples()).isEqualTo(3);
        assertThat(rec.grads).hasSize(2).allSatisfy(e -> assertThat(e.call()).isZero());
        assertThat(rec.grads.get(0).rows().rows().toDoubleArray()).containsExactly(seed1.toDoubleArray());
        assertThat(rec.grads.get(1).rows().rows().toDoubleArray()).containsExactly(seed2.toDoubleArray());
        assertThat(rec.grads.get(1).rows().exampleOfRow()).containsExactly(ids);
    }

    @Test
    void captureOffReportsNothingAndSwitchingOnRestartsTheCount() {
        Linear lin = f64(2, 2, 14);
        Recorder rec = new Recorder();
        Variable x = Variable.constant(Tensor.ones(DType.F64, 3, 2));
        lin.forward(x).sum().backward();
        lin.setCaptureListener(rec);
        lin.forward(x);
        lin.forward(x);
        lin.setCaptureListener(rec);
        lin.forward(x).sum().backward();
        assertThat(rec.inputs).extracting(Recorder.Event::call).containsExactly(0, 1, 0);
        lin.setCaptureListener(null);
        lin.forward(x).sum().backward();
        assertThat(rec.inputs).hasSize(3);
        assertThat(rec.grads).hasSize(1);
    }

    @Test
    void exampleSumsOnlyKeepsTheSumsAndTheExamplesButNotTheRows() {
        Tensor rows = Tensor.fromArray(new double[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5, 2);
        for (int[] ids : new int[][]{{0, 0, 1, 1, 2}, {0, 2, 2, 0, 2}}) { // ragged: uneven counts, in order or not
            SharedRows all = new SharedRows(rows, ids, 3);
            SharedRows sums = all.exampleSumsOnly();
            assertThat(sums.exampleSums().toDoubleArray()).containsExactly(rows.segmentSum(ids, 3).toDoubleArray());
            assertThat(sums.exampleOfRow()).containsExactly(ids);
            assertThat(sums.numRows()).isEqualTo(5);
            assertThat(sums.width()).isEqualTo(2);
            assertThat(sums.rowsPerExample()).isEqualTo(all.rowsPerExample());
            assertThatThrownBy(sums::rows).isInstanceOf(IllegalStateException.class)
                    .hasMessage("SharedRows: only the per-example sums of these rows were kept");
        }
        SharedRows regular = SharedRows.regular(rows.reshape(5, 1, 2)).exampleSumsOnly();
        assertThat(regular.exampleOfRow()).containsExactly(0, 1, 2, 3, 4);
        assertThat(regular.exampleSums().toDoubleArray()).containsExactly(rows.toDoubleArray());
    }

    @Test
    void badInputsNameTheLayerAndTheShapes() {
        class Net extends Module {
            final Linear fc1 = registerModule("fc1", new Linear(4, 3, new Rng(0)));
        }
        Net net = new Net();
        assertThatThrownBy(() -> net.fc1.forward(Variable.constant(Tensor.zeros(DType.F32, 2, 5))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Linear 'fc1'").hasMessageContaining("(N, ..., 4)").hasMessageContaining("[2, 5]");
        assertThatThrownBy(() -> net.fc1.forward(Variable.constant(Tensor.zeros(DType.F64, 2, 4))))
                .hasMessageContaining("Linear 'fc1'").hasMessageContaining("F64");
        assertThatThrownBy(() -> net.fc1.forward(Variable.constant(Tensor.zeros(DType.F32, 3, 4)), new int[]{0, 3, 1}, 2))
                .hasMessageContaining("row 1 belongs to example 3");
        assertThatThrownBy(() -> net.fc1.forward(Variable.constant(Tensor.zeros(DType.F32, 3, 4)), new int[]{0, 1}, 2))
                .hasMessageContaining("2 example ids for 3 rows");
    }
}
