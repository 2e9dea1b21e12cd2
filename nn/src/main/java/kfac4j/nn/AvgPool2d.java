package kfac4j.nn;

import kfac4j.autograd.Variable;
import kfac4j.tensor.ConvGeometry;

/**
 * Average pooling over square windows of (N, C, H, W), as PyTorch's {@code nn.AvgPool2d} with its default
 * {@code count_include_pad=True}: zero padding counts in the window's k² entries.
 */
public final class AvgPool2d extends Module {
    private final ConvGeometry geometry;

    /** Non-overlapping windows: stride = kernel, no padding. */
    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    public AvgPool2d(int kernel, int stride, int padding) {
        if (kernel < 1 || stride < 1 || padding < 0 || 2 * padding > kernel) {
            throw new IllegalArgumentException("AvgPool2d: need kernel ≥ 1, stride ≥ 1 and 0 ≤ padding ≤ kernel/2, got kernel="
                    + kernel + ", stride=" + stride + ", padding=" + padding);
        }
        this.geometry = ConvGeometry.square(kernel, stride, padding, 1);
    }

    @Override
    public Variable forward(Variable x) {
        int[] s = x.shape();
        if (s.length != 4) throw shapeError("(N, C, H, W)", s);
        return windows(this, x, geometry).mean(1)
                .reshape(s[0], s[1], geometry.outH(s[2]), geometry.outW(s[3]));
    }

    /** Every channel's windows as columns: (N, C, H, W) to (N·C, k², L). */
    static Variable windows(Module layer, Variable x, ConvGeometry g) {
        int[] s = x.shape();
        if (g.outH(s[2]) < 1 || g.outW(s[3]) < 1) {
            throw new IllegalArgumentException(layer.describe() + ": input of shape " + java.util.Arrays.toString(s)
                    + " is smaller than the " + g.kernelH() + "×" + g.kernelW() + " window");
        }
        return x.reshape(s[0] * s[1], 1, s[2], s[3]).unfold(g);
    }

    @Override
    public String toString() {
        return "AvgPool2d(kernel=" + geometry.kernelH() + ", stride=" + geometry.strideH() + ", padding=" + geometry.padH() + ")";
    }
}
