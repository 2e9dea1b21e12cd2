package kfac4j.nn;

import kfac4j.autograd.Variable;

/**
 * Receives what a {@link WeightSharingLinear} layer sees while capture is on: its input rows at every forward call,
 * and the gradient with respect to its output rows at every backward pass through that call. K-FAC builds its
 * Kronecker factors from exactly these (DESIGN.md §5.2).
 *
 * <p>{@code call} numbers the forward calls of the layer since capture was switched on (0, 1, ... — more than one when
 * a layer is applied several times in one forward pass, as with tied weights); an output gradient names the call it
 * belongs to.
 */
public interface CaptureListener {
    /** The layer's input rows for forward call {@code call} (before the bias is applied; no homogeneous column). */
    void onInput(WeightSharingLinear layer, int call, SharedRows input);

    /**
     * The variable forward call {@code call} returned, whose gradient {@link #onOutputGrad} reports: a backward pass
     * that asks for the gradients of these variables alone reaches every layer's output and computes nothing below
     * the lowest one.
     */
    default void onOutput(WeightSharingLinear layer, int call, Variable output) {
    }

    /** The gradient with respect to the layer's output rows of call {@code call}, once per backward pass. */
    void onOutputGrad(WeightSharingLinear layer, int call, SharedRows outputGrad);

    /**
     * Whether the listener would keep an output gradient of {@code layer} reported now beyond {@link #onOutputGrad}'s
     * return (the rows, or a tensor that shares their memory); when it would not, the backward pass may recycle the
     * gradient's memory once it has been consumed. Asked before each report; true unless a listener knows better.
     */
    default boolean keepsOutputGrads(WeightSharingLinear layer) {
        return true;
    }
}
