package kfac4j.examples.data;

import java.util.Arrays;

import kfac4j.tensor.Rng;

/** A training part and a validation part of one dataset. */
public record Split<D>(D train, D validation) {
    /**
     * A seeded random partition of 0..n-1: {@code round(n · validationFraction)} indices go to validation, the rest to
     * training; each part is sorted so that it keeps the dataset's order.
     */
    public static Split<int[]> randomIndices(int n, double validationFraction, long seed) {
        if (n < 0) throw new IllegalArgumentException("split: the dataset size must be ≥ 0, got " + n);
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("split: the validation fraction must be in [0, 1), got " + validationFraction);
        }
        int validationCount = (int) Math.round(n * validationFraction);
        if (validationFraction > 0 && n >= 2) validationCount = Math.clamp(validationCount, 1, n - 1);
        int[] order = new Rng(seed).permutation(n);
        int[] validation = Arrays.copyOfRange(order, 0, validationCount);
        int[] train = Arrays.copyOfRange(order, validationCount, n);
        Arrays.sort(validation);
        Arrays.sort(train);
        return new Split<>(train, validation);
    }
}
