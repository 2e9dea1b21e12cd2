package kfac4j.examples.tasks;

import java.util.Arrays;

import kfac4j.tensor.Tensor;

/**
 * A task's validation result.
 *
 * @param loss     the mean cross-entropy per prediction (per example, token or node), in nats
 * @param accuracy the fraction of predictions whose highest score is the target class
 */
public record Evaluation(double loss, double accuracy) {
    /** How many rows of {@code scores} (..., C) have their largest entry at the class in {@code targets} (...). */
    static int correct(Tensor scores, Tensor targets) {
        int[] s = scores.shape(), t = targets.shape();
        if (s.length != t.length + 1 || !Arrays.equals(Arrays.copyOf(s, t.length), t)) {
            throw new IllegalArgumentException("Evaluation.correct: scores " + Arrays.toString(s) + " do not fit targets "
                    + Arrays.toString(t) + " (expected the targets' shape plus a class axis)");
        }
        double[] predicted = scores.argmax(s.length - 1, false).toDoubleArray();
        double[] target = targets.toDoubleArray();
        int hits = 0;
        for (int i = 0; i < target.length; i++) if (predicted[i] == target[i]) hits++;
        return hits;
    }
}
