package kfac4j.examples.tasks;

import java.io.IOException;

import kfac4j.kfac.Approximation;
import kfac4j.nn.VisionTransformer;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;

/**
 * {@code vit}: image classification with a small Vision Transformer that mean-pools its patch tokens before the head —
 * the paper's K-FAC-reduce setting (Eschenhagen et al., Sec. 3.2 and the ViT experiments of Sec. 4): every linear
 * layer is shared over the patch tokens and the shared axis is reduced before the loss.
 */
public final class VisionTransformerTask extends BatchTask {
    static final Recipe RECIPE = new Recipe(1000, 128, 0.05, 1e-3, 0.1, 1e-2);

    private final String description;

    public VisionTransformerTask(TaskOptions options) throws IOException {
        this(options, options.tiny() ? ImageData.open(options, 1, 8, 48, 24) : ImageData.open(options, 1, 16, 10_000, 1_000));
    }

    private VisionTransformerTask(TaskOptions options, ImageData data) {
        super(network(data, options.tiny(), new Rng(options.seed())), data.train(), data.validation(),
                options.batchSize(RECIPE, data.train().size()), Integer.MAX_VALUE, options.seed());
        int d = options.tiny() ? 8 : 64;
        this.description = "ViT (patch " + patch(data.size()) + ", width " + d + ", "
                + (options.tiny() ? "1 block" : "2 blocks") + ", mean pooling) on " + data.description();
    }

    private static VisionTransformer network(ImageData data, boolean tiny, Rng rng) {
        int d = tiny ? 8 : 64;
        return new VisionTransformer(data.size(), patch(data.size()), data.channels(), d, tiny ? 1 : 2, tiny ? 2 : 4,
                2 * d, data.classes(), VisionTransformer.Pooling.MEAN, DType.F32, rng);
    }

    /** Patches of 4 pixels where they fit (16, 28, 32), else 2; images smaller than 8 pixels are patched whole. */
    private static int patch(int size) {
        if (size % 4 == 0) return 4;
        if (size % 2 == 0) return 2;
        return 1;
    }

    @Override
    public String name() {
        return "vit";
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public Approximation setting() {
        return Approximation.REDUCE;
    }

    @Override
    public Recipe recipe() {
        return RECIPE;
    }
}
