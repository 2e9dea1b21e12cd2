package kfac4j.nn;

import kfac4j.autograd.Variable;

/** Elementwise 1 / (1 + e^−x). */
public final class Sigmoid extends Module {
    @Override
    public Variable forward(Variable x) {
        return x.sigmoid();
    }

    @Override
    public String toString() {
        return "Sigmoid()";
    }
}
