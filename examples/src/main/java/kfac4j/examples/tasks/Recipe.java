package kfac4j.examples.tasks;

/**
 * The defaults a task trains with, tuned once on its built-in data (each optimizer over a small learning-rate grid;
 * K-FAC also over the damping). K-FAC uses factored π-damping, momentum 0.9, the MC Fisher with one sample, statistics
 * every step and inverses every ten; parameters outside the Kronecker blocks (LayerNorm, embeddings) take Adam at
 * {@link #adamLearningRate()}.
 *
 * @param steps            training steps
 * @param batchSize        examples per batch
 * @param sgdLearningRate  SGD with momentum 0.9
 * @param adamLearningRate Adam
 * @param kfacLearningRate K-FAC, expand and reduce
 * @param damping          K-FAC's Tikhonov damping λ
 */
public record Recipe(int steps, int batchSize, double sgdLearningRate, double adamLearningRate, double kfacLearningRate,
                     double damping) {
    public Recipe {
        if (steps < 1 || batchSize < 1) {
            throw new IllegalArgumentException("Recipe: steps and batch size must be ≥ 1, got " + steps + " and " + batchSize);
        }
        if (!(sgdLearningRate > 0 && adamLearningRate > 0 && kfacLearningRate > 0 && damping > 0)) {
            throw new IllegalArgumentException("Recipe: learning rates and damping must be > 0");
        }
    }
}
