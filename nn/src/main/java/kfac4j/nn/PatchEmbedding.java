package kfac4j.nn;

import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;

/**
 * The ViT patch embedding: an image (N, C, H, W) cut into non-overlapping p×p patches, each flattened in (c, i, j)
 * order and mapped by one weight-sharing linear layer to width D, giving (N, L, D) with L = (H/p)·(W/p) tokens. This is
 * PyTorch's {@code Conv2d(C, D, p, stride=p)}: the weight is held as (D, C·p·p) and saved as (D, C, p, p). K-FAC sees L
 * rows (patches) per example.
 */
public final class PatchEmbedding extends Module implements WeightSharingLinear {
    private final int channels, patch, d;
    private final Parameter weight, bias;
    private final Capture capture = new Capture();

    public PatchEmbedding(int channels, int patch, int d, Rng rng) {
        this(channels, patch, d, DType.F32, rng);
    }

    public PatchEmbedding(int channels, int patch, int d, DType dtype, Rng rng) {
        if (channels < 1 || patch < 1 || d < 1) {
            throw new IllegalArgumentException("PatchEmbedding: channels, patch and width must be ≥ 1, got " + channels
                    + ", " + patch + ", " + d);
        }
        this.channels = channels;
        this.patch = patch;
        this.d = d;
        int fanIn = channels * patch * patch;
        weight = registerParameter("weight", new Parameter(Init.defaultUniform(rng, dtype, fanIn, d, fanIn)),
                new int[]{d, channels, patch, patch});
        bias = registerParameter("bias", new Parameter(Init.defaultUniform(rng, dtype, fanIn, d)));
    }

    @Override
    public Parameter weight() {
        return weight;
    }

    @Override
    public Parameter bias() {
        return bias;
    }

    @Override
    public int inFeatures() {
        return channels * patch * patch;
    }

    @Override
    public int outFeatures() {
        return d;
    }

    @Override
    public void setCaptureListener(CaptureListener listener) {
        capture.set(listener);
    }

    /** (N, C, H, W) with H and W multiples of p, to (N, L, D). */
    @Override
    public Variable forward(Variable x) {
        int[] s = x.shape();
        if (s.length != 4 || s[1] != channels || s[2] % patch != 0 || s[3] % patch != 0) {
            throw shapeError("(N, " + channels + ", H, W) with H and W multiples of " + patch, s);
        }
        requireDtype(x, weight.value().dtype());
        int n = s[0], gh = s[2] / patch, gw = s[3] / patch, l = gh * gw;
        Variable rows = x.reshape(n, channels, gh, patch, gw, patch).permute(0, 2, 4, 1, 3, 5).reshape(n * l, inFeatures());
        Variable y = Linear.affine(rows, weight.variable(), bias.variable());
        if (capture.isOn()) capture.record(this, rows.value(), Capture.regularIds(n * l, n), n, y, g -> g);
        return y.reshape(n, l, d);
    }

    @Override
    public String toString() {
        return "PatchEmbedding(channels=" + channels + ", patch=" + patch + ", d=" + d + ")";
    }
}
