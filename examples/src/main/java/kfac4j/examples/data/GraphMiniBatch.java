package kfac4j.examples.data;

import java.util.Arrays;

import kfac4j.tensor.Tensor;

/**
 * A ragged batch of G small graphs stacked into one disconnected graph of M = Σ V_g nodes: node features {@code x}
 * (M, F), the edges renumbered into 0..M-1, {@code graphOfNode[i]} the example that node i belongs to (ascending, for
 * segment sums and per-graph readout), graph labels {@code y} (G), and the block-diagonal Â of the whole batch.
 * The layers' own structure is {@code kfac4j.nn.GraphBatch.of(nodeCounts(), src(), dst())}.
 */
public record GraphMiniBatch(Tensor x, Tensor y, int[] src, int[] dst, int[] graphOfNode, int numGraphs, SparseMatrix adjacency) {
    public GraphMiniBatch {
        if (x.rank() != 2 || x.size(0) != graphOfNode.length || adjacency.rows() != graphOfNode.length) {
            throw new IllegalArgumentException("GraphMiniBatch: features " + Arrays.toString(x.shape()) + ", " + graphOfNode.length
                    + " node ids and a " + adjacency.rows() + "-row adjacency must agree on the node count");
        }
        if (y.rank() != 1 || y.size(0) != numGraphs) {
            throw new IllegalArgumentException("GraphMiniBatch: labels " + Arrays.toString(y.shape()) + " for " + numGraphs + " graphs");
        }
    }

    public int numNodes() {
        return graphOfNode.length;
    }

    /** The graph labels as plain class ids. */
    public int[] labels() {
        double[] v = y.toDoubleArray();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (int) v[i];
        return out;
    }

    /** How many nodes each graph of the batch has. */
    public int[] nodeCounts() {
        int[] counts = new int[numGraphs];
        for (int g : graphOfNode) counts[g]++;
        return counts;
    }
}
