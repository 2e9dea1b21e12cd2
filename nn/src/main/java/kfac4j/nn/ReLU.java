package kfac4j.nn;

import kfac4j.autograd.Variable;

/** Elementwise max(x, 0). */
public final class ReLU extends Module {
    @Override
    public Variable forward(Variable x) {
        return x.relu();
    }

    @Override
    public String toString() {
        return "ReLU()";
    }
}
