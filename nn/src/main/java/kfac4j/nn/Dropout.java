package kfac4j.nn;

import kfac4j.autograd.Variable;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * Inverted dropout, as PyTorch's {@code nn.Dropout}: in training each element is zeroed with probability p and the
 * survivors are scaled by 1/(1 − p); in evaluation it is the identity. Masks come from the layer's own seeded
 * generator, so runs repeat exactly.
 */
public final class Dropout extends Module {
    private final double p;
    private final Rng rng;

    public Dropout(double p, Rng rng) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("Dropout: p must be in [0, 1], got " + p);
        this.p = p;
        this.rng = rng.fork();
    }

    @Override
    public Variable forward(Variable x) {
        if (!isTraining() || p == 0) return x;
        if (p == 1) return x.mul(0);
        Tensor mask = rng.bernoulli(x.dtype(), 1 - p, x.shape()).mul(1 / (1 - p));
        return x.mul(Variable.constant(mask));
    }

    @Override
    public String toString() {
        return "Dropout(p=" + p + ")";
    }
}
