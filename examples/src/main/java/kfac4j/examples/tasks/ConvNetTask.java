package kfac4j.examples.tasks;

import java.io.IOException;

import kfac4j.kfac.Approximation;
import kfac4j.nn.Conv2d;
import kfac4j.nn.GlobalMeanPool;
import kfac4j.nn.Linear;
import kfac4j.nn.ReLU;
import kfac4j.nn.Sequential;
import kfac4j.tensor.Rng;

/**
 * {@code cnn}: image classification with a three-layer CNN ending in global mean pooling and a linear head — the
 * setting where KFC (K-FAC-expand: patches as rows, output positions as the shared axis; Grosse and Martens) and
 * K-FAC-reduce (positions averaged before the outer products; Eschenhagen et al., Sec. 3) can be compared on equal
 * terms. The pooling sums over positions before the loss, so reduce is the setting's exact flavour.
 */
public final class ConvNetTask extends BatchTask {
    static final Recipe RECIPE = new Recipe(1000, 128, 0.05, 7e-3, 0.1, 1e-2);

    private final String description;

    public ConvNetTask(TaskOptions options) throws IOException {
        this(options, options.tiny() ? ImageData.open(options, 1, 8, 48, 24) : ImageData.open(options, 1, 16, 10_000, 1_000));
    }

    private ConvNetTask(TaskOptions options, ImageData data) {
        super(network(data.channels(), options.tiny() ? 4 : 16, data.classes(), new Rng(options.seed())), data.train(),
                data.validation(), options.batchSize(RECIPE, data.train().size()), Integer.MAX_VALUE, options.seed());
        this.description = "CNN " + widths(options.tiny() ? 4 : 16) + " + global mean pool on " + data.description();
    }

    /**
     * conv(C→w, 3×3, pad 1), ReLU, conv(w→2w, 3×3, stride 2, pad 1), ReLU, conv(2w→2w, 3×3, stride 2, pad 1), ReLU,
     * global mean pool, linear(2w→classes): the {@code cnn_step} workload's architecture (DESIGN.md §7) at width w.
     */
    public static Sequential network(int channels, int width, int classes, Rng rng) {
        return new Sequential(
                new Conv2d(channels, width, 3, 1, 1, rng), new ReLU(),
                new Conv2d(width, 2 * width, 3, 2, 1, rng), new ReLU(),
                new Conv2d(2 * width, 2 * width, 3, 2, 1, rng), new ReLU(),
                new GlobalMeanPool(), new Linear(2 * width, classes, rng));
    }

    private static String widths(int w) {
        return "(" + w + ", " + 2 * w + ", " + 2 * w + " channels)";
    }

    @Override
    public String name() {
        return "cnn";
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
