package kfac4j.nn;

import java.util.List;
import java.util.Map;

import kfac4j.tensor.Tensor;

/**
 * Updates parameters from their accumulated gradients, as PyTorch's {@code torch.optim}: {@code zeroGrad()},
 * backward, {@code step()}.
 */
public interface Optimizer {
    /** One update of every parameter that has a gradient (parameters without one are left alone). */
    void step();

    /** Forgets the gradients of all parameters. */
    default void zeroGrad() {
        for (Parameter p : parameters()) p.zeroGrad();
    }

    /** The parameters this optimizer updates, in order (the order numbers them in {@link #stateDict()}). */
    List<Parameter> parameters();

    /** The learning rate the next step will use (the base rate times the schedule's factor). */
    double learningRate();

    /** Sets the base learning rate. */
    void setLearningRate(double lr);

    /** Steps taken so far. */
    long stepCount();

    /**
     * The optimizer's state as tensors named as PyTorch numbers them ({@code state.0.exp_avg}), plus {@code step}:
     * enough to resume training exactly. Hyperparameters are configuration, not state.
     */
    Map<String, Tensor> stateDict();

    /** Restores a state saved by {@link #stateDict()}; fails naming missing, unexpected and mis-shaped keys. */
    void loadStateDict(Map<String, Tensor> state);

    /**
     * Scales all gradients by {@code min(1, maxNorm / (‖g‖ + 1e-6))}, ‖g‖ the norm of all of them together (PyTorch's
     * {@code clip_grad_norm_}); returns ‖g‖ before clipping.
     */
    static double clipGradNorm(Iterable<Parameter> parameters, double maxNorm) {
        double ss = 0;
        for (Parameter p : parameters) {
            Tensor g = p.grad();
            if (g != null) {
                double n = g.norm();
                ss += n * n;
            }
        }
        double norm = Math.sqrt(ss);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
            for (Parameter p : parameters) if (p.grad() != null) p.setGrad(p.grad().mul(coef));
        }
        return norm;
    }
}
