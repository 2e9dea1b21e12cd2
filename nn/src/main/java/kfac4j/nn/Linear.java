package kfac4j.nn;

import kfac4j.autograd.Node;
import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * {@code y = x Wᵀ + b} applied to every row of its input: the weight-sharing linear layer of DESIGN.md §4.
 *
 * <p>Inputs: (N, D) — one row per example; (N, R..., D) — R·... rows per example, the axes between the first and the
 * last being shared (tokens, positions); or ragged rows (M, D) with the example of every row given
 * ({@link #forward(Variable, int[], int)}), for graphs of different sizes. Weight (D_out, D_in) and bias (D_out) in
 * PyTorch's layout; initialised as PyTorch does, U(−1/√D_in, 1/√D_in).
 *
 * <p>Capture (for K-FAC): with a {@link CaptureListener} set, every forward call reports its input rows and hooks its
 * output, so that every backward pass through that call reports the gradient with respect to the output rows, in the
 * same grouping and numbered by the call. A layer applied several times in one forward (tied weights) reports each
 * call separately. Without a listener the layer does nothing extra.
 */
public final class Linear extends Module implements WeightSharingLinear {
    private final int in, out;
    private final Parameter weight, bias;
    private final Capture capture = new Capture();

    /** A layer with bias, in F32. */
    public Linear(int inFeatures, int outFeatures, Rng rng) {
        this(inFeatures, outFeatures, true, DType.F32, rng);
    }

    public Linear(int inFeatures, int outFeatures, boolean bias, DType dtype, Rng rng) {
        if (inFeatures < 1 || outFeatures < 1) {
            throw new IllegalArgumentException("Linear: features must be ≥ 1, got in=" + inFeatures + ", out=" + outFeatures);
        }
        this.in = inFeatures;
        this.out = outFeatures;
        this.weight = registerParameter("weight",
                new Parameter(Init.defaultUniform(rng, dtype, inFeatures, outFeatures, inFeatures)));
        this.bias = bias ? registerParameter("bias", new Parameter(Init.defaultUniform(rng, dtype, inFeatures, outFeatures)))
                : null;
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

    /** Input (D), (N, D) or (N, R..., D); output of the same shape with D_out last. */
    @Override
    public Variable forward(Variable x) {
        int[] s = x.shape();
        if (s.length == 0 || s[s.length - 1] != in) throw shapeError("(N, ..., " + in + ")", s);
        requireDtype(x, weight.value().dtype());
        if (s.length == 1) return forward(x.unsqueeze(0)).squeeze(0);
        Variable rows = s.length == 2 ? x : x.reshape(-1, in);
        int[] ids = capture.isOn() ? Capture.regularIds(rows.shape()[0], s[0]) : null;
        Variable y = rowsForward(rows, ids, s[0]);
        if (s.length == 2) return y;
        int[] outShape = s.clone();
        outShape[s.length - 1] = out;
        return y.reshape(outShape);
    }

    /**
     * Ragged rows: {@code rows} (M, D), row m belonging to example {@code exampleOfRow[m]} in [0, numExamples).
     * Output (M, D_out).
     */
    public Variable forward(Variable rows, int[] exampleOfRow, int numExamples) {
        int[] s = rows.shape();
        if (s.length != 2 || s[1] != in) throw shapeError("(M, " + in + ")", s);
        requireDtype(rows, weight.value().dtype());
        if (exampleOfRow.length != s[0]) {
            throw new IllegalArgumentException(describe() + ": " + exampleOfRow.length + " example ids for " + s[0] + " rows");
        }
        for (int m = 0; m < exampleOfRow.length; m++) {
            if (exampleOfRow[m] < 0 || exampleOfRow[m] >= numExamples) {
                throw new IllegalArgumentException(describe() + ": row " + m + " belongs to example " + exampleOfRow[m]
                        + ", outside [0, " + numExamples + ")");
            }
        }
        // The ids outlive this call in the capture's gradient hook: keep a copy the caller cannot change.
        return rowsForward(rows, capture.isOn() ? exampleOfRow.clone() : exampleOfRow, numExamples);
    }

    private Variable rowsForward(Variable rows, int[] ids, int numExamples) {
        Variable y = affine(rows, weight.variable(), bias == null ? null : bias.variable());
        if (capture.isOn()) capture.record(this, rows.value(), ids, numExamples, y, g -> g);
        return y;
    }

    /**
     * {@code x Wᵀ + b} for rows x (M, D_in), weight (D_out, D_in) and optional bias (D_out), as one node:
     * ∂x = G W, ∂W = Gᵀ x, ∂b = Σ_rows G.
     */
    static Variable affine(Variable x, Variable w, Variable b) {
        Tensor y = x.value().matmul(w.value().mT());
        if (b != null) y.addScaledInPlace(1, b.value()); // y is this call's own: the bias added without a copy
        Variable[] inputs = b == null ? new Variable[]{x, w} : new Variable[]{x, w, b};
        return Node.record("linear", y, inputs, (g, o, n) -> {
            Variable[] grads = new Variable[inputs.length];
            if (n[0]) grads[0] = g.matmul(w);
            if (n[1]) grads[1] = g.mT().matmul(x);
            if (b != null && n[2]) grads[2] = g.sum(0);
            return grads;
        });
    }

    @Override
    public String toString() {
        return "Linear(in=" + in + ", out=" + out + ", bias=" + (bias != null) + ", dtype=" + weight.value().dtype() + ")";
    }
}
