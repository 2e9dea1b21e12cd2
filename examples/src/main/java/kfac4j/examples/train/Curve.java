package kfac4j.examples.train;

import java.util.List;

/**
 * A training run's validation curve.
 *
 * @param points   one point per evaluation, in step order; the first is the untrained model at step 0
 * @param diverged whether the run stopped because the training loss became NaN or infinite
 */
public record Curve(List<Point> points, boolean diverged) {
    /** The names of {@link Point#row()}'s values, as columns of a metrics file. */
    public static final List<String> COLUMNS = List.of("step", "seconds", "train_loss", "val_loss", "val_accuracy");

    /**
     * @param step               optimizer steps taken
     * @param seconds            training time so far (batches, forward, backward, update), evaluations excluded
     * @param trainLoss          the mean training loss over the steps since the previous point (NaN at step 0)
     * @param validationLoss     the validation loss
     * @param validationAccuracy the validation accuracy
     */
    public record Point(int step, double seconds, double trainLoss, double validationLoss, double validationAccuracy) {
        /** The values in the order of {@link #COLUMNS}. */
        public Object[] row() {
            return new Object[]{step, seconds, trainLoss, validationLoss, validationAccuracy};
        }
    }

    public Curve {
        points = List.copyOf(points);
    }

    public Point last() {
        return points.getLast();
    }
}
