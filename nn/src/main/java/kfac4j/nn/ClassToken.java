package kfac4j.nn;

import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;

/**
 * A learned token put in front of every sequence, (N, T, D) to (N, T + 1, D), whose output a ViT classifies from.
 * Initialised from N(0, 0.02²).
 */
public final class ClassToken extends Module {
    private final int d;
    private final Parameter token;

    public ClassToken(int d, DType dtype, Rng rng) {
        this.d = d;
        this.token = registerParameter("token", new Parameter(Init.normal(rng, dtype, 0, 0.02, 1, 1, d)));
    }

    public Parameter token() {
        return token;
    }

    @Override
    public Variable forward(Variable x) {
        int[] s = x.shape();
        if (s.length != 3 || s[2] != d) throw shapeError("(N, T, " + d + ")", s);
        return Variable.concat(1, token.variable().expand(s[0], 1, d), x);
    }
}
