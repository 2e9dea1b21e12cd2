package kfac4j.nn;

import java.util.Arrays;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Node;
import kfac4j.autograd.Variable;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * Cross-entropy of class scores (logits) against class indices: {@code ℓ_t = −Σ_c q_{t,c} log softmax(f_t)_c} with
 * {@code q_t = (1 − ε) e_{y_t} + ε/C} (label smoothing ε, 0 by default), as PyTorch's {@code cross_entropy}.
 *
 * <p>The classes lie on the <em>last</em> axis of the prediction and every other axis indexes terms, so a prediction
 * (N, T, C) with targets (N, T) gives one term per token (PyTorch puts the classes on axis 1 instead; there one
 * reshapes to (N·T, C), which gives the same value). Targets are class indices stored as integer values in a tensor of
 * the prediction's shape without its last axis. {@code MEAN} divides by the number of terms.
 */
public final class CrossEntropyLoss implements Loss {
    private final Reduction reduction;
    private final double smoothing;

    /** Mean reduction, no smoothing: PyTorch's default. */
    public CrossEntropyLoss() {
        this(Reduction.MEAN);
    }

    public CrossEntropyLoss(Reduction reduction) {
        this(reduction, 0);
    }

    public CrossEntropyLoss(Reduction reduction, double labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException("CrossEntropyLoss: label smoothing must be in [0, 1], got " + labelSmoothing);
        }
        this.reduction = reduction;
        this.smoothing = labelSmoothing;
    }

    @Override
    public Reduction reduction() {
        return reduction;
    }

    public double labelSmoothing() {
        return smoothing;
    }

    @Override
    public double scale(int[] predictionShape) {
        if (reduction == Reduction.SUM) return 1;
        int c = predictionShape[predictionShape.length - 1];
        long terms = 1;
        for (int s : predictionShape) terms *= s;
        return 1.0 / (terms / c);
    }

    /** The rows of a prediction (T, C) and their class indices, checked. */
    private int[] labels(Tensor prediction, Tensor target) {
        if (prediction.rank() < 1 || prediction.size(-1) < 1) {
            throw new IllegalArgumentException("CrossEntropyLoss: prediction needs shape (..., C) with C ≥ 1, got "
                    + Arrays.toString(prediction.shape()));
        }
        return HostArrays.classIndices("CrossEntropyLoss", target, prediction.shape());
    }

    /**
     * L = ρ Σ_t (logsumexp(f_t) − (1 − ε) f_{t,y_t} − (ε/C) Σ_c f_{t,c});
     * ∂L/∂f_t = ρ (softmax(f_t) − q_t) (DESIGN.md §5.1).
     */
    @Override
    public Variable apply(Variable prediction, Tensor target) {
        Tensor f = prediction.value();
        int[] y = labels(f, target);
        int c = f.size(-1), terms = y.length;
        double rho = scale(f.shape());
        double[] v = f.toDoubleArray();
        double[] p = new double[v.length];
        double total = 0;
        for (int t = 0; t < terms; t++) {
            int o = t * c;
            double max = Double.NEGATIVE_INFINITY, sumF = 0;
            for (int j = 0; j < c; j++) {
                max = Math.max(max, v[o + j]);
                sumF += v[o + j];
            }
            double z = 0;
            for (int j = 0; j < c; j++) {
                double e = Math.exp(v[o + j] - max);
                p[o + j] = e;
                z += e;
            }
            for (int j = 0; j < c; j++) p[o + j] /= z;
            double lse = max + Math.log(z);
            total += lse - (1 - smoothing) * v[o + y[t]] - smoothing / c * sumF;
        }
        Tensor value = Tensor.scalar(f.dtype(), reduction == Reduction.MEAN && terms == 0 ? Double.NaN : rho * total);
        int[] shape = f.shape();
        LossNode node = new LossNode("crossEntropy", prediction, target, this, (g, o, n) -> {
            if (Grad.isEnabled()) {
                // Recording (double backward): softmax as a differentiable op, so the gradient can be differentiated.
                Tensor q = HostArrays.tensor(f.dtype(), smoothedTargets(y, c), shape);
                return new Variable[]{prediction.softmax(-1).sub(Variable.constant(q)).mul(g.mul(rho))};
            }
            double scale = rho * g.value().item();
            double[] grad = p.clone();
            addScaledTargets(grad, y, c, -1);
            for (int i = 0; i < grad.length; i++) grad[i] *= scale;
            return new Variable[]{Variable.constant(HostArrays.tensor(f.dtype(), grad, shape))};
        });
        return Node.record(node, value);
    }

    /** q_t = (1 − ε) e_{y_t} + ε/C, row by row. */
    private double[] smoothedTargets(int[] y, int c) {
        double[] q = new double[y.length * c];
        addScaledTargets(q, y, c, 1);
        return q;
    }

    private void addScaledTargets(double[] into, int[] y, int c, double sign) {
        double off = sign * smoothing / c, on = sign * (1 - smoothing);
        for (int t = 0; t < y.length; t++) {
            int o = t * c;
            if (smoothing != 0) for (int j = 0; j < c; j++) into[o + j] += off;
            into[o + y[t]] += on;
        }
    }

    /** λ_c = √p_c (e_c − p) per term: Σ_c λ_c λ_cᵀ = diag(p) − p pᵀ, the Hessian of ℓ in f (smoothing does not change it). */
    @Override
    public Tensor hessianSqrt(Tensor prediction, Tensor target) {
        labels(prediction, target);
        int c = prediction.size(-1);
        double[] p = prediction.softmax(-1).toDoubleArray();
        int terms = p.length / c;
        double[] out = new double[c * p.length];
        for (int k = 0; k < c; k++) {
            for (int t = 0; t < terms; t++) {
                int o = t * c, base = k * p.length + o;
                double s = Math.sqrt(p[o + k]);
                for (int j = 0; j < c; j++) out[base + j] = s * ((j == k ? 1 : 0) - p[o + j]);
            }
        }
        int[] shape = prependAxis(c, prediction.shape());
        return HostArrays.tensor(prediction.dtype(), out, shape);
    }

    /** Class indices drawn from softmax(f_t) for every term, in the prediction's dtype. */
    @Override
    public Tensor sampleTarget(Tensor prediction, Rng rng) {
        int[] s = prediction.shape();
        int[] drawn = rng.categorical(prediction.softmax(-1));
        double[] v = new double[drawn.length];
        for (int i = 0; i < v.length; i++) v[i] = drawn[i];
        return HostArrays.tensor(prediction.dtype(), v, Arrays.copyOf(s, s.length - 1));
    }

    /** softmax(f_t) − q_t for every term (the gradient of this loss's term, smoothing included). */
    @Override
    public Tensor termGradient(Tensor prediction, Tensor target) {
        return gradientAt(prediction, prediction.softmax(-1), labels(prediction, target));
    }

    /** The predictive distribution computed once, for both the draw and the gradient. */
    @Override
    public Tensor sampledTermGradient(Tensor prediction, Rng rng) {
        Tensor probs = prediction.softmax(-1);
        return gradientAt(prediction, probs, rng.categorical(probs));
    }

    /** softmax(f_t) − q_t, given softmax(f) and the class index of every term. */
    private Tensor gradientAt(Tensor prediction, Tensor probs, int[] y) {
        double[] g = probs.toDoubleArray();
        addScaledTargets(g, y, prediction.size(-1), -1);
        return HostArrays.tensor(prediction.dtype(), g, prediction.shape());
    }

    static int[] prependAxis(int size, int[] shape) {
        int[] out = new int[shape.length + 1];
        out[0] = size;
        System.arraycopy(shape, 0, out, 1, shape.length);
        return out;
    }

    @Override
    public String toString() {
        return "CrossEntropyLoss(" + reduction + (smoothing != 0 ? ", labelSmoothing=" + smoothing : "") + ")";
    }
}
