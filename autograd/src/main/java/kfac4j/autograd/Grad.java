package kfac4j.autograd;

import java.util.List;

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
        return Backprop.run(output, seed, inputs, keepGraph || createGraph, createGraph);
    }
}
