package kfac4j.nn;

import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * Multi-head self-attention over (N, T, D): one fused projection {@code qkv} (D → 3D) and an output projection
 * {@code proj} (D → D), both weight-sharing linear layers over the tokens (so K-FAC sees T rows per example), with an
 * optional causal mask. Per head h: {@code softmax(Q_h K_hᵀ / √d_h + mask) V_h}, d_h = D / heads.
 */
public final class MultiHeadSelfAttention extends Module {
    private final int d, heads;
    private final boolean causal;
    private final Linear qkv, proj;

    public MultiHeadSelfAttention(int d, int heads, boolean causal, Rng rng) {
        this(d, heads, causal, DType.F32, rng);
    }

    public MultiHeadSelfAttention(int d, int heads, boolean causal, DType dtype, Rng rng) {
        checkHeads(d, heads);
        this.d = d;
        this.heads = heads;
        this.causal = causal;
        this.qkv = registerModule("qkv", new Linear(d, 3 * d, true, dtype, rng));
        this.proj = registerModule("proj", new Linear(d, d, true, dtype, rng));
    }

    static void checkHeads(int d, int heads) {
        if (heads < 1 || d % heads != 0) {
            throw new IllegalArgumentException("attention: width " + d + " is not divisible into " + heads + " heads");
        }
    }

    public Linear qkv() {
        return qkv;
    }

    public Linear proj() {
        return proj;
    }

    @Override
    public Variable forward(Variable x) {
        int[] s = x.shape();
        if (s.length != 3 || s[2] != d) throw shapeError("(N, T, " + d + ")", s);
        return proj.call(attend(qkv.call(x), heads, causal));
    }

    /**
     * The attention core: from the fused projections (N, T, 3D), laid out [q | k | v] along the last axis, to the
     * heads' outputs concatenated back to (N, T, D).
     */
    static Variable attend(Variable qkv, int heads, boolean causal) {
        int[] s = qkv.shape();
        int n = s[0], t = s[1], d = s[2] / 3, dh = d / heads;
        Variable q = splitHeads(qkv.narrow(2, 0, d), n, t, heads, dh);
        Variable k = splitHeads(qkv.narrow(2, d, d), n, t, heads, dh);
        Variable v = splitHeads(qkv.narrow(2, 2 * d, d), n, t, heads, dh);
        Variable scores = q.matmul(k.mT()).mul(1 / Math.sqrt(dh));      // (N, H, T, T)
        if (causal) scores = scores.maskedFill(causalMask(t, qkv.dtype()), Double.NEGATIVE_INFINITY);
        Variable out = scores.softmax(-1).matmul(v);                      // (N, H, T, d_h)
        return out.permute(0, 2, 1, 3).reshape(n, t, d);
    }

    /** (N, T, D) to (N, H, T, d_h). */
    private static Variable splitHeads(Variable z, int n, int t, int heads, int dh) {
        return z.reshape(n, t, heads, dh).permute(0, 2, 1, 3);
    }

    /** 1 above the diagonal (key j after query i), where scores are masked out. */
    static Tensor causalMask(int t, DType dtype) {
        double[] m = new double[t * t];
        for (int i = 0; i < t; i++) for (int j = i + 1; j < t; j++) m[i * t + j] = 1;
        return HostArrays.tensor(dtype, m, t, t);
    }

    @Override
    public String toString() {
        return "MultiHeadSelfAttention(d=" + d + ", heads=" + heads + (causal ? ", causal" : "") + ")";
    }
}
