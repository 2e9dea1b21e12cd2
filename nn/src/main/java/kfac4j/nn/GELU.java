package kfac4j.nn;

import kfac4j.autograd.Variable;

/** GELU, x·Φ(x) with Φ the standard normal CDF; optionally PyTorch's tanh approximation. */
public final class GELU extends Module {
    private final boolean tanhApproximation;

    /** The exact (erf) form, PyTorch's default. */
    public GELU() {
        this(false);
    }

    public GELU(boolean tanhApproximation) {
        this.tanhApproximation = tanhApproximation;
    }

    @Override
    public Variable forward(Variable x) {
        return tanhApproximation ? x.geluTanh() : x.gelu();
    }

    @Override
    public String toString() {
        return tanhApproximation ? "GELU(tanh)" : "GELU()";
    }
}
