package kfac4j.kfac;

/**
 * The first-order rule {@link KfacOptimizer} applies to parameters outside every Kronecker block (LayerNorm,
 * embeddings, free parameters, and weights tied to such modules).
 */
public enum FallbackRule {
    /** Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8, bias-corrected), weight decay added to the gradient. */
    ADAM,
    /** SGD with the optimizer's momentum, weight decay added to the gradient. */
    SGD
}
