package kfac4j.kfac;

/**
 * How a weight-sharing layer's Kronecker factors treat its shared axis (tokens, nodes, spatial positions), DESIGN.md
 * §5.2 and Eschenhagen et al. (2023).
 */
public enum Approximation {
    /**
     * K-FAC-expand: the shared axis behaves like a batch axis. {@code A = (1/M) Σ_{n,r} a aᵀ},
     * {@code G = ρ Σ_c Σ_{n,r} g gᵀ}. Exact for a deep linear network with a loss term per shared row (language
     * modelling, node classification, per-pixel losses); for convolutions this is KFC (Grosse and Martens, 2016).
     */
    EXPAND,
    /**
     * K-FAC-reduce: the shared axis is reduced before the loss. {@code â_n = (1/R_n) Σ_r a_{n,r}},
     * {@code ĝ_n = Σ_r g_{n,r}}, {@code A = (1/N) Σ_n â âᵀ}, {@code G = ρ Σ_c Σ_n ĝ ĝᵀ}. Exact for a deep linear
     * network whose shared axis is mean-pooled before the loss (ViT and graph classification, CNNs with global
     * pooling); cheaper, since its outer products run over N examples instead of M rows.
     */
    REDUCE
}
