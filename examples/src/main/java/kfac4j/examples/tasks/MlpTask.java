package kfac4j.examples.tasks;

import java.io.IOException;

import kfac4j.kfac.Approximation;
import kfac4j.nn.Flatten;
import kfac4j.nn.Linear;
import kfac4j.nn.ReLU;
import kfac4j.nn.Sequential;
import kfac4j.tensor.Rng;

/**
 * {@code mlp}: a ReLU MLP on flattened images (MNIST IDX files, or synthetic shapes of MNIST's 28×28 size) — the
 * classic K-FAC experiment (Martens and Grosse, 2015). No layer shares weights (R = 1), so expand and reduce
 * coincide; the task is the baseline against which the weight-sharing tasks are read.
 */
public final class MlpTask extends BatchTask {
    static final Recipe RECIPE = new Recipe(1000, 128, 0.05, 3e-3, 0.1, 1e-2);

    private final String description;

    public MlpTask(TaskOptions options) throws IOException {
        this(options, options.tiny() ? ImageData.open(options, 1, 8, 48, 24) : ImageData.open(options, 1, 28, 10_000, 1_000));
    }

    private MlpTask(TaskOptions options, ImageData data) {
        super(network(data.channels() * data.size() * data.size(), options.tiny() ? 8 : 256, data.classes(),
                        new Rng(options.seed())), data.train(), data.validation(), options.batchSize(RECIPE, data.train().size()),
                Integer.MAX_VALUE, options.seed());
        int h = options.tiny() ? 8 : 256;
        this.description = "MLP " + data.channels() * data.size() * data.size() + "-" + h + "-" + h / 2 + "-"
                + data.classes() + " (ReLU) on " + data.description();
    }

    /** Flatten, then inputs → h → h/2 → classes with ReLU between. */
    static Sequential network(int inputs, int hidden, int classes, Rng rng) {
        return new Sequential(new Flatten(), new Linear(inputs, hidden, rng), new ReLU(),
                new Linear(hidden, hidden / 2, rng), new ReLU(), new Linear(hidden / 2, classes, rng));
    }

    @Override
    public String name() {
        return "mlp";
    }

    @Override
    public String description() {
        return description;
    }

    /** Without weight sharing both flavours are the same; expand names the classic K-FAC. */
    @Override
    public Approximation setting() {
        return Approximation.EXPAND;
    }

    @Override
    public Recipe recipe() {
        return RECIPE;
    }
}
