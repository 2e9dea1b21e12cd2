package kfac4j.kfac;

/**
 * Which vectors are backpropagated to build the output factor G (DESIGN.md §5.1). With loss
 * {@code L = ρ Σ_t ℓ(f_t, y_t)}, each choice backpropagates vectors λ_c from the model output to every layer output
 * and sums {@code ρ g gᵀ} over them.
 */
public enum FisherType {
    /**
     * The exact generalised Gauss–Newton: C backward passes, one per column of a symmetric square root of the
     * per-term loss Hessian ({@code Σ_c λ_c λ_cᵀ = ∇²_f ℓ}).
     */
    TYPE2,
    /**
     * The Monte Carlo Fisher: k backward passes of {@code ∇_f ℓ(f, ŷ)} with ŷ drawn from the model's predictive
     * distribution, each weighted 1/k (vectors scaled by 1/√k). Unbiased for the GGN of MSE and cross-entropy.
     */
    MC,
    /** The empirical Fisher: the gradient at the true label, {@code λ = ∇_f ℓ(f, y)}; one backward pass. */
    EMPIRICAL,
    /** No backward pass at all: {@code G = I}, only the input factor A carries curvature information. */
    FORWARD_ONLY
}
