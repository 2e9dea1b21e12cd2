package kfac4j.nn;

import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;

/**
 * A small ViT classifier: patch embedding, a CLS token or mean pooling, learned positions, pre-LayerNorm transformer
 * blocks (not causal), a final LayerNorm and a linear head. Children: {@code patch_embed}, {@code cls_token} (CLS
 * pooling only), {@code pos_embed}, {@code blocks}, {@code ln}, {@code head}. The shared axis is pooled before the loss,
 * so this is K-FAC-reduce's setting (DESIGN.md §5.2).
 */
public final class VisionTransformer extends Module {
    /** How the sequence becomes one vector per image. */
    public enum Pooling {
        /** The output at a learned token put in front of the patches. */
        CLS,
        /** The mean over the patch tokens. */
        MEAN
    }

    private final PatchEmbedding patchEmbed;
    private final ClassToken clsToken;
    private final PositionalEmbedding posEmbed;
    private final Sequential blocks;
    private final LayerNorm ln;
    private final Linear head;

    /**
     * @param imageSize  height and width of the (square) input images
     * @param patch      patch side; must divide imageSize
     */
    public VisionTransformer(int imageSize, int patch, int channels, int d, int depth, int heads, int hidden,
                             int classes, Pooling pooling, DType dtype, Rng rng) {
        if (imageSize % patch != 0) {
            throw new IllegalArgumentException("VisionTransformer: patch " + patch + " does not divide image size " + imageSize);
        }
        int tokens = (imageSize / patch) * (imageSize / patch) + (pooling == Pooling.CLS ? 1 : 0);
        patchEmbed = registerModule("patch_embed", new PatchEmbedding(channels, patch, d, dtype, rng));
        clsToken = pooling == Pooling.CLS ? registerModule("cls_token", new ClassToken(d, dtype, rng)) : null;
        posEmbed = registerModule("pos_embed", new PositionalEmbedding(tokens, d, dtype, rng));
        TransformerBlock[] bs = new TransformerBlock[depth];
        for (int i = 0; i < depth; i++) bs[i] = new TransformerBlock(d, heads, hidden, false, dtype, rng);
        blocks = registerModule("blocks", new Sequential(bs));
        ln = registerModule("ln", new LayerNorm(d, dtype));
        head = registerModule("head", new Linear(d, classes, true, dtype, rng));
    }

    /** Images (N, C, H, W) to class scores (N, classes). */
    @Override
    public Variable forward(Variable images) {
        Variable x = patchEmbed.call(images);
        if (clsToken != null) x = clsToken.call(x);
        x = ln.call(blocks.call(posEmbed.call(x)));
        Variable pooled = clsToken != null ? x.select(1, 0) : x.mean(1);
        return head.call(pooled);
    }
}
