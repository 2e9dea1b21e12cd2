package kfac4j.kfac;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The options that say which curvature K-FAC approximates, shared by {@link KfacCurvature.Builder} (the curvature as
 * an operator) and {@link KfacOptimizer.Builder} (the curvature as a preconditioner): each layer's approximation,
 * expand or reduce (DESIGN.md §5.2), the Fisher type and its Monte Carlo sampling (§5.3), and eigenvalue correction
 * (EKFAC). The two builders differ only in their default Fisher type: the exact type-2 Fisher for the operator, which
 * tests compare with the GGN, and one Monte Carlo sample per example for the optimizer, which is cheaper per step.
 *
 * @param <B> the builder itself, so that calls chain into its own options
 */
public abstract class CurvatureOptions<B extends CurvatureOptions<B>> {
    Approximation approximation = Approximation.EXPAND;
    private final Map<String, Approximation> perLayer = new LinkedHashMap<>();
    FisherType fisher;
    int samples = 1;
    long seed = 0;
    boolean eigenvalueCorrection;

    CurvatureOptions(FisherType defaultFisher) {
        this.fisher = defaultFisher;
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** The approximation of every layer not named in {@link #approximation(String, Approximation)} (default expand). */
    public B approximation(Approximation a) {
        if (a == null) throw new IllegalArgumentException("approximation must not be null");
        this.approximation = a;
        return self();
    }

    /** The approximation of one layer, by its module name. */
    public B approximation(String layer, Approximation a) {
        if (layer == null || a == null) {
            throw new IllegalArgumentException("approximation: layer and approximation must not be null");
        }
        perLayer.put(layer, a);
        return self();
    }

    /** The Fisher type of the output-gradient factors. */
    public B fisher(FisherType f) {
        if (f == null) throw new IllegalArgumentException("fisher must not be null");
        this.fisher = f;
        return self();
    }

    /** The number of sampled labels per example for {@link FisherType#MC} (default 1). */
    public B mcSamples(int k) {
        if (k < 1) throw new IllegalArgumentException("mcSamples must be ≥ 1, got " + k);
        this.samples = k;
        return self();
    }

    /** The seed of the label sampling for {@link FisherType#MC} (default 0). */
    public B seed(long s) {
        this.seed = s;
        return self();
    }

    /**
     * EKFAC: keep K-FAC's eigenbasis but refit the eigenvalues to the per-example gradients (default off). Over a data
     * set this is a second pass, so the batches must be iterable twice.
     */
    public B eigenvalueCorrection(boolean on) {
        this.eigenvalueCorrection = on;
        return self();
    }

    /** The layers named in {@link #approximation(String, Approximation)}, in the order they were named. */
    Map<String, Approximation> perLayer() {
        return Collections.unmodifiableMap(perLayer);
    }
}
