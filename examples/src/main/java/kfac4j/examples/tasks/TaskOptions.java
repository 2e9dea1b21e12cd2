package kfac4j.examples.tasks;

import java.nio.file.Path;

/**
 * How to build a task.
 *
 * @param seed      the seed of the synthetic data, the initial weights and the batch order
 * @param batchSize examples per training batch; 0 takes the task's {@link Recipe}
 * @param data      a data file or directory to train on instead of the built-in synthetic data, or null
 * @param scale     {@link Scale#LAPTOP} for real runs, {@link Scale#TINY} for tests
 */
public record TaskOptions(long seed, int batchSize, Path data, Scale scale) {
    /** Model and data sizes. */
    public enum Scale {
        /** Sizes that train in seconds to minutes on a laptop and show each method's behaviour. */
        LAPTOP,
        /** A few examples and a few units per layer: enough to run every code path in a test. */
        TINY
    }

    public TaskOptions {
        if (batchSize < 0) throw new IllegalArgumentException("TaskOptions: batch size must be ≥ 0 (0: the task's default), got " + batchSize);
    }

    /** The built-in data at laptop scale. */
    public static TaskOptions laptop(long seed) {
        return new TaskOptions(seed, 0, null, Scale.LAPTOP);
    }

    boolean tiny() {
        return scale == Scale.TINY;
    }

    /** The batch size to use: the one asked for, else the recipe's (at most {@code available}). */
    int batchSize(Recipe recipe, int available) {
        int b = batchSize > 0 ? batchSize : recipe.batchSize();
        return Math.max(1, Math.min(b, available));
    }
}
