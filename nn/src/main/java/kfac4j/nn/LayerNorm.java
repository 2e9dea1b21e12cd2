package kfac4j.nn;

import java.util.Arrays;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Node;
import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

/**
 * Layer normalisation over the last axes, as PyTorch's {@code nn.LayerNorm}: {@code y = x̂ γ + β} with
 * {@code x̂ = (x − μ) / √(σ² + ε)}, μ and σ² (the biased variance) taken over the normalised axes. γ starts at 1 and
 * β at 0. K-FAC does not cover it; optimizers update it with their first-order rule.
 */
public final class LayerNorm extends Module {
    private final int[] normalizedShape;
    private final int[] axes;
    private final double eps;
    private final Parameter weight, bias;

    /** Normalises the last axis of size {@code d}, with ε = 1e-5 and an affine part, in F32. */
    public LayerNorm(int d) {
        this(new int[]{d}, 1e-5, true, DType.F32);
    }

    public LayerNorm(int d, DType dtype) {
        this(new int[]{d}, 1e-5, true, dtype);
    }

    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine, DType dtype) {
        if (normalizedShape.length == 0) throw new IllegalArgumentException("LayerNorm: empty normalized shape");
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        this.axes = new int[normalizedShape.length];
        for (int i = 0; i < axes.length; i++) axes[i] = i - axes.length;
        weight = elementwiseAffine ? registerParameter("weight", new Parameter(Tensor.ones(dtype, normalizedShape))) : null;
        bias = elementwiseAffine ? registerParameter("bias", new Parameter(Tensor.zeros(dtype, normalizedShape))) : null;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    /**
     * Forward and backward as one node. With g' = g γ: ∂x = rstd·(g' − mean(g') − x̂·mean(g' x̂)), ∂γ = Σ g x̂,
     * ∂β = Σ g (the means over the normalised axes, the sums over the others).
     */
    @Override
    public Variable forward(Variable x) {
        int[] s = x.shape();
        int k = normalizedShape.length;
        if (s.length < k || !Arrays.equals(Arrays.copyOfRange(s, s.length - k, s.length), normalizedShape)) {
            throw shapeError("(..., " + Arrays.toString(normalizedShape).replaceAll("[\\[\\]]", "") + ")", s);
        }
        if (weight != null) requireDtype(x, weight.value().dtype());
        int features = Arrays.stream(normalizedShape).reduce(1, (a, b) -> a * b);
        Tensor[] out = x.value().layerNorm(features, weight == null ? null : weight.value(),
                bias == null ? null : bias.value(), eps);                // {y, x̂, rstd}
        Variable[] inputs = weight == null ? new Variable[]{x} : new Variable[]{x, weight.variable(), bias.variable()};
        return Node.record("layerNorm", out[0], inputs, (g, o, n) -> {
            Variable[] grads = new Variable[inputs.length];
            if (!Grad.isEnabled()) {
                // The fused backward: one pass per row for ∂x, column sums for ∂γ and ∂β.
                Tensor[] d = Tensor.layerNormBackward(g.value(), out[1], out[2], weight == null ? null : weight.value(),
                        features);
                if (n[0]) grads[0] = Variable.constant(d[0]);
                if (weight != null && n[1]) grads[1] = Variable.constant(d[1].reshape(normalizedShape));
                if (weight != null && n[2]) grads[2] = Variable.constant(d[2].reshape(normalizedShape));
                return grads;
            }
            // Recording (double backward): x̂ and rstd as functions of x, so the gradient can be differentiated.
            Variable c = x.sub(x.mean(axes, true));
            Variable rs = c.square().mean(axes, true).add(eps).rsqrt();
            Variable xh = c.mul(rs);
            if (n[0]) {
                Variable gg = weight == null ? g : g.mul(weight.variable());
                grads[0] = gg.sub(gg.mean(axes, true)).sub(xh.mul(gg.mul(xh).mean(axes, true))).mul(rs);
            }
            if (weight != null && n[1]) grads[1] = g.mul(xh).sumTo(normalizedShape);
            if (weight != null && n[2]) grads[2] = g.sumTo(normalizedShape);
            return grads;
        });
    }

    @Override
    public String toString() {
        return "LayerNorm(" + Arrays.toString(normalizedShape) + ", eps=" + eps + ")";
    }
}
