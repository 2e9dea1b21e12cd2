package kfac4j.nn;

import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;

/**
 * A pre-LayerNorm transformer block over (N, T, D):
 * {@code x ← x + proj(attention(qkv(ln1(x))))}, then {@code x ← x + fc2(GELU(fc1(ln2(x))))}.
 * Parameter names follow the PyTorch reference model ({@code ln1, ln2, qkv, proj, fc1, fc2}), so
 * {@code blocks.0.qkv.weight} loads from a PyTorch state dict; qkv, proj, fc1 and fc2 are weight-sharing linear layers
 * over the tokens.
 */
public final class TransformerBlock extends Module {
    private final int d, heads;
    private final boolean causal;
    private final LayerNorm ln1, ln2;
    private final Linear qkv, proj, fc1, fc2;

    public TransformerBlock(int d, int heads, int hidden, boolean causal, Rng rng) {
        this(d, heads, hidden, causal, DType.F32, rng);
    }

    public TransformerBlock(int d, int heads, int hidden, boolean causal, DType dtype, Rng rng) {
        MultiHeadSelfAttention.checkHeads(d, heads);
        this.d = d;
        this.heads = heads;
        this.causal = causal;
        ln1 = registerModule("ln1", new LayerNorm(d, dtype));
        ln2 = registerModule("ln2", new LayerNorm(d, dtype));
        qkv = registerModule("qkv", new Linear(d, 3 * d, true, dtype, rng));
        proj = registerModule("proj", new Linear(d, d, true, dtype, rng));
        fc1 = registerModule("fc1", new Linear(d, hidden, true, dtype, rng));
        fc2 = registerModule("fc2", new Linear(hidden, d, true, dtype, rng));
    }

    @Override
    public Variable forward(Variable x) {
        int[] s = x.shape();
        if (s.length != 3 || s[2] != d) throw shapeError("(N, T, " + d + ")", s);
        x = x.add(proj.call(MultiHeadSelfAttention.attend(qkv.call(ln1.call(x)), heads, causal)));
        return x.add(fc2.call(fc1.call(ln2.call(x)).gelu()));
    }

    public Linear qkv() {
        return qkv;
    }

    public Linear proj() {
        return proj;
    }

    public Linear fc1() {
        return fc1;
    }

    public Linear fc2() {
        return fc2;
    }

    @Override
    public String toString() {
        return "TransformerBlock(d=" + d + ", heads=" + heads + (causal ? ", causal" : "") + ")";
    }
}
