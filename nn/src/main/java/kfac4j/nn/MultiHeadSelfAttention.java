package kfac4j.nn;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Node;
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
     * heads' outputs concatenated back to (N, T, D). One node: with P = softmax(S), S = Q Kᵀ/√d_h (masked) and the
     * output gradient G per head, ∂V = Pᵀ G, ∂P = G Vᵀ, ∂S = P ⊙ (∂P − rowsum(∂P ⊙ P)), ∂Q = ∂S K/√d_h and
     * ∂K = ∂Sᵀ Q/√d_h, written back into [∂Q | ∂K | ∂V] at once (no zero-padded gradient per slice).
     */
    static Variable attend(Variable qkv, int heads, boolean causal) {
        int[] s = qkv.shape();
        int n = s[0], t = s[1], d = s[2] / 3, dh = d / heads;
        double scale = 1 / Math.sqrt(dh);
        Tensor mask = causal ? causalMask(t, qkv.dtype()) : null;
        Tensor all = qkv.value();
        Tensor q = splitHeads(all.narrow(2, 0, d), heads), k = splitHeads(all.narrow(2, d, d), heads),
                v = splitHeads(all.narrow(2, 2 * d, d), heads);
        Tensor scores = q.matmul(k.mT());                                     // (N, H, T, T)
        Tensor p = mask == null ? scores.mul(scale).softmax(-1) : scores.maskedSoftmax(scale, mask);
        // The heads' products written straight into (N, T, D): no copy to merge them.
        Tensor out = Tensor.zeros(qkv.dtype(), n, t, d);
        splitHeads(out, heads).matmulInPlace(p, v);
        return Node.record("attention", out, new Variable[]{qkv}, (g, o, needs) -> {
            if (!Grad.isEnabled()) {
                // The rule on tensors, with the softmax's backward in one pass per row.
                // The products land in their slices of [∂Q | ∂K | ∂V] directly.
                Tensor gh = splitHeads(g.value(), heads), ds = Tensor.softmaxBackward(p, gh.matmul(v.mT()), scale);
                Tensor grad = Tensor.zeros(qkv.dtype(), n, t, 3 * d);
                splitHeads(grad.narrow(2, 0, d), heads).matmulInPlace(ds, k);
                splitHeads(grad.narrow(2, d, d), heads).matmulInPlace(ds.mT(), q);
                splitHeads(grad.narrow(2, 2 * d, d), heads).matmulInPlace(p.mT(), gh);
                return new Variable[]{Variable.constant(grad)};
            }
            // Recording (double backward): P and the heads as functions of qkv, so the gradient can be differentiated.
            Variable vq = splitHeads(qkv.narrow(2, 0, d), heads);
            Variable vk = splitHeads(qkv.narrow(2, d, d), heads);
            Variable vv = splitHeads(qkv.narrow(2, 2 * d, d), heads);
            Variable sc = vq.matmul(vk.mT()).mul(scale);
            Variable vp = (mask == null ? sc : sc.maskedFill(mask, Double.NEGATIVE_INFINITY)).softmax(-1);
            Variable gh = splitHeads(g, heads);
            Variable dv = vp.mT().matmul(gh);
            Variable dp = gh.matmul(vv.mT());
            Variable ds = vp.mul(dp.sub(dp.mul(vp).sum(new int[]{-1}, true))).mul(scale);
            Variable dq = ds.matmul(vk), dk = ds.mT().matmul(vq);
            return new Variable[]{Variable.concat(2, mergeHeads(dq), mergeHeads(dk), mergeHeads(dv))};
        });
    }

    private static Tensor splitHeads(Tensor z, int heads) {
        int[] s = z.shape();
        return z.reshape(s[0], s[1], heads, s[2] / heads).permute(0, 2, 1, 3);
    }

    private static Tensor mergeHeads(Tensor z) {
        int[] s = z.shape();
        return z.permute(0, 2, 1, 3).reshape(s[0], s[2], s[1] * s[3]);
    }

    private static Variable splitHeads(Variable z, int heads) {
        int[] s = z.shape();
        return z.reshape(s[0], s[1], heads, s[2] / heads).permute(0, 2, 1, 3);
    }

    private static Variable mergeHeads(Variable z) {
        int[] s = z.shape();
        return z.permute(0, 2, 1, 3).reshape(s[0], s[2], s[1] * s[3]);
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
