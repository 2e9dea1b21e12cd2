package kfac4j.nn;

import kfac4j.autograd.Variable;

/** One vector per graph from node features (M, D): the mean or the sum over each graph's nodes, giving (G, D). */
public final class GraphReadout extends Module {
    /** How nodes are combined. */
    public enum Mode { MEAN, SUM }

    private final Mode mode;

    public GraphReadout(Mode mode) {
        this.mode = mode;
    }

    public Variable forward(Variable h, GraphBatch graphs) {
        int[] s = h.shape();
        if (s.length != 2 || s[0] != graphs.numNodes()) throw shapeError("(" + graphs.numNodes() + ", D)", s);
        int[] ids = graphs.graphOfNodeRef();
        return mode == Mode.MEAN ? h.segmentMean(ids, graphs.numGraphs()) : h.segmentSum(ids, graphs.numGraphs());
    }

    @Override
    public String toString() {
        return "GraphReadout(" + mode + ")";
    }
}
