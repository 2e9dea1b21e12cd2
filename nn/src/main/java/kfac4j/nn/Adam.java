package kfac4j.nn;

import java.util.List;
import java.util.Map;

import kfac4j.tensor.Tensor;

/**
 * Adam with bias correction, as PyTorch's {@code optim.Adam}: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²,
 * p ← p − η (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε), t the optimizer's step count. Weight decay λ is L2 (added to
 * the gradient) here and decoupled (p ← p(1 − ηλ) before the update) in {@link AdamW}.
 */
public class Adam extends GradientOptimizer {
    private final boolean decoupled;
    private double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay;

    public Adam(List<Parameter> parameters, double lr) {
        this(parameters, lr, false, 0);
    }

    Adam(List<Parameter> parameters, double lr, boolean decoupled, double weightDecay) {
        super(parameters, lr);
        this.decoupled = decoupled;
        this.weightDecay = weightDecay;
    }

    public Adam betas(double beta1, double beta2) {
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": betas must lie in [0, 1), got " + beta1
                    + ", " + beta2);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        return this;
    }

    public Adam eps(double eps) {
        this.eps = eps;
        return this;
    }

    public Adam weightDecay(double lambda) {
        if (!(lambda >= 0)) throw new IllegalArgumentException(getClass().getSimpleName() + ": weight decay must be ≥ 0, got " + lambda);
        this.weightDecay = lambda;
        return this;
    }

    @Override
    protected void update(Parameter p, Tensor g, Map<String, Tensor> state, double lr, long t) {
        Tensor w = p.value();
        if (weightDecay != 0) {
            if (decoupled) w.addScaledInPlace(-lr * weightDecay, w);
            else g = g.add(w.mul(weightDecay));
        }
        Tensor m = state.get("exp_avg"), v = state.get("exp_avg_sq");
        m = m == null ? g.mul(1 - beta1) : m.mul(beta1).addScaledInPlace(1 - beta1, g);
        v = v == null ? g.square().mul(1 - beta2) : v.mul(beta2).addScaledInPlace(1 - beta2, g.square());
        state.put("exp_avg", m);
        state.put("exp_avg_sq", v);
        double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
        Tensor denom = v.sqrt().mul(1 / Math.sqrt(bc2)).add(eps);
        w.addScaledInPlace(-lr / bc1, m.div(denom));
    }

    @Override
    protected List<String> stateNames() {
        return List.of("exp_avg", "exp_avg_sq");
    }
}
