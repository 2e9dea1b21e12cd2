package kfac4j.nn;

import java.util.List;

import kfac4j.autograd.Variable;

/** Modules applied one after another; children are named "0", "1", ... as in PyTorch's {@code nn.Sequential}. */
public final class Sequential extends Module {
    private final List<Module> layers;

    public Sequential(Module... layers) {
        this.layers = List.of(layers);
        for (int i = 0; i < layers.length; i++) registerModule(Integer.toString(i), layers[i]);
    }

    @Override
    public Variable forward(Variable x) {
        for (Module m : layers) x = m.call(x);
        return x;
    }

    /** The i-th layer. */
    public Module get(int i) {
        return layers.get(i);
    }

    public int size() {
        return layers.size();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Sequential(");
        for (int i = 0; i < layers.size(); i++) sb.append(i == 0 ? "" : ", ").append(layers.get(i));
        return sb.append(')').toString();
    }
}
