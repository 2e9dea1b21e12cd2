package kfac4j.examples.data;

import java.util.Arrays;

import kfac4j.tensor.Tensor;

/**
 * A mini-batch of inputs and targets. {@code x} has shape (B, ...) (images (B, C, H, W), token ids (B, T)); {@code y}
 * holds integer-valued class ids, shape (B) for one label per example or (B, T) for one per token.
 */
public record Batch(Tensor x, Tensor y) {
    public Batch {
        if (x.rank() < 1 || y.rank() < 1 || x.size(0) != y.size(0)) {
            throw new IllegalArgumentException("Batch: inputs " + Arrays.toString(x.shape()) + " and targets "
                    + Arrays.toString(y.shape()) + " must share a leading batch axis");
        }
    }

    /** The number of examples. */
    public int size() {
        return x.size(0);
    }

    /** The targets as plain class ids, in row-major order. */
    public int[] labels() {
        double[] v = y.toDoubleArray();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (int) v[i];
        return out;
    }
}
