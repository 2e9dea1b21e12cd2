package kfac4j.examples.data;

import java.util.Arrays;

import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

/**
 * An undirected graph with node features: edge k joins nodes {@code src[k]} and {@code dst[k]} (each edge listed
 * once, in either direction), and node v's features are {@code features[v·F, (v+1)·F)}. Self-loops and repeated edges
 * are allowed in the lists and ignored by {@link #normalizedAdjacency()}, which adds every self-loop itself.
 */
public record Graph(int numNodes, int[] src, int[] dst, float[] features, int featureDim) {
    public Graph {
        if (numNodes < 0 || featureDim < 0) {
            throw new IllegalArgumentException("Graph: numNodes and featureDim must be ≥ 0, got " + numNodes + " and " + featureDim);
        }
        if (src.length != dst.length) {
            throw new IllegalArgumentException("Graph: " + src.length + " edge sources but " + dst.length + " edge targets");
        }
        for (int k = 0; k < src.length; k++) {
            if (src[k] < 0 || src[k] >= numNodes || dst[k] < 0 || dst[k] >= numNodes) {
                throw new IllegalArgumentException("Graph: edge " + k + " (" + src[k] + ", " + dst[k] + ") has a node outside [0, "
                        + numNodes + ")");
            }
        }
        if (features.length != (long) numNodes * featureDim) {
            throw new IllegalArgumentException("Graph: " + numNodes + " nodes × " + featureDim + " features need "
                    + (long) numNodes * featureDim + " values, got " + features.length);
        }
    }

    public int numEdges() {
        return src.length;
    }

    /** The node features as a (V, F) tensor. */
    public Tensor featureTensor(DType dtype) {
        Tensor t = Tensor.fromArray(features, numNodes, featureDim);
        return dtype == DType.F32 ? t : t.to(dtype);
    }

    /** Â = D^-1/2 (A + I) D^-1/2 of this graph (the GCN propagation matrix; DESIGN.md §4). */
    public SparseMatrix normalizedAdjacency() {
        return SparseMatrix.gcnNormalized(numNodes, src, dst);
    }

    /** The number of distinct neighbours of every node (self-loops and repeats not counted). */
    public int[] degrees() {
        SparseMatrix a = SparseMatrix.gcnNormalized(numNodes, src, dst);
        int[] deg = new int[numNodes];
        for (int v = 0; v < numNodes; v++) deg[v] = a.rowPtr()[v + 1] - a.rowPtr()[v] - 1;
        return deg;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Graph g && numNodes == g.numNodes && featureDim == g.featureDim && Arrays.equals(src, g.src)
                && Arrays.equals(dst, g.dst) && Arrays.equals(features, g.features);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(src) + Arrays.hashCode(dst)) + numNodes;
    }

    @Override
    public String toString() {
        return "Graph(" + numNodes + " nodes, " + src.length + " edges, " + featureDim + " features)";
    }
}
