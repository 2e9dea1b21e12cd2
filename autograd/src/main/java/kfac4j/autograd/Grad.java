package kfac4j.autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import kfac4j.tensor.Recycler;
import kfac4j.tensor.Tensor;

/**
 * Graph recording on and off, and gradients as values (for double backward and Hessian-vector products).
 *
 * <pre>{@code
 * try (var s = Grad.disabled()) { ... }   // nothing inside is recorded
 * }</pre>
 */
public final class Grad {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[]{true});
    private static final ThreadLocal<boolean[]> GRAPH_KEPT = ThreadLocal.withInitial(() -> new boolean[]{false});

    private Grad() {
    }

    /** Whether operations on this thread are being recorded. */
    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** A scope in which nothing is recorded: results are constants. Restores the previous mode on close. */
    public static Scope disabled() {
        return setEnabled(false);
    }

    /** A scope in which recording is on, even inside a disabled scope. */
    public static Scope enabled() {
        return setEnabled(true);
    }

    private static Scope setEnabled(boolean on) {
        boolean[] flag = ENABLED.get();
        boolean previous = flag[0];
        flag[0] = on;
        return () -> flag[0] = previous;
    }

    /**
     * Whether the backward pass running on this thread keeps the graph for another pass over it. A rule may then keep
     * work that does not depend on the incoming gradient (an activation's derivative) for the next pass, instead of
     * recomputing it; in a pass that frees the graph there is no next pass to keep it for.
     */
    public static boolean isGraphKept() {
        return GRAPH_KEPT.get()[0];
    }

    /** Marks the backward pass now starting on this thread as keeping the graph, or not; close restores. */
    static Scope keepingGraph(boolean kept) {
        boolean[] flag = GRAPH_KEPT.get();
        boolean previous = flag[0];
        flag[0] = kept;
        return () -> flag[0] = previous;
    }

    /** A recording-mode scope; closing restores the previous mode. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * The gradients of {@code output} (seeded with {@code seed}, which must have the output's shape) with respect to
     * each of {@code inputs}, returned rather than accumulated. With {@code createGraph}, the gradients are themselves
     * recorded, so they can be differentiated again. The graph is kept when {@code keepGraph} (implied by
     * createGraph). An input the output does not depend on gets a zero gradient.
     */
    public static List<Variable> grad(Variable output, Tensor seed, List<Variable> inputs, boolean keepGraph,
                                      boolean createGraph) {
        return Backprop.run(output, seed, inputs, keepGraph || createGraph, createGraph, true);
    }

    /**
     * Backpropagates {@code seed} from {@code output} as far as {@code targets}, for the hooks on the way: the part of
     * the graph that {@link #grad(Variable, Tensor, List, boolean, boolean)} would traverse, but nothing is returned,
     * so no gradient is kept beyond its consumers unless a hook keeps it. What a pass run only to show each layer its
     * output gradient (a Fisher pass of K-FAC) asks for.
     */
    public static void reach(Variable output, Tensor seed, List<Variable> targets, boolean keepGraph) {
        if (targets == null) throw new IllegalArgumentException("reach: the targets are null");
        Backprop.run(output, seed, targets, keepGraph, false, false);
    }

    /**
     * Keeps {@code gradient}'s memory from being recycled by the backward pass that produced it: what a hook
     * registered with {@link Variable#onGradTransient} calls on a gradient (or a view of it) that it keeps.
     */
    public static void keep(Tensor gradient) {
        Recycler.keep(gradient);
    }

    /** The gradients of a one-element {@code output} with respect to {@code inputs}; the graph is freed. */
    public static List<Variable> grad(Variable output, List<Variable> inputs) {
        if (output.value().numel() != 1) {
            throw new IllegalArgumentException("grad: the output has shape " + Arrays.toString(output.shape())
                    + "; without a seed it must have a single element");
        }
        return grad(output, output.value().onesLike(), inputs, false, false);
    }

    /**
     * The Hessian-vector product {@code ∇²L · v} of a one-element {@code loss} by double backward: the gradient is
     * recorded, then {@code ⟨∇L, v⟩} is differentiated. {@code v} has one tensor per parameter, of its shape. The graph
     * is kept, so several products can be taken.
     */
    public static List<Tensor> hessianVectorProduct(Variable loss, List<Variable> params, List<Tensor> v) {
        if (v.size() != params.size()) {
            throw new IllegalArgumentException("hessianVectorProduct: " + v.size() + " vector pieces for "
                    + params.size() + " parameters");
        }
        if (loss.value().numel() != 1) {
            throw new IllegalArgumentException("hessianVectorProduct: the loss has shape "
                    + Arrays.toString(loss.shape()) + "; it must have a single element");
        }
        List<Variable> grads = grad(loss, loss.value().onesLike(), params, true, true);
        Variable dot = null;
        for (int i = 0; i < params.size(); i++) {
            if (!Arrays.equals(v.get(i).shape(), params.get(i).shape())) {
                throw new IllegalArgumentException("hessianVectorProduct: vector piece " + i + " has shape "
                        + Arrays.toString(v.get(i).shape()) + ", its parameter " + Arrays.toString(params.get(i).shape()));
            }
            if (!grads.get(i).requiresGrad()) continue; // a gradient independent of θ contributes nothing
            Variable term = grads.get(i).mul(Variable.constant(v.get(i))).sum();
            dot = dot == null ? term : dot.add(term);
        }
        List<Tensor> out = new ArrayList<>(params.size());
        if (dot == null) {
            for (Variable p : params) out.add(p.value().zerosLike());
            return out;
        }
        for (Variable h : grad(dot, dot.value().onesLike(), params, true, false)) out.add(h.value());
        return out;
    }
}
