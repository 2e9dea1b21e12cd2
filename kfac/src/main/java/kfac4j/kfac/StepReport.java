package kfac4j.kfac;

/**
 * What one {@link KfacOptimizer#step} did.
 *
 * @param step         the index of the step (skipped steps do not advance it)
 * @param loss         the loss value handed in
 * @param skipped      true when the step left every weight and every statistic as it was
 * @param reason       why it was skipped (which layer or parameter had a NaN or infinity), else null
 * @param learningRate the learning rate used (after the schedule)
 * @param damping      the damping used (after Levenberg–Marquardt adaptation, if on)
 * @param klScale      the KL-clipping factor applied to the K-FAC update (1 when not clipped)
 * @param statistics   whether the factors were updated from this batch
 * @param inverses     whether the inverses (eigendecompositions or Cholesky factors) were recomputed
 */
public record StepReport(long step, double loss, boolean skipped, String reason, double learningRate, double damping,
                         double klScale, boolean statistics, boolean inverses) {
}
