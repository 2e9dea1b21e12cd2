package kfac4j.nn;

import kfac4j.autograd.Variable;
import kfac4j.tensor.ConvGeometry;

/**
 * Max pooling over square windows of (N, C, H, W), as PyTorch's {@code nn.MaxPool2d}: padding counts as −∞, and the
 * gradient goes to the first maximal entry of each window.
 */
public final class MaxPool2d extends Module {
    private final int kernel, stride, padding;

    /** Non-overlapping windows: stride = kernel, no padding. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    public MaxPool2d(int kernel, int stride, int padding) {
        if (kernel < 1 || stride < 1 || padding < 0 || 2 * padding > kernel) {
            throw new IllegalArgumentException("MaxPool2d: need kernel ≥ 1, stride ≥ 1 and 0 ≤ padding ≤ kernel/2, got kernel="
                    + kernel + ", stride=" + stride + ", padding=" + padding);
        }
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public Variable forward(Variable x) {
        int[] s = x.shape();
        if (s.length != 4) throw shapeError("(N, C, H, W)", s);
        int p = padding;
        Variable padded = p == 0 ? x : x.pad(new int[]{0, 0, p, p}, new int[]{0, 0, p, p}, Double.NEGATIVE_INFINITY);
        return AvgPool2d.windows(this, padded, ConvGeometry.square(kernel, stride, 0, 1)).max(1, false)
                .reshape(s[0], s[1], (s[2] + 2 * p - kernel) / stride + 1, (s[3] + 2 * p - kernel) / stride + 1);
    }

    @Override
    public String toString() {
        return "MaxPool2d(kernel=" + kernel + ", stride=" + stride + ", padding=" + padding + ")";
    }
}
