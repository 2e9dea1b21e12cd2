package kfac4j.nn;

/**
 * A learning-rate schedule: the factor by which step {@code t} (0 for the first step) multiplies the optimizer's base
 * rate.
 */
@FunctionalInterface
public interface LrSchedule {
    double factor(long step);

    /** Always 1. */
    static LrSchedule constant() {
        return t -> 1;
    }

    /**
     * Cosine decay from 1 to {@code minFactor} over {@code totalSteps}, then flat:
     * {@code min + (1 − min)·(1 + cos(π·t/T))/2}.
     */
    static LrSchedule cosine(long totalSteps, double minFactor) {
        if (totalSteps < 1) throw new IllegalArgumentException("cosine schedule: totalSteps must be ≥ 1, got " + totalSteps);
        return t -> minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * Math.min(t, totalSteps) / totalSteps));
    }

    /**
     * A linear ramp {@code (t + 1)/W} over the first W steps, then {@code after} (started afresh at step W), so the
     * rate reaches its full value at step W − 1.
     */
    static LrSchedule linearWarmup(long warmupSteps, LrSchedule after) {
        if (warmupSteps < 0) throw new IllegalArgumentException("linear warm-up: steps must be ≥ 0, got " + warmupSteps);
        return t -> t < warmupSteps ? (t + 1) / (double) warmupSteps : after.factor(t - warmupSteps);
    }
}
