package kfac4j.nn;

import kfac4j.autograd.Variable;

/** Axes {@code start..end} merged into one, as PyTorch's {@code nn.Flatten} (by default all but the first). */
public final class Flatten extends Module {
    private final int start, end;

    public Flatten() {
        this(1, -1);
    }

    public Flatten(int startAxis, int endAxis) {
        this.start = startAxis;
        this.end = endAxis;
    }

    @Override
    public Variable forward(Variable x) {
        return x.flatten(start, end);
    }

    @Override
    public String toString() {
        return "Flatten(" + start + ", " + end + ")";
    }
}
