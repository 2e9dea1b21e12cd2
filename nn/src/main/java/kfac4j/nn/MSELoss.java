package kfac4j.nn;

import java.util.Arrays;

import kfac4j.autograd.Node;
import kfac4j.autograd.Variable;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * Squared error {@code L = ρ Σ (f − y)²} over all elements, as PyTorch's {@code mse_loss}: {@code MEAN} divides by the
 * number of elements. For K-FAC a term is one row along the last axis (one output vector), with C = its length, so
 * ℓ_t = ‖f_t − y_t‖² and ∇²ℓ_t = 2I; a 1-D prediction has one-element terms.
 */
public final class MSELoss implements Loss {
    private final Reduction reduction;

    /** Mean reduction: PyTorch's default. */
    public MSELoss() {
        this(Reduction.MEAN);
    }

    public MSELoss(Reduction reduction) {
        this.reduction = reduction;
    }

    @Override
    public Reduction reduction() {
        return reduction;
    }

    @Override
    public double scale(int[] predictionShape) {
        if (reduction == Reduction.SUM) return 1;
        long n = 1;
        for (int s : predictionShape) n *= s;
        return 1.0 / n;
    }

    private static void checkShapes(Tensor prediction, Tensor target) {
        if (!Arrays.equals(prediction.shape(), target.shape())) {
            throw new IllegalArgumentException("MSELoss: prediction of shape " + Arrays.toString(prediction.shape())
                    + " and target of shape " + Arrays.toString(target.shape()) + " differ");
        }
    }

    /** The number of outputs C per term: the last axis (1 for a scalar or 1-D prediction). */
    private static int outputs(Tensor prediction) {
        return prediction.rank() < 2 ? 1 : prediction.size(-1);
    }

    /** L = ρ Σ (f − y)²; ∂L/∂f = 2ρ (f − y). */
    @Override
    public Variable apply(Variable prediction, Tensor target) {
        checkShapes(prediction.value(), target);
        Tensor t = target.to(prediction.dtype());
        double rho = scale(prediction.shape());
        Tensor value = prediction.value().sub(t).square().sum().mul(rho);
        Variable y = Variable.constant(t);
        LossNode node = new LossNode("mse", prediction, t, this,
                (g, o, n) -> new Variable[]{prediction.sub(y).mul(g.mul(2 * rho))});
        return Node.record(node, value);
    }

    /** λ_c = √2·e_c for every term: Σ_c λ_c λ_cᵀ = 2I. */
    @Override
    public Tensor hessianSqrt(Tensor prediction, Tensor target) {
        checkShapes(prediction, target);
        int c = outputs(prediction), n = prediction.numel();
        double[] out = new double[c * n];
        double r2 = Math.sqrt(2);
        for (int k = 0; k < c; k++) {
            for (int t = 0; t < n / c; t++) out[k * n + t * c + k] = r2;
        }
        return HostArrays.tensor(prediction.dtype(), out, CrossEntropyLoss.prependAxis(c, prediction.shape()));
    }

    /**
     * ŷ = f + ε, ε ~ N(0, ½): the Gaussian whose negative log-likelihood is ℓ = (f − y)² up to a constant, so that
     * E[∇ℓ ∇ℓᵀ] = 2I, the Hessian.
     */
    @Override
    public Tensor sampleTarget(Tensor prediction, Rng rng) {
        return prediction.add(rng.normal(prediction.dtype(), 0, Math.sqrt(0.5), prediction.shape()));
    }

    /** 2 (f − y). */
    @Override
    public Tensor termGradient(Tensor prediction, Tensor target) {
        checkShapes(prediction, target);
        return prediction.sub(target).mul(2);
    }

    @Override
    public String toString() {
        return "MSELoss(" + reduction + ")";
    }
}
