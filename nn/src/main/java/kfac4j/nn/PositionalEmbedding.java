package kfac4j.nn;

import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;

/**
 * Learned absolute positions added to a sequence: (N, T, D) plus the first T rows of a (maxLength, D) table.
 * Initialised from N(0, 0.02²).
 */
public final class PositionalEmbedding extends Module {
    private final int maxLength, d;
    private final Parameter weight;

    public PositionalEmbedding(int maxLength, int d, DType dtype, Rng rng) {
        this.maxLength = maxLength;
        this.d = d;
        this.weight = registerParameter("weight", new Parameter(Init.normal(rng, dtype, 0, 0.02, maxLength, d)));
    }

    public Parameter weight() {
        return weight;
    }

    @Override
    public Variable forward(Variable x) {
        int[] s = x.shape();
        if (s.length != 3 || s[2] != d || s[1] > maxLength) {
            throw shapeError("(N, T ≤ " + maxLength + ", " + d + ")", s);
        }
        Variable w = weight.variable();
        return x.add(s[1] == maxLength ? w : w.narrow(0, 0, s[1]));
    }
}
