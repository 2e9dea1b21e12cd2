package kfac4j.nn;

import java.util.Arrays;

import kfac4j.autograd.Variable;

/** A residual connection {@code x + f(x)}, f the given layers applied in order (named "0", "1", ... as in Sequential). */
public final class Residual extends Module {
    private final Module[] layers;

    public Residual(Module... layers) {
        this.layers = layers.clone();
        for (int i = 0; i < layers.length; i++) registerModule(Integer.toString(i), layers[i]);
    }

    @Override
    public Variable forward(Variable x) {
        Variable y = x;
        for (Module m : layers) y = m.call(y);
        if (!Arrays.equals(y.shape(), x.shape())) {
            throw new IllegalArgumentException(describe() + ": the residual branch maps shape " + Arrays.toString(x.shape())
                    + " to " + Arrays.toString(y.shape()) + "; it must keep the shape");
        }
        return x.add(y);
    }
}
