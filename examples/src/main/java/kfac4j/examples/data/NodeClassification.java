package kfac4j.examples.data;

import java.util.function.IntPredicate;
import java.util.stream.IntStream;

import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * Node classification on one graph (transductive): every node has a label, the loss sees the training nodes only,
 * and accuracy is measured on the validation nodes. Masks are disjoint; nodes in neither are unused.
 */
public record NodeClassification(Graph graph, int[] labels, int numClasses, boolean[] trainMask, boolean[] validationMask) {
    public NodeClassification {
        int n = graph.numNodes();
        if (labels.length != n || trainMask.length != n || validationMask.length != n) {
            throw new IllegalArgumentException("NodeClassification: " + n + " nodes but " + labels.length + " labels, "
                    + trainMask.length + " and " + validationMask.length + " mask entries");
        }
        for (int v = 0; v < n; v++) {
            if (labels[v] < 0 || labels[v] >= numClasses) {
                throw new IllegalArgumentException("NodeClassification: label " + labels[v] + " of node " + v + " outside [0, " + numClasses + ")");
            }
            if (trainMask[v] && validationMask[v]) {
                throw new IllegalArgumentException("NodeClassification: node " + v + " is in both the training and the validation mask");
            }
        }
    }

    /** The same graph and labels with fresh seeded masks, stratified by class: a fraction of each class per mask. */
    public NodeClassification withRandomSplit(double trainFraction, double validationFraction, long seed) {
        if (!(trainFraction > 0 && validationFraction >= 0 && trainFraction + validationFraction <= 1)) {
            throw new IllegalArgumentException("NodeClassification: fractions " + trainFraction + " (train) and " + validationFraction
                    + " (validation) must be positive and sum to at most 1");
        }
        int n = graph.numNodes();
        boolean[] train = new boolean[n], val = new boolean[n];
        Rng rng = new Rng(seed);
        for (int c = 0; c < numClasses; c++) {
            int cls = c;
            int[] members = nodesWhere(i -> labels[i] == cls);
            int[] order = rng.permutation(members.length);
            int nTrain = (int) Math.round(members.length * trainFraction);
            int nVal = Math.min(members.length - nTrain, (int) Math.round(members.length * validationFraction));
            for (int k = 0; k < nTrain; k++) train[members[order[k]]] = true;
            for (int k = nTrain; k < nTrain + nVal; k++) val[members[order[k]]] = true;
        }
        return new NodeClassification(graph, labels, numClasses, train, val);
    }

    public int[] trainNodes() {
        return nodesWhere(i -> trainMask[i]);
    }

    public int[] validationNodes() {
        return nodesWhere(i -> validationMask[i]);
    }

    /** Node features (V, F). */
    public Tensor features(DType dtype) {
        return graph.featureTensor(dtype);
    }

    /** Labels of the given nodes as a tensor of class ids. */
    public Tensor targets(int[] nodes, DType dtype) {
        double[] y = new double[nodes.length];
        for (int k = 0; k < nodes.length; k++) y[k] = labels[nodes[k]];
        return Tensor.fromArray(y, nodes.length).to(dtype);
    }

    /** Â of the graph. */
    public SparseMatrix adjacency() {
        return graph.normalizedAdjacency();
    }

    private int[] nodesWhere(IntPredicate p) {
        return IntStream.range(0, graph.numNodes()).filter(p).toArray();
    }
}
