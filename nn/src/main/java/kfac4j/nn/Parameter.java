package kfac4j.nn;

import kfac4j.autograd.Variable;
import kfac4j.tensor.Tensor;

/**
 * A trainable tensor of a module: a leaf {@link Variable} whose value optimizers update in place and whose gradient
 * backward passes accumulate.
 */
public final class Parameter {
    private final Variable variable;

    public Parameter(Tensor initial) {
        this.variable = Variable.leaf(initial);
    }

    /** The leaf variable to use in forward computations. */
    public Variable variable() {
        return variable;
    }

    /** The current value (updated in place by optimizers). */
    public Tensor value() {
        return variable.value();
    }

    /** The accumulated gradient, or null before the first backward pass after {@link #zeroGrad()}. */
    public Tensor grad() {
        return variable.grad();
    }

    public void setGrad(Tensor g) {
        variable.setGrad(g);
    }

    public void zeroGrad() {
        variable.zeroGrad();
    }

    public int[] shape() {
        return variable.value().shape();
    }

    public int numel() {
        return variable.value().numel();
    }

    @Override
    public String toString() {
        return "Parameter(shape=" + java.util.Arrays.toString(shape()) + ", dtype=" + value().dtype() + ")";
    }
}
