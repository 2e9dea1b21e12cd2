package kfac4j.nn;

import kfac4j.autograd.Variable;

/** Elementwise tanh x. */
public final class Tanh extends Module {
    @Override
    public Variable forward(Variable x) {
        return x.tanh();
    }

    @Override
    public String toString() {
        return "Tanh()";
    }
}
