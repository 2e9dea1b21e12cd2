package kfac4j.nn;

import java.util.List;
import java.util.Map;

import kfac4j.tensor.Tensor;

/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, as PyTorch's
 * {@code optim.SGD}: d = g + λp; b ← μb + (1 − τ)d (b = d at the first step); d ← d + μb (Nesterov) or b; p ← p − η d.
 */
public final class SGD extends GradientOptimizer {
    private double momentum, dampening, weightDecay;
    private boolean nesterov;

    public SGD(List<Parameter> parameters, double lr) {
        super(parameters, lr);
    }

    public SGD momentum(double mu) {
        if (!(mu >= 0)) throw new IllegalArgumentException("SGD: momentum must be ≥ 0, got " + mu);
        this.momentum = mu;
        return this;
    }

    public SGD dampening(double tau) {
        this.dampening = tau;
        return this;
    }

    public SGD nesterov(boolean on) {
        this.nesterov = on;
        return this;
    }

    public SGD weightDecay(double lambda) {
        if (!(lambda >= 0)) throw new IllegalArgumentException("SGD: weight decay must be ≥ 0, got " + lambda);
        this.weightDecay = lambda;
        return this;
    }

    @Override
    protected void update(Parameter p, Tensor g, Map<String, Tensor> state, double lr, long t) {
        if (nesterov && (momentum == 0 || dampening != 0)) {
            throw new IllegalStateException("SGD: Nesterov momentum needs a momentum > 0 and zero dampening");
        }
        Tensor d = weightDecay != 0 ? g.add(p.value().mul(weightDecay)) : g;
        if (momentum != 0) {
            Tensor b = state.get("momentum_buffer");
            if (b == null) {
                b = d.copy();
            } else {
                b = b.mul(momentum);
                b.addScaledInPlace(1 - dampening, d);
            }
            state.put("momentum_buffer", b);
            d = nesterov ? d.add(b.mul(momentum)) : b;
        }
        p.value().addScaledInPlace(-lr, d);
    }

    @Override
    protected List<String> stateNames() {
        return momentum != 0 ? List.of("momentum_buffer") : List.of();
    }
}
