package kfac4j.nn;

/** How a loss combines its terms, with PyTorch's semantics. */
public enum Reduction {
    /** The sum over all terms (ρ = 1 in DESIGN.md §5.1). */
    SUM,
    /** The mean over terms (cross-entropy: per example or token; MSE: per element, as PyTorch). */
    MEAN
}
