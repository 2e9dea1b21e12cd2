package kfac4j.nn;

import java.util.Arrays;

import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * A lookup table, as PyTorch's {@code nn.Embedding}: indices of any shape (integer values held in a tensor) to their
 * rows of the weight (num, dim), giving shape (indices..., dim). Initialised from N(0, 1). The gradient adds back
 * into the looked-up rows. K-FAC does not cover it (optimizers update it with their first-order rule).
 */
public final class Embedding extends Module {
    private final int num, dim;
    private final Parameter weight;

    public Embedding(int num, int dim, Rng rng) {
        this(num, dim, DType.F32, rng);
    }

    public Embedding(int num, int dim, DType dtype, Rng rng) {
        if (num < 1 || dim < 1) throw new IllegalArgumentException("Embedding: sizes must be ≥ 1, got " + num + "×" + dim);
        this.num = num;
        this.dim = dim;
        this.weight = registerParameter("weight", new Parameter(Init.normal(rng, dtype, 0, 1, num, dim)));
    }

    public Parameter weight() {
        return weight;
    }

    /** The rows for indices given as a (constant) variable of integer values. */
    @Override
    public Variable forward(Variable indices) {
        return forward(indices.value());
    }

    public Variable forward(Tensor indices) {
        double[] v = indices.toDoubleArray();
        int[] ids = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (!(v[i] >= 0 && v[i] < num) || v[i] != Math.rint(v[i])) {
                throw new IllegalArgumentException(describe() + ": index " + v[i] + " at position " + i
                        + " is not an integer in [0, " + num + ")");
            }
            ids[i] = (int) v[i];
        }
        int[] shape = Arrays.copyOf(indices.shape(), indices.rank() + 1);
        shape[indices.rank()] = dim;
        return weight.variable().indexSelect(0, ids).reshape(shape);
    }

    @Override
    public String toString() {
        return "Embedding(" + num + ", " + dim + ")";
    }
}
