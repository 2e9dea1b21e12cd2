package kfac4j.examples.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

/** Graph classification: small graphs of different sizes, one label each, all with the same feature width. */
public final class GraphDataset implements Dataset<GraphMiniBatch> {
    private final List<Graph> graphs;
    private final int[] labels;
    private final int numClasses;
    private final DType dtype;

    public GraphDataset(List<Graph> graphs, int[] labels, int numClasses, DType dtype) {
        if (graphs.size() != labels.length) {
            throw new IllegalArgumentException("GraphDataset: " + graphs.size() + " graphs but " + labels.length + " labels");
        }
        if (numClasses < 1) throw new IllegalArgumentException("GraphDataset: numClasses must be ≥ 1, got " + numClasses);
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("GraphDataset: label " + labels[i] + " of graph " + i + " outside [0, " + numClasses + ")");
            }
            if (graphs.get(i).featureDim() != graphs.getFirst().featureDim()) {
                throw new IllegalArgumentException("GraphDataset: graph " + i + " has " + graphs.get(i).featureDim()
                        + " features per node, graph 0 has " + graphs.getFirst().featureDim());
            }
        }
        this.graphs = List.copyOf(graphs);
        this.labels = labels.clone();
        this.numClasses = numClasses;
        this.dtype = dtype;
    }

    @Override
    public int size() {
        return graphs.size();
    }

    public Graph graph(int i) {
        return graphs.get(i);
    }

    public int label(int i) {
        return labels[i];
    }

    public int numClasses() {
        return numClasses;
    }

    public int featureDim() {
        return graphs.isEmpty() ? 0 : graphs.getFirst().featureDim();
    }

    public DType dtype() {
        return dtype;
    }

    public GraphDataset withDType(DType other) {
        return new GraphDataset(graphs, labels, numClasses, other);
    }

    @Override
    public GraphMiniBatch batch(int[] indices) {
        int f = featureDim();
        int nodes = 0, edges = 0;
        for (int i : indices) {
            if (i < 0 || i >= graphs.size()) throw new IndexOutOfBoundsException("GraphDataset: graph " + i + " outside [0, " + graphs.size() + ")");
            nodes += graphs.get(i).numNodes();
            edges += graphs.get(i).numEdges();
        }
        float[] x = new float[nodes * f];
        int[] src = new int[edges], dst = new int[edges], graphOfNode = new int[nodes];
        double[] y = new double[indices.length];
        int nodeOffset = 0, edgeOffset = 0;
        for (int b = 0; b < indices.length; b++) {
            Graph g = graphs.get(indices[b]);
            System.arraycopy(g.features(), 0, x, nodeOffset * f, g.numNodes() * f);
            for (int k = 0; k < g.numEdges(); k++) {
                src[edgeOffset + k] = g.src()[k] + nodeOffset;
                dst[edgeOffset + k] = g.dst()[k] + nodeOffset;
            }
            Arrays.fill(graphOfNode, nodeOffset, nodeOffset + g.numNodes(), b);
            y[b] = labels[indices[b]];
            nodeOffset += g.numNodes();
            edgeOffset += g.numEdges();
        }
        Tensor xt = Tensor.fromArray(x, nodes, f);
        return new GraphMiniBatch(dtype == DType.F32 ? xt : xt.to(dtype), Tensor.fromArray(y, indices.length).to(dtype),
                src, dst, graphOfNode, indices.length, SparseMatrix.gcnNormalized(nodes, src, dst));
    }

    public GraphDataset subset(int[] indices) {
        List<Graph> g = new ArrayList<>(indices.length);
        int[] l = new int[indices.length];
        for (int b = 0; b < indices.length; b++) {
            g.add(graphs.get(indices[b]));
            l[b] = labels[indices[b]];
        }
        return new GraphDataset(g, l, numClasses, dtype);
    }

    /** A seeded random split; see {@link Split#randomIndices}. */
    public Split<GraphDataset> split(double validationFraction, long seed) {
        Split<int[]> s = Split.randomIndices(size(), validationFraction, seed);
        return new Split<>(subset(s.train()), subset(s.validation()));
    }
}
