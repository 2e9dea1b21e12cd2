package kfac4j.examples.train;

import kfac4j.autograd.Variable;

/** An optimizer as the training loop sees it: one update from the loss of a batch (backward included). */
public interface OptimizerStep extends AutoCloseable {
    void step(Variable loss);

    /** Releases what the optimizer attached to the model (K-FAC's layer capture). */
    @Override
    default void close() {
    }
}
