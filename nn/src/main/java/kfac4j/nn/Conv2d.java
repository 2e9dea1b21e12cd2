package kfac4j.nn;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Node;
import kfac4j.autograd.Variable;
import kfac4j.tensor.ConvGeometry;
import kfac4j.tensor.DType;
import kfac4j.tensor.PatchSums;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * 2-D convolution (groups = 1) as a weight-sharing linear layer over output positions (DESIGN.md §4): the input is
 * unfolded into patches, one per output position, and every patch is a row {@code a} of width C_in·kh·kw that the
 * layer maps to {@code W a + b}. K-FAC therefore sees L = H_out·W_out rows per example — KFC's view (Grosse and
 * Martens 2016).
 *
 * <p>The weight is held as that (C_out, C_in·kh·kw) matrix; its state-dict entry has PyTorch's shape
 * (C_out, C_in, kh, kw), whose row-major order is the same (patch entries ordered (c, kh, kw), as PyTorch's unfold).
 * Initialised as PyTorch does: weight and bias from U(−1/√fan_in, 1/√fan_in), fan_in = C_in·kh·kw.
 */
public final class Conv2d extends Module implements WeightSharingLinear {
    private final int inChannels, outChannels;
    private final ConvGeometry geometry;
    private final Parameter weight, bias;
    private final Capture capture = new Capture();

    /** Square kernel, stride 1, no padding, with bias, in F32. */
    public Conv2d(int inChannels, int outChannels, int kernel, Rng rng) {
        this(inChannels, outChannels, kernel, 1, 0, rng);
    }

    /** Square kernel with the given stride and zero padding, with bias, in F32. */
    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, Rng rng) {
        this(inChannels, outChannels, ConvGeometry.square(kernel, stride, padding, 1), true, DType.F32, rng);
    }

    public Conv2d(int inChannels, int outChannels, ConvGeometry geometry, boolean bias, DType dtype, Rng rng) {
        if (inChannels < 1 || outChannels < 1) {
            throw new IllegalArgumentException("Conv2d: channels must be ≥ 1, got in=" + inChannels + ", out=" + outChannels);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.geometry = geometry;
        int fanIn = inChannels * geometry.kernelH() * geometry.kernelW();
        this.weight = registerParameter("weight",
                new Parameter(Init.defaultUniform(rng, dtype, fanIn, outChannels, fanIn)),
                new int[]{outChannels, inChannels, geometry.kernelH(), geometry.kernelW()});
        this.bias = bias ? registerParameter("bias", new Parameter(Init.defaultUniform(rng, dtype, fanIn, outChannels)))
                : null;
    }

    /** The weight as the (C_out, C_in·kh·kw) matrix applied to every patch. */
    @Override
    public Parameter weight() {
        return weight;
    }

    @Override
    public Parameter bias() {
        return bias;
    }

    /** C_in·kh·kw, the width of a patch row. */
    @Override
    public int inFeatures() {
        return weight.shape()[1];
    }

    @Override
    public int outFeatures() {
        return outChannels;
    }

    public ConvGeometry geometry() {
        return geometry;
    }

    @Override
    public void setCaptureListener(CaptureListener listener) {
        capture.set(listener);
    }

    /** (N, C_in, H, W) to (N, C_out, H_out, W_out). */
    @Override
    public Variable forward(Variable x) {
        int[] s = x.shape();
        if (s.length != 4 || s[1] != inChannels) throw shapeError("(N, " + inChannels + ", H, W)", s);
        requireDtype(x, weight.value().dtype());
        int oh = geometry.outH(s[2]), ow = geometry.outW(s[3]);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException(describe() + ": input of shape " + java.util.Arrays.toString(s)
                    + " is smaller than the " + geometry.kernelH() + "×" + geometry.kernelW() + " kernel (with padding "
                    + geometry.padH() + "×" + geometry.padW() + " and dilation " + geometry.dilationH() + "×"
                    + geometry.dilationW() + ")");
        }
        int n = s[0];
        Variable y = convolve(x, weight.variable(), bias == null ? null : bias.variable(), geometry);
        if (capture.isOn()) {
            // Rows are patches (N·L, C_in·kh·kw), L per example: the transpose of the patch columns; the output
            // gradient likewise (N·L, C_out). Both are made only if asked for (K-FAC-expand); their per-example sums
            // (K-FAC-reduce) come from the image and the gradient directly, without patches or transposes.
            int l = oh * ow;
            Tensor in = x.value();
            capture.record(this, SharedRows.regular(n, l, inFeatures(), () -> in.unfoldColumns(geometry).mT(),
                            () -> PatchSums.perImage(in, geometry)), y,
                    g -> SharedRows.regular(n, l, outChannels,
                            () -> g.reshape(n, outChannels, l).transpose(1, 2).reshape(-1, outChannels),
                            () -> g.reshape(n, outChannels, l).sum(2)));
        }
        return y;
    }

    /**
     * {@code Y_n = W P_n + b} for every example's patch columns P_n (C_in·kh·kw, L), as one node:
     * ∂P = Wᵀ G (folded back into the image), ∂W = Σ_n G_n P_nᵀ, ∂b = Σ_{n,l} G_n. Computed image by image by the
     * tensor's convolution; when the backward is itself recorded (double backward), written with patch columns in
     * differentiable operations instead, which give the same values (∂W summed over the same fixed blocks of images).
     */
    private static Variable convolve(Variable x, Variable w, Variable b, ConvGeometry geometry) {
        Tensor y = x.value().conv2d(w.value(), b == null ? null : b.value(), geometry);
        int[] s = x.shape(), ys = y.shape();
        int n = s[0], cout = ys[1], l = ys[2] * ys[3];
        Variable[] inputs = b == null ? new Variable[]{x, w} : new Variable[]{x, w, b};
        return Node.record("conv2d", y, inputs, (g, o, need) -> {
            Variable[] grads = new Variable[inputs.length];
            if (Grad.isEnabled()) {
                Variable cols = x.unfoldColumns(geometry);                         // (C_in·kh·kw, N·L)
                Variable gc = g.reshape(n, cout, l).permute(1, 0, 2).reshape(cout, n * l);
                if (need[0]) grads[0] = w.mT().matmul(gc).foldColumns(geometry, s[2], s[3]);
                if (need[1]) {
                    // Per fixed block of images, summed in block order, as the tensor's weight gradient sums.
                    int[] start = Tensor.conv2dWeightGradBlocks(n);
                    if (start.length <= 2) grads[1] = gc.matmul(cols.mT());
                    else for (int j = 0; j + 1 < start.length; j++) {
                        int b0 = start[j], nb = start[j + 1] - b0;
                        Variable gj = g.narrow(0, b0, nb).reshape(nb, cout, l).permute(1, 0, 2).reshape(cout, nb * l);
                        Variable part = gj.matmul(x.narrow(0, b0, nb).unfoldColumns(geometry).mT());
                        grads[1] = j == 0 ? part : grads[1].add(part);
                    }
                }
            } else {
                Tensor gv = g.value();
                if (need[0]) grads[0] = Variable.constant(Tensor.conv2dInputGrad(w.value(), gv, geometry, s[2], s[3]));
                if (need[1]) grads[1] = Variable.constant(x.value().conv2dWeightGrad(gv, geometry));
            }
            // Over positions first, then examples: two reductions of adjacent axes, no permuted copy of the gradient.
            if (b != null && need[2]) grads[2] = g.sum(new int[]{2, 3}, false).sum(0);
            return grads;
        });
    }

    @Override
    public String toString() {
        return "Conv2d(" + inChannels + ", " + outChannels + ", kernel=" + geometry.kernelH() + "×" + geometry.kernelW()
                + ", stride=" + geometry.strideH() + ", padding=" + geometry.padH() + ", dilation=" + geometry.dilationH() + ")";
    }
}
