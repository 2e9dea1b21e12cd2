package kfac4j.nn;

import kfac4j.autograd.Node;
import kfac4j.autograd.Variable;
import kfac4j.tensor.Tensor;

/**
 * The node a {@link Loss} records: besides the gradient rule it remembers the model's prediction, the target and the
 * loss, so that K-FAC, handed the loss variable, can draw the Fisher's extra backward passes from the prediction.
 */
public final class LossNode extends Node {
    private final Variable prediction;
    private final Tensor target;
    private final Loss loss;

    public LossNode(String op, Variable prediction, Tensor target, Loss loss, Backward backward) {
        super(op, new Variable[]{prediction}, backward);
        this.prediction = prediction;
        this.target = target;
        this.loss = loss;
    }

    /** The model output the loss was applied to. */
    public Variable prediction() {
        return prediction;
    }

    public Tensor target() {
        return target;
    }

    public Loss loss() {
        return loss;
    }
}
