package kfac4j.examples.tasks;

/**
 * The defaults a task trains with, chosen on its built-in data with seed 0. For {@code cnn} (the demo) by sweeps to
 * 80-90% validation accuracy: Adam over lr 1e-3, 2e-3, 3e-3, 5e-3, 7e-3, 1e-2, 2e-2; K-FAC over seven (lr, damping)
 * pairs with lr 0.03 to 0.3 and damping 1e-4 to 1e-2 (one pair for both flavours). For the other tasks by 300- or
 * 400-step runs of Adam at two rates and K-FAC at damping 1e-3 and 1e-2. SGD's rates are conventional values, not
 * tuned. K-FAC uses factored π-damping, momentum 0.9, the MC Fisher with one sample, statistics every step and
 * inverses every ten; parameters outside the Kronecker blocks (LayerNorm, embeddings) take Adam at
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
