package kfac4j.nn;

import java.util.Arrays;

import kfac4j.autograd.Node;
import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

/**
 * A batch of undirected graphs of different sizes, their nodes numbered consecutively graph after graph (the rows of a
 * ragged batch), with the GCN propagation matrix {@code Â = D^(−1/2) (A + I) D^(−1/2)} (Kipf and Welling) held sparse,
 * in compressed rows, block-diagonal over the graphs. Node features are (M, D) for M nodes in all.
 */
public final class GraphBatch {
    private final int numGraphs;
    private final int[] graphOfNode;
    private final int[] rowStart, column;
    private final double[] weight;

    private GraphBatch(int numGraphs, int[] graphOfNode, int[] rowStart, int[] column, double[] weight) {
        this.numGraphs = numGraphs;
        this.graphOfNode = graphOfNode;
        this.rowStart = rowStart;
        this.column = column;
        this.weight = weight;
    }

    /**
     * Graphs of {@code nodesPerGraph[g]} nodes each; edge k joins nodes {@code source[k]} and {@code target[k]} (global
     * numbers, both in one graph), in both directions. Repeated edges and self-loops count once: every node gets one
     * self-loop.
     */
    public static GraphBatch of(int[] nodesPerGraph, int[] source, int[] target) {
        int m = 0;
        for (int g = 0; g < nodesPerGraph.length; g++) {
            if (nodesPerGraph[g] < 0) throw new IllegalArgumentException("GraphBatch: graph " + g + " has a negative node count");
            m += nodesPerGraph[g];
        }
        int[] graphOf = new int[m];
        for (int g = 0, v = 0; g < nodesPerGraph.length; g++) for (int i = 0; i < nodesPerGraph[g]; i++) graphOf[v++] = g;
        if (source.length != target.length) {
            throw new IllegalArgumentException("GraphBatch: " + source.length + " edge sources but " + target.length + " targets");
        }
        // Neighbour sets, self-loop included, as sorted unique lists.
        int[] count = new int[m];
        for (int k = 0; k < source.length; k++) {
            int a = source[k], b = target[k];
            if (a < 0 || a >= m || b < 0 || b >= m) {
                throw new IllegalArgumentException("GraphBatch: edge " + k + " (" + a + ", " + b + ") names a node outside [0, " + m + ")");
            }
            if (graphOf[a] != graphOf[b]) {
                throw new IllegalArgumentException("GraphBatch: edge " + k + " joins node " + a + " of graph " + graphOf[a]
                        + " to node " + b + " of graph " + graphOf[b]);
            }
            count[a]++;
            count[b]++;
        }
        int[][] nbr = new int[m][];
        for (int v = 0; v < m; v++) {
            nbr[v] = new int[count[v] + 1];
            nbr[v][0] = v;
            count[v] = 1;
        }
        for (int k = 0; k < source.length; k++) {
            nbr[source[k]][count[source[k]]++] = target[k];
            nbr[target[k]][count[target[k]]++] = source[k];
        }
        int[] rowStart = new int[m + 1];
        for (int v = 0; v < m; v++) {
            int[] u = Arrays.stream(nbr[v]).sorted().distinct().toArray();
            nbr[v] = u;
            rowStart[v + 1] = rowStart[v] + u.length;
        }
        int[] column = new int[rowStart[m]];
        double[] w = new double[rowStart[m]];
        for (int v = 0; v < m; v++) {
            for (int k = 0; k < nbr[v].length; k++) {
                int u = nbr[v][k];
                column[rowStart[v] + k] = u;
                w[rowStart[v] + k] = 1 / Math.sqrt((double) nbr[v].length * nbr[u].length); // 1/√(d_v d_u)
            }
        }
        return new GraphBatch(nodesPerGraph.length, graphOf, rowStart, column, w);
    }

    public int numNodes() {
        return graphOfNode.length;
    }

    public int numGraphs() {
        return numGraphs;
    }

    /** The graph of every node (a copy). */
    public int[] graphOfNode() {
        return graphOfNode.clone();
    }

    int[] graphOfNodeRef() {
        return graphOfNode;
    }

    /** Â as a dense (M, M) matrix, for checks on small graphs. */
    public Tensor denseAdjacency(DType dtype) {
        int m = numNodes();
        double[] a = new double[m * m];
        for (int v = 0; v < m; v++) for (int k = rowStart[v]; k < rowStart[v + 1]; k++) a[v * m + column[k]] = weight[k];
        return HostArrays.tensor(dtype, a, m, m);
    }

    /**
     * {@code Â H} for node features H (M, D), computed row by row over the sparse Â; Â is symmetric, so the backward is
     * the same product applied to the gradient (itself recorded, so double backward works).
     */
    public Variable propagate(Variable h) {
        int[] s = h.shape();
        if (s.length != 2 || s[0] != numNodes()) {
            throw new IllegalArgumentException("GraphBatch.propagate: node features must have shape (" + numNodes()
                    + ", D), got " + Arrays.toString(s));
        }
        return Node.record("gcnPropagate", multiply(h.value()), new Variable[]{h}, (g, o, n) -> new Variable[]{propagate(g)});
    }

    private Tensor multiply(Tensor h) {
        int m = numNodes(), d = h.size(1);
        double[] x = h.toDoubleArray(), y = new double[m * d];
        for (int v = 0; v < m; v++) {
            int yo = v * d;
            for (int k = rowStart[v]; k < rowStart[v + 1]; k++) {
                int xo = column[k] * d;
                double w = weight[k];
                for (int j = 0; j < d; j++) y[yo + j] += w * x[xo + j];
            }
        }
        return HostArrays.tensor(h.dtype(), y, m, d);
    }
}
