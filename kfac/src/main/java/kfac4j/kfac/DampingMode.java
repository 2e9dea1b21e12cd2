package kfac4j.kfac;

/** How Tikhonov damping {@code λ} enters the inverse of a Kronecker block {@code G ⊗ A} (DESIGN.md §5.3). */
public enum DampingMode {
    /**
     * Exact: {@code (G ⊗ A + λ I)⁻¹}, applied through the eigendecompositions {@code G = Q_G Λ_G Q_Gᵀ},
     * {@code A = Q_A Λ_A Q_Aᵀ}, whose Kronecker product has eigenvalues {@code λ_G,i λ_A,j}.
     */
    EXACT,
    /**
     * Factored π-damping (Martens and Grosse, 2015, §6.3): {@code (G + √λ/π I)⁻¹ ⊗ (A + π√λ I)⁻¹} with
     * {@code π = √((tr A / dim A) / (tr G / dim G))}, each factor inverted through its Cholesky factor. Cheaper than
     * two eigendecompositions, and not exact: the product adds the cross terms {@code π√λ G ⊗ I + (√λ/π) I ⊗ A}
     * beside {@code λ I}.
     */
    FACTORED
}
