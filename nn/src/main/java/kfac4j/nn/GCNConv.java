package kfac4j.nn;

import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * A graph convolution {@code Â H Wᵀ + b} (Kipf and Welling), Â the normalised adjacency with self-loops of a
 * {@link GraphBatch}: the features are first aggregated over neighbours, then a weight-sharing linear layer maps every
 * aggregated node row, so K-FAC sees the aggregated rows, grouped by graph (ragged: R_n nodes for graph n). Apply the
 * nonlinearity σ after it. Weight initialised Glorot-uniform and bias zero, as PyTorch Geometric's GCNConv.
 */
public final class GCNConv extends Module implements WeightSharingLinear {
    private final int in, out;
    private final Parameter weight, bias;
    private final Capture capture = new Capture();

    public GCNConv(int in, int out, Rng rng) {
        this(in, out, true, DType.F32, rng);
    }

    public GCNConv(int in, int out, boolean bias, DType dtype, Rng rng) {
        this.in = in;
        this.out = out;
        weight = registerParameter("weight", new Parameter(Init.xavierUniform(rng, dtype, 1, out, in)));
        this.bias = bias ? registerParameter("bias", new Parameter(Tensor.zeros(dtype, out))) : null;
    }

    @Override
    public Parameter weight() {
        return weight;
    }

    @Override
    public Parameter bias() {
        return bias;
    }

    @Override
    public int inFeatures() {
        return in;
    }

    @Override
    public int outFeatures() {
        return out;
    }

    @Override
    public void setCaptureListener(CaptureListener listener) {
        capture.set(listener);
    }

    /** Node features (M, D_in) of the batch's graphs to (M, D_out). */
    public Variable forward(Variable h, GraphBatch graphs) {
        int[] s = h.shape();
        if (s.length != 2 || s[0] != graphs.numNodes() || s[1] != in) throw shapeError("(" + graphs.numNodes() + ", " + in + ")", s);
        requireDtype(h, weight.value().dtype());
        Variable aggregated = graphs.propagate(h);
        Variable y = Linear.affine(aggregated, weight.variable(), bias == null ? null : bias.variable());
        if (capture.isOn()) {
            capture.record(this, aggregated.value(), graphs.graphOfNodeRef(), graphs.numGraphs(), y, g -> g);
        }
        return y;
    }

    @Override
    public String toString() {
        return "GCNConv(" + in + ", " + out + ")";
    }
}
