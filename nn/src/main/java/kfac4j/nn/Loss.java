package kfac4j.nn;

import kfac4j.autograd.Variable;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * A loss {@code L = ρ Σ_t ℓ(f_t, y_t)} over terms t (DESIGN.md §5.1). Besides its value it exposes what K-FAC needs
 * to build the Fisher's backward passes: the scale ρ, a symmetric square root of the per-term Hessian with respect to
 * the prediction, and sampling from the model's predictive distribution.
 */
public interface Loss {
    /**
     * The scalar loss. The returned variable's node is a {@link LossNode} (unless nothing requires a gradient), so
     * K-FAC can recover the prediction and target from it.
     */
    Variable apply(Variable prediction, Tensor target);

    Reduction reduction();

    /** ρ for a prediction of this shape: 1 for {@code SUM}, 1/(number of terms, or of elements for MSE) for {@code MEAN}. */
    double scale(int[] predictionShape);

    /**
     * Vectors λ_c, stacked on a new leading axis: shape (C, predictionShape...), with Σ_c λ_c λ_cᵀ = ∇²_f ℓ(f_t, y_t)
     * for every term t (unscaled by ρ). MSE: √2·e_c; cross-entropy: √p_c (e_c − p).
     */
    Tensor hessianSqrt(Tensor prediction, Tensor target);

    /** Targets drawn from the model's predictive distribution at this prediction (for the MC Fisher). */
    Tensor sampleTarget(Tensor prediction, Rng rng);

    /** ∇_f ℓ(f_t, y_t) for every term (unscaled by ρ), in the prediction's shape (for the empirical and MC Fisher). */
    Tensor termGradient(Tensor prediction, Tensor target);

    /**
     * {@code termGradient(prediction, sampleTarget(prediction, rng))}, the MC Fisher's vector λ; a loss may compute
     * it in one go (the predictive distribution once), with the same draws and the same result.
     */
    default Tensor sampledTermGradient(Tensor prediction, Rng rng) {
        return termGradient(prediction, sampleTarget(prediction, rng));
    }
}
