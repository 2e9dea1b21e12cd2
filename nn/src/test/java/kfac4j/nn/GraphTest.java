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

/** GCN layers over batches of graphs of different sizes, against a dense Â built here by hand. */
class GraphTest {
    // Graph 0: a path 0–1–2 (with a repeated edge); graph 1: a single node 3; graph 2: a triangle 4–5–6 plus 6–7.
    private static final int[] SIZES = {3, 1, 4};
    private static final int[] SRC = {0, 1, 1, 4, 5, 6, 6};
    private static final int[] DST = {1, 2, 0, 5, 6, 4, 7};

    /** Â = D^(−1/2)(A + I)D^(−1/2), built densely from the edge list. */
    private static double[][] denseNormalised() {
        int m = 8;
        double[][] a = new double[m][m];
        for (int v = 0; v < m; v++) a[v][v] = 1;
        for (int k = 0; k < SRC.length; k++) {
            a[SRC[k]][DST[k]] = 1;
            a[DST[k]][SRC[k]] = 1;
        }
        double[] deg = new double[m];
        for (int v = 0; v < m; v++) for (int u = 0; u < m; u++) deg[v] += a[v][u];
        for (int v = 0; v < m; v++) for (int u = 0; u < m; u++) a[v][u] /= Math.sqrt(deg[v] * deg[u]);
        return a;
    }

    @Test
    void gcnMatchesADenseNormalisedAdjacency() {
        GraphBatch graphs = GraphBatch.of(SIZES, SRC, DST);
        assertThat(graphs.numNodes()).isEqualTo(8);
        assertThat(graphs.graphOfNode()).containsExactly(0, 0, 0, 1, 2, 2, 2, 2);
        double[][] a = denseNormalised();
        assertThat(graphs.denseAdjacency(DType.F64).toDoubleArray()).containsExactly(Tensor.of(a).toDoubleArray(), offset(1e-15));

        Rng rng = new Rng(1);
        GCNConv conv = new GCNConv(3, 2, true, DType.F64, rng);
        Init.fill(conv.bias(), Tensor.of(0.5, -1));
        Tensor h = rng.normal(DType.F64, 0, 1, 8, 3);
        Tensor y = conv.forward(Variable.constant(h), graphs).value();
        double[] w = conv.weight().value().toDoubleArray(), hv = h.toDoubleArray();
        for (int v = 0; v < 8; v++) {
            for (int o = 0; o < 2; o++) {
                double s = o == 0 ? 0.5 : -1;
                for (int u = 0; u < 8; u++) for (int i = 0; i < 3; i++) s += a[v][u] * hv[u * 3 + i] * w[o * 3 + i];
                assertThat(y.get(v, o)).isCloseTo(s, offset(1e-14));
            }
        }
    }

    @Test
    void gcnGradientsAndReadoutsMatchFiniteDifferences() {
        GraphBatch graphs = GraphBatch.of(SIZES, SRC, DST);
        Rng rng = new Rng(2);
        GCNConv c1 = new GCNConv(3, 4, true, DType.F64, rng), c2 = new GCNConv(4, 2, true, DType.F64, rng);
        Init.fill(c1.bias(), rng.normal(DType.F64, 0, 1, 4));
        Variable h = FiniteDifferences.randomLeaf(rng, 8, 3);
        for (GraphReadout.Mode mode : GraphReadout.Mode.values()) {
            GraphReadout readout = new GraphReadout(mode);
            FiniteDifferences.check(() -> readout.forward(c2.forward(c1.forward(h, graphs).tanh(), graphs), graphs),
                    List.of(h, c1.weight().variable(), c1.bias().variable(), c2.weight().variable()));
        }
        // Readouts by hand: graph 1 is node 3 alone; graph 2 averages nodes 4..7.
        Tensor x = rng.normal(DType.F64, 0, 1, 8, 2);
        Tensor mean = new GraphReadout(GraphReadout.Mode.MEAN).forward(Variable.constant(x), graphs).value();
        Tensor sum = new GraphReadout(GraphReadout.Mode.SUM).forward(Variable.constant(x), graphs).value();
        assertThat(mean.shape()).containsExactly(3, 2);
        assertThat(mean.get(1, 0)).isEqualTo(x.get(3, 0));
        double s = x.get(4, 1) + x.get(5, 1) + x.get(6, 1) + x.get(7, 1);
        assertThat(sum.get(2, 1)).isCloseTo(s, offset(1e-15));
        assertThat(mean.get(2, 1)).isCloseTo(s / 4, offset(1e-15));
        // Propagation is recorded with a differentiable backward: the Hessian-vector product of a quadratic is exact.
        Variable z = FiniteDifferences.randomLeaf(rng, 8, 2);
        FiniteDifferences.check(() -> Grad.grad(graphs.propagate(z).square().sum(), Tensor.scalar(DType.F64, 1), List.of(z),
                true, true).get(0), List.of(z));
    }

    @Test
    void captureReportsAggregatedRowsGroupedByGraph() {
        GraphBatch graphs = GraphBatch.of(SIZES, SRC, DST);
        Rng rng = new Rng(3);
        GCNConv conv = new GCNConv(3, 2, true, DType.F64, rng);
        LinearTest.Recorder rec = new LinearTest.Recorder();
        conv.setCaptureListener(rec);
        Tensor h = rng.normal(DType.F64, 0, 1, 8, 3), c = rng.normal(DType.F64, 0, 1, 8, 2);
        conv.forward(Variable.constant(h), graphs).mul(Variable.constant(c)).sum().backward();
        double[][] a = denseNormalised();
        double[] hv = h.toDoubleArray(), agg = new double[24];
        for (int v = 0; v < 8; v++) for (int u = 0; u < 8; u++) for (int i = 0; i < 3; i++) agg[v * 3 + i] += a[v][u] * hv[u * 3 + i];
        SharedRows in = rec.inputs.get(0).rows();
        assertThat(in.rows().toDoubleArray()).containsExactly(agg, offset(1e-15));
        assertThat(in.exampleOfRow()).containsExactly(0, 0, 0, 1, 2, 2, 2, 2);
        assertThat(in.numExamples()).isEqualTo(3);
        SharedRows g = rec.grads.get(0).rows();
        assertThat(g.rows().toDoubleArray()).containsExactly(c.toDoubleArray());
        assertThat(g.exampleOfRow()).containsExactly(0, 0, 0, 1, 2, 2, 2, 2);
    }

    @Test
    void badGraphsAndFeaturesAreRejectedClearly() {
        assertThatThrownBy(() -> GraphBatch.of(new int[]{2, 2}, new int[]{1}, new int[]{2}))
                .hasMessageContaining("edge 0 joins node 1 of graph 0 to node 2 of graph 1");
        assertThatThrownBy(() -> GraphBatch.of(new int[]{2}, new int[]{0}, new int[]{5}))
                .hasMessageContaining("outside [0, 2)");
        GraphBatch graphs = GraphBatch.of(SIZES, SRC, DST);
        class Net extends Module {
            final GCNConv gcn1 = registerModule("gcn1", new GCNConv(3, 2, new Rng(0)));
        }
        Net net = new Net();
        assertThatThrownBy(() -> net.gcn1.forward(Variable.constant(Tensor.zeros(DType.F32, 7, 3)), graphs))
                .hasMessageContaining("GCNConv 'gcn1'").hasMessageContaining("(8, 3)").hasMessageContaining("[7, 3]");
    }
}
