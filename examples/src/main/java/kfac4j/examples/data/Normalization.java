package kfac4j.examples.data;

import java.util.Arrays;

/**
 * Per-channel standardisation of inputs, x' = (x − mean_c) / std_c, with channel c the first axis of an input (the
 * colour plane of an image (C, H, W)). Fit it on the training set and apply the same statistics to validation data,
 * so both see one transformation.
 */
public record Normalization(double[] mean, double[] std) {
    public Normalization {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("Normalization: " + mean.length + " means but " + std.length + " standard deviations");
        }
        for (double s : std) if (!(s > 0)) throw new IllegalArgumentException("Normalization: standard deviations must be positive, got " + Arrays.toString(std));
        mean = mean.clone();
        std = std.clone();
    }

    /** The mean and (population) standard deviation of every channel over all examples and positions. */
    public static Normalization fit(TensorDataset data) {
        int[] shape = data.inputShape();
        if (shape.length == 0 || data.size() == 0) {
            throw new IllegalArgumentException("Normalization: needs examples with at least one input axis, got " + data);
        }
        int channels = shape[0], per = Arrays.stream(shape).reduce(1, (a, b) -> a * b) / channels;
        double[] sum = new double[channels], sumSq = new double[channels];
        for (int i = 0; i < data.size(); i++) {
            float[] x = data.input(i);
            for (int c = 0; c < channels; c++) {
                for (int k = c * per; k < (c + 1) * per; k++) {
                    sum[c] += x[k];
                    sumSq[c] += (double) x[k] * x[k];
                }
            }
        }
        double n = (double) data.size() * per;
        double[] mean = new double[channels], std = new double[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = sum[c] / n;
            // A constant channel keeps std 1 rather than dividing by zero.
            double var = Math.max(0, sumSq[c] / n - mean[c] * mean[c]);
            std[c] = var > 1e-12 ? Math.sqrt(var) : 1;
        }
        return new Normalization(mean, std);
    }

    /** A new dataset with every input standardised. */
    public TensorDataset apply(TensorDataset data) {
        int[] shape = data.inputShape();
        if (shape.length == 0 || shape[0] != mean.length) {
            throw new IllegalArgumentException("Normalization: fitted for " + mean.length + " channels, the inputs have shape "
                    + Arrays.toString(shape));
        }
        int per = Arrays.stream(shape).reduce(1, (a, b) -> a * b) / mean.length, length = per * mean.length;
        float[] x = new float[data.size() * length];
        int[] targets = new int[data.size() * Arrays.stream(data.targetShape()).reduce(1, (a, b) -> a * b)];
        int t = 0;
        for (int i = 0; i < data.size(); i++) {
            float[] in = data.input(i);
            for (int c = 0; c < mean.length; c++) {
                for (int k = c * per; k < (c + 1) * per; k++) x[i * length + k] = (float) ((in[k] - mean[c]) / std[c]);
            }
            for (int y : data.target(i)) targets[t++] = y;
        }
        return new TensorDataset(x, shape, targets, data.targetShape(), data.numClasses(), data.dtype());
    }
}
