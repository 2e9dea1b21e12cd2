package kfac4j.kfac;

import java.util.List;
import java.util.SortedMap;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Variable;
import kfac4j.nn.Loss;
import kfac4j.nn.LossNode;
import kfac4j.nn.SharedRows;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * The extra backward passes of a {@link FisherType} (DESIGN.md §5.1): each backpropagates one vector λ_c per loss
 * term, all terms at once, from the model output to the layer outputs. The graph is kept, so the true backward can
 * run afterwards, and parameter gradients are not touched. The loss scale ρ is not applied here: the passes carry
 * unscaled λ, and each is handed on with its weight (1/k for k Monte Carlo samples, i.e. vectors scaled by 1/√k).
 */
final class FisherPasses {
    private FisherPasses() {
    }

    /** Receives the output gradients of one pass (per layer, by call) and its weight. */
    @FunctionalInterface
    interface Sink {
        void accept(List<SortedMap<Integer, SharedRows>> grads, double weight);
    }

    /** The loss node behind a loss variable, or a clear error when the variable did not come from a {@link Loss}. */
    static LossNode lossNode(String op, Variable loss) {
        if (loss.node() instanceof LossNode node) return node;
        throw new IllegalArgumentException(op + ": the loss must be the variable a kfac4j.nn.Loss returned (so K-FAC"
                + " can find the model output and draw the Fisher's backward passes), got "
                + (loss.node() == null ? "a variable without a graph (were gradients disabled, or no parameter used?)"
                : "the output of '" + loss.node().op() + "'"));
    }

    static void run(LossNode node, FisherType type, int samples, Rng rng, CurvatureCapture capture, Sink sink) {
        Variable f = node.prediction();
        if (!f.requiresGrad()) {
            throw new IllegalStateException("Fisher backward passes: the model output does not depend on any parameter");
        }
        Tensor prediction = f.value(), target = node.target();
        Loss loss = node.loss();
        switch (type) {
            case TYPE2 -> {
                // Σ_c λ_c λ_cᵀ = ∇²_f ℓ: C passes give the exact GGN.
                Tensor roots = loss.hessianSqrt(prediction, target);
                for (int c = 0; c < roots.size(0); c++) pass(f, roots.select(0, c), 1.0, capture, sink);
            }
            case MC -> {
                for (int k = 0; k < samples; k++) {
                    pass(f, loss.sampledTermGradient(prediction, rng), 1.0 / samples, capture, sink);
                }
            }
            case EMPIRICAL -> pass(f, loss.termGradient(prediction, target), 1.0, capture, sink);
            case FORWARD_ONLY -> {
            }
        }
    }

    private static void pass(Variable f, Tensor seed, double weight, CurvatureCapture capture, Sink sink) {
        capture.beginPass(true);
        List<SortedMap<Integer, SharedRows>> grads;
        try {
            Grad.reach(f, seed, capture.passTargets(), true);
        } finally {
            grads = capture.endPass();
        }
        sink.accept(grads, weight);
    }
}
