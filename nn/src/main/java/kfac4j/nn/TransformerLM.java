package kfac4j.nn;

import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * A causal transformer language model, the {@code lm_step} workload of DESIGN.md §7 and the PyTorch reference's
 * {@code TinyLM}, with the same parameter names ({@code emb.weight, pos, blocks.0.qkv.weight, ..., ln.weight,
 * head.weight}): token embedding plus learned positions (starting at zero, as the reference), causal pre-LayerNorm
 * blocks, a final LayerNorm and a linear head giving next-token scores at every position — one loss term per token,
 * K-FAC-expand's setting.
 */
public final class TransformerLM extends Module {
    private final int maxLength, d;
    private final Embedding emb;
    private final Parameter pos;
    private final Sequential blocks;
    private final LayerNorm ln;
    private final Linear head;

    public TransformerLM(int vocab, int d, int heads, int hidden, int layers, int maxLength, DType dtype, Rng rng) {
        this.maxLength = maxLength;
        this.d = d;
        emb = registerModule("emb", new Embedding(vocab, d, dtype, rng));
        pos = registerParameter("pos", new Parameter(Tensor.zeros(dtype, maxLength, d)));
        TransformerBlock[] bs = new TransformerBlock[layers];
        for (int i = 0; i < layers; i++) bs[i] = new TransformerBlock(d, heads, hidden, true, dtype, rng);
        blocks = registerModule("blocks", new Sequential(bs));
        ln = registerModule("ln", new LayerNorm(d, dtype));
        head = registerModule("head", new Linear(d, vocab, true, dtype, rng));
    }

    /** Token ids (N, T), T ≤ maxLength, as a constant variable of integer values, to scores (N, T, vocab). */
    @Override
    public Variable forward(Variable tokens) {
        int[] s = tokens.shape();
        if (s.length != 2 || s[1] > maxLength) throw shapeError("(N, T ≤ " + maxLength + ")", s);
        Variable p = s[1] == maxLength ? pos.variable() : pos.variable().narrow(0, 0, s[1]);
        Variable x = emb.call(tokens).add(p);
        return head.call(ln.call(blocks.call(x)));
    }

    public int width() {
        return d;
    }
}
