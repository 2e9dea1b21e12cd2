package kfac4j.examples.train;

import java.util.ArrayList;
import java.util.List;

import kfac4j.autograd.Variable;
import kfac4j.examples.tasks.Evaluation;
import kfac4j.examples.tasks.Task;

/**
 * The training loop shared by {@code train} and {@code demo}: take a step on the task's next batch, evaluate on the
 * validation set every {@code evalEvery} steps, and stop after {@code steps}, at a target validation accuracy, or when
 * the loss stops being finite. Only the steps are timed; evaluations are not.
 */
public final class Training {
    /** Sees the run as it goes, for progress display and metrics files. */
    public interface Listener {
        /** After step {@code step} (counting from 1) of at most {@code total}, with that batch's loss. */
        default void onStep(int step, int total, double loss, Curve.Point lastEvaluation) {
        }

        /** After each evaluation, the untrained model's (step 0) included. */
        default void onEvaluation(Curve.Point point) {
        }
    }

    /**
     * @param steps          the most steps to take
     * @param evalEvery      steps between evaluations (the last step is always evaluated)
     * @param targetAccuracy stop at the first evaluation at or above it; NaN never stops early
     */
    public record Plan(int steps, int evalEvery, double targetAccuracy) {
        public Plan {
            if (steps < 1 || evalEvery < 1) {
                throw new IllegalArgumentException("Training.Plan: steps and evalEvery must be ≥ 1, got " + steps + " and " + evalEvery);
            }
        }
    }

    private Training() {
    }

    public static Curve run(Task task, OptimizerStep optimizer, Plan plan, Listener listener) {
        List<Curve.Point> points = new ArrayList<>();
        Evaluation e0 = task.evaluate();
        Curve.Point last = new Curve.Point(0, 0, Double.NaN, e0.loss(), e0.accuracy());
        points.add(last);
        if (listener != null) listener.onEvaluation(last);
        long trainingNanos = 0;
        double lossSum = 0;
        int lossCount = 0;
        for (int step = 1; step <= plan.steps(); step++) {
            long t0 = System.nanoTime();
            Variable loss = task.nextLoss();
            double value = loss.value().item();
            if (!Double.isFinite(value)) return new Curve(points, true);
            optimizer.step(loss);
            trainingNanos += System.nanoTime() - t0;
            lossSum += value;
            lossCount++;
            boolean evaluate = step % plan.evalEvery() == 0 || step == plan.steps();
            if (evaluate) {
                Evaluation e = task.evaluate();
                last = new Curve.Point(step, trainingNanos / 1e9, lossSum / lossCount, e.loss(), e.accuracy());
                points.add(last);
                if (listener != null) listener.onEvaluation(last);
                lossSum = 0;
                lossCount = 0;
            }
            if (listener != null) listener.onStep(step, plan.steps(), value, last);
            if (evaluate && !Double.isFinite(last.validationLoss())) return new Curve(points, true);
            if (evaluate && last.validationAccuracy() >= plan.targetAccuracy()) break;
        }
        return new Curve(points, false);
    }
}
