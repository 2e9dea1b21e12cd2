package kfac4j.nn;

import java.util.function.Function;
import java.util.function.UnaryOperator;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Variable;
import kfac4j.tensor.Tensor;

/**
 * The capture state of one weight-sharing linear layer: the listener (null while capture is off) and the number of
 * forward calls since it was set. Layers ask {@link #isOn()} before building anything, so capture costs nothing when
 * off.
 */
final class Capture {
    private CaptureListener listener;
    private int calls;

    void set(CaptureListener l) {
        listener = l;
        calls = 0;
    }

    boolean isOn() {
        return listener != null;
    }

    /**
     * Reports one forward call: its input rows now, and — through a gradient hook on {@code output} — the gradient
     * with respect to the output rows at every backward pass, {@code gradRows} turning the gradient of {@code output}
     * into rows (M, D_out) in the same order as the input rows (DESIGN.md §5.1).
     */
    void record(WeightSharingLinear layer, Tensor inputRows, int[] exampleOfRow, int numExamples, Variable output,
                UnaryOperator<Tensor> gradRows) {
        record(layer, new SharedRows(inputRows, exampleOfRow, numExamples), output,
                g -> new SharedRows(gradRows.apply(g), exampleOfRow, numExamples));
    }

    /**
     * Reports one forward call with its input rows as {@code input} (possibly lazy, see
     * {@link SharedRows#regular(int, int, int, java.util.function.Supplier, java.util.function.Supplier)}), and
     * {@code outputRows} making the output-gradient rows of the same examples from the gradient of {@code output}.
     */
    void record(WeightSharingLinear layer, SharedRows input, Variable output, Function<Tensor, SharedRows> outputRows) {
        CaptureListener l = listener;
        int call = calls++;
        l.onInput(layer, call, input);
        l.onOutput(layer, call, output);
        output.onGradTransient(g -> {
            if (l.keepsOutputGrads(layer)) Grad.keep(g.value()); // the rows are views of it, or made from it later
            l.onOutputGrad(layer, call, outputRows.apply(g.value()));
            return g;
        });
    }

    /** Example ids of M rows, M/N consecutive rows per example. */
    static int[] regularIds(int m, int n) {
        int[] ids = new int[m];
        int per = n == 0 ? 0 : m / n;
        for (int r = 0; r < m; r++) ids[r] = r / per;
        return ids;
    }
}
