package kfac4j.nn;

import java.util.Arrays;

import kfac4j.autograd.Variable;

/**
 * The mean over the spatial axes: (N, C, H, W) to (N, C), as PyTorch's {@code AdaptiveAvgPool2d(1)} followed by
 * {@code Flatten}; or, built with {@link #overTokens()}, the mean over the token axis, (N, T, D) to (N, D).
 */
public final class GlobalMeanPool extends Module {
    private final int[] axes;
    private final int rank;

    /** Over H and W of (N, C, H, W). */
    public GlobalMeanPool() {
        this(new int[]{2, 3}, 4);
    }

    private GlobalMeanPool(int[] axes, int rank) {
        this.axes = axes;
        this.rank = rank;
    }

    /** Over T of (N, T, D): mean pooling of a sequence, as in ViT without a CLS token. */
    public static GlobalMeanPool overTokens() {
        return new GlobalMeanPool(new int[]{1}, 3);
    }

    @Override
    public Variable forward(Variable x) {
        if (x.shape().length != rank) throw shapeError(rank == 4 ? "(N, C, H, W)" : "(N, T, D)", x.shape());
        return x.mean(axes, false);
    }

    @Override
    public String toString() {
        return "GlobalMeanPool(axes=" + Arrays.toString(axes) + ")";
    }
}
