package kfac4j.examples.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayDeque;
import java.util.List;

import org.junit.jupiter.api.Test;

import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

class GraphDataTest {
    /** Â = D^-1/2 (A + I) D^-1/2 computed densely from the definition, as the reference. */
    private static double[][] denseNormalized(int n, int[][] edges) {
        double[][] a = new double[n][n];
        for (int[] e : edges) {
            if (e[0] != e[1]) {
                a[e[0]][e[1]] = 1;
                a[e[1]][e[0]] = 1;
            }
        }
        for (int i = 0; i < n; i++) a[i][i] = 1;
        double[] d = new double[n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) d[i] += a[i][j];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i][j] /= Math.sqrt(d[i] * d[j]);
        return a;
    }

    @Test
    void normalizedAdjacencyMatchesTheDenseDefinition() {
        // A path 0-1-2, a triangle 3-4-5 listed with a repeat, a reversed duplicate and a self-loop, an isolated node 6.
        int[][] edges = {{0, 1}, {2, 1}, {3, 4}, {4, 5}, {5, 3}, {4, 3}, {3, 4}, {5, 5}};
        int[] src = new int[edges.length], dst = new int[edges.length];
        for (int k = 0; k < edges.length; k++) {
            src[k] = edges[k][0];
            dst[k] = edges[k][1];
        }
        SparseMatrix a = SparseMatrix.gcnNormalized(7, src, dst);
        double[][] ref = denseNormalized(7, edges);
        assertThat(a.nnz()).isEqualTo(7 + 2 * 2 + 2 * 3);
        for (int i = 0; i < 7; i++) for (int j = 0; j < 7; j++) assertThat(a.get(i, j)).isCloseTo(ref[i][j], within(1e-15));
        assertThat(a.get(0, 1)).isCloseTo(1 / Math.sqrt(2 * 3), within(1e-15));
        assertThat(a.get(6, 6)).isEqualTo(1.0);
        double[] dense = a.toDense(DType.F64).toDoubleArray();
        for (int i = 0; i < 7; i++) for (int j = 0; j < 7; j++) assertThat(dense[i * 7 + j]).isCloseTo(ref[i][j], within(1e-15));
        int[] rows = a.rowIndex();
        for (int k = 0; k < a.nnz(); k++) assertThat(a.values()[k]).isCloseTo(ref[rows[k]][a.colIndex()[k]], within(1e-15));
        assertThat(new Graph(7, src, dst, new float[0], 0).degrees()).containsExactly(1, 2, 1, 2, 2, 2, 0);
    }

    @Test
    void sparseTimesDenseMatchesLoops() {
        SparseMatrix a = SparseMatrix.gcnNormalized(4, new int[]{0, 1, 2}, new int[]{1, 2, 3});
        double[] b = {1, 2, 3, 4, 5, 6, 7, 8};
        double[] out = a.multiply(Tensor.fromArray(b, 4, 2)).toDoubleArray();
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 2; j++) {
                double expected = 0;
                for (int k = 0; k < 4; k++) expected += a.get(i, k) * b[k * 2 + j];
                assertThat(out[i * 2 + j]).isCloseTo(expected, within(1e-14));
            }
        }
        assertThat(a.multiply(Tensor.fromArray(new float[8], 4, 2)).dtype()).isEqualTo(DType.F32);
        assertThatThrownBy(() -> a.multiply(Tensor.zeros(DType.F64, 3, 2)))
                .hasMessage("SparseMatrix.multiply: 4×4 times [3, 2] does not fit; expected (4, K)");
    }

    @Test
    void graphBatchRenumbersNodesAndIsBlockDiagonal() {
        Graph g0 = new Graph(2, new int[]{0}, new int[]{1}, new float[]{1, 2, 3, 4}, 2);
        Graph g1 = new Graph(3, new int[]{0, 1}, new int[]{1, 2}, new float[]{5, 6, 7, 8, 9, 10}, 2);
        GraphDataset d = new GraphDataset(List.of(g0, g1), new int[]{1, 0}, 2, DType.F64);
        GraphMiniBatch b = d.batch(new int[]{1, 0});
        assertThat(b.numGraphs()).isEqualTo(2);
        assertThat(b.x().shape()).containsExactly(5, 2);
        assertThat(b.x().dtype()).isEqualTo(DType.F64);
        assertThat(b.x().toDoubleArray()).containsExactly(5, 6, 7, 8, 9, 10, 1, 2, 3, 4);
        assertThat(b.graphOfNode()).containsExactly(0, 0, 0, 1, 1);
        assertThat(b.nodeCounts()).containsExactly(3, 2);
        assertThat(b.src()).containsExactly(0, 1, 3);
        assertThat(b.dst()).containsExactly(1, 2, 4);
        assertThat(b.labels()).containsExactly(0, 1);
        SparseMatrix a1 = g1.normalizedAdjacency(), a0 = g0.normalizedAdjacency();
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 5; j++) {
                double expected = i < 3 && j < 3 ? a1.get(i, j) : i >= 3 && j >= 3 ? a0.get(i - 3, j - 3) : 0;
                assertThat(b.adjacency().get(i, j)).isEqualTo(expected);
            }
        }
        assertThatThrownBy(() -> new GraphDataset(List.of(g0, new Graph(1, new int[0], new int[0], new float[3], 3)),
                new int[]{0, 0}, 1, DType.F32)).hasMessage("GraphDataset: graph 1 has 3 features per node, graph 0 has 2");
        assertThatThrownBy(() -> new Graph(2, new int[]{0}, new int[]{2}, new float[0], 0))
                .hasMessage("Graph: edge 0 (0, 2) has a node outside [0, 2)");
    }

    @Test
    void stochasticBlockModelHasTheRequestedDegreeHomophilyAndMasks() {
        StochasticBlockModel.Config c = new StochasticBlockModel.Config(1400, 7, 16, 6, 0.7, 1.5, 11);
        NodeClassification d = StochasticBlockModel.generate(c);
        Graph g = d.graph();
        assertThat(StochasticBlockModel.generate(c).graph()).isEqualTo(g);
        double within = 0;
        for (int k = 0; k < g.numEdges(); k++) if (d.labels()[g.src()[k]] == d.labels()[g.dst()[k]]) within++;
        // 4200 expected edges: the binomial spread of the degree and homophily estimates is about 1-2%.
        assertThat(2.0 * g.numEdges() / g.numNodes()).isCloseTo(6, within(0.3));
        assertThat(within / g.numEdges()).isCloseTo(0.7, within(0.03));
        int[] train = d.trainNodes(), val = d.validationNodes();
        assertThat(train).hasSize(280);
        assertThat(val).hasSize(420);
        for (int v : train) assertThat(d.validationMask()[v]).isFalse();
        int[] perClass = new int[7];
        for (int v : train) perClass[d.labels()[v]]++;
        assertThat(perClass).containsOnly(40);
        assertThat(d.targets(new int[]{train[0]}, DType.F32).toDoubleArray()).containsExactly(d.labels()[train[0]]);
    }

    /** Features carry the class: each node is closer to its own class's feature mean than to the others' on average. */
    @Test
    void stochasticBlockModelFeaturesCarryAWeakClassSignal() {
        NodeClassification d = StochasticBlockModel.generate(new StochasticBlockModel.Config(1400, 5));
        int f = d.graph().featureDim(), k = d.numClasses();
        double[][] mean = new double[k][f];
        int[] count = new int[k];
        for (int v = 0; v < d.graph().numNodes(); v++) {
            count[d.labels()[v]]++;
            for (int j = 0; j < f; j++) mean[d.labels()[v]][j] += d.graph().features()[v * f + j];
        }
        for (int c = 0; c < k; c++) for (int j = 0; j < f; j++) mean[c][j] /= count[c];
        int nearestOwn = 0;
        for (int v = 0; v < d.graph().numNodes(); v++) {
            int best = 0;
            double bestDistance = Double.MAX_VALUE;
            for (int c = 0; c < k; c++) {
                double dist = 0;
                for (int j = 0; j < f; j++) dist += Math.pow(d.graph().features()[v * f + j] - mean[c][j], 2);
                if (dist < bestDistance) {
                    bestDistance = dist;
                    best = c;
                }
            }
            if (best == d.labels()[v]) nearestOwn++;
        }
        assertThat(nearestOwn / 1400.0).isBetween(0.3, 0.7); // chance 1/7: informative but far from sufficient
    }

    private static boolean connected(Graph g) {
        SparseMatrix a = g.normalizedAdjacency();
        boolean[] seen = new boolean[g.numNodes()];
        ArrayDeque<Integer> queue = new ArrayDeque<>(List.of(0));
        seen[0] = true;
        int reached = 1;
        while (!queue.isEmpty()) {
            int u = queue.poll();
            for (int k = a.rowPtr()[u]; k < a.rowPtr()[u + 1]; k++) {
                int v = a.colIndex()[k];
                if (!seen[v]) {
                    seen[v] = true;
                    reached++;
                    queue.add(v);
                }
            }
        }
        return reached == g.numNodes();
    }

    @Test
    void graphFamiliesHaveTheirStructureWithoutNoise() {
        GraphDataset d = SyntheticGraphFamilies.generate(new SyntheticGraphFamilies.Config(80, 8, 20, 5, 0, 4));
        int[] counts = new int[4];
        for (int i = 0; i < d.size(); i++) {
            Graph g = d.graph(i);
            int[] deg = g.degrees();
            int v = g.numNodes();
            counts[d.label(i)]++;
            String why = SyntheticGraphFamilies.CLASS_NAMES.get(d.label(i)) + " " + g;
            assertThat(v).as(why).isBetween(8 - 4, 20);
            assertThat(connected(g)).as(why).isTrue();
            switch (d.label(i)) {
                case 0 -> assertThat(java.util.Arrays.stream(deg).min().orElseThrow()).as(why).isGreaterThanOrEqualTo(2);
                case 1 -> assertThat(g.numEdges()).as(why).isEqualTo(v - 1);
                case 2 -> assertThat(java.util.Arrays.stream(deg).boxed().toList()).as(why).allMatch(x -> x >= 2 && x <= 4);
                default -> assertThat(2.0 * g.numEdges() / v).as(why).isGreaterThan(2.0);
            }
            for (int n = 0; n < v; n++) {
                float[] row = java.util.Arrays.copyOfRange(g.features(), n * 5, n * 5 + 5);
                float[] expected = new float[5];
                expected[Math.min(deg[n], 4)] = 1;
                assertThat(row).as(why).containsExactly(expected);
            }
        }
        assertThat(counts).containsOnly(20);
        GraphDataset noisy = SyntheticGraphFamilies.generate(new SyntheticGraphFamilies.Config(40, 3));
        assertThat(noisy.graph(7)).isEqualTo(SyntheticGraphFamilies.generate(new SyntheticGraphFamilies.Config(40, 3)).graph(7));
        assertThat(noisy.split(0.25, 1).validation().size()).isEqualTo(10);
    }
}
