package kfac4j.examples.data;

import java.util.Arrays;

import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

/**
 * Examples held in memory: every example is an input of a fixed shape (an image (C, H, W), a feature vector (F)) and
 * a target of a fixed shape of class ids (() for one label, (T) for one per token). Batches come out as
 * {@link Batch}es of the chosen dtype.
 *
 * <p>The arrays passed in are owned by the dataset from then on (not copied: image sets are large); subsets share
 * nothing with their parent.
 */
public final class TensorDataset implements Dataset<Batch> {
    private final float[] inputs;
    private final int[] inputShape;
    private final int[] targets;
    private final int[] targetShape;
    private final int numClasses;
    private final DType dtype;
    private final int size;
    private final int inputLength;
    private final int targetLength;

    /**
     * @param inputs      all inputs, example-major: example i occupies {@code [i·∏inputShape, (i+1)·∏inputShape)}
     * @param inputShape  the shape of one input
     * @param targets     all class ids, example-major, each in [0, numClasses)
     * @param targetShape the shape of one example's targets ({@code new int[0]} for a single label)
     * @param numClasses  the number of classes (vocabulary size for token targets)
     * @param dtype       the dtype of the batches' tensors
     */
    public TensorDataset(float[] inputs, int[] inputShape, int[] targets, int[] targetShape, int numClasses, DType dtype) {
        this.inputShape = inputShape.clone();
        this.targetShape = targetShape.clone();
        this.inputLength = volume("input", this.inputShape);
        this.targetLength = volume("target", this.targetShape);
        if (numClasses < 1) throw new IllegalArgumentException("TensorDataset: numClasses must be ≥ 1, got " + numClasses);
        if (targetLength == 0) throw new IllegalArgumentException("TensorDataset: the target shape must not be empty-sized");
        if (targets.length % targetLength != 0) {
            throw new IllegalArgumentException("TensorDataset: " + targets.length + " targets do not divide into examples of "
                    + Arrays.toString(targetShape));
        }
        this.size = targets.length / targetLength;
        if (inputs.length != (long) size * inputLength) {
            throw new IllegalArgumentException("TensorDataset: " + size + " examples of input shape " + Arrays.toString(inputShape)
                    + " need " + (long) size * inputLength + " values, got " + inputs.length);
        }
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] < 0 || targets[i] >= numClasses) {
                throw new IllegalArgumentException("TensorDataset: target " + targets[i] + " of example " + i / targetLength
                        + " is outside [0, " + numClasses + ")");
            }
        }
        this.inputs = inputs;
        this.targets = targets;
        this.numClasses = numClasses;
        this.dtype = dtype;
    }

    /** A classification set: one label per example, F32 batches. */
    public static TensorDataset classification(float[] inputs, int[] inputShape, int[] labels, int numClasses) {
        return new TensorDataset(inputs, inputShape, labels, new int[0], numClasses, DType.F32);
    }

    private static int volume(String what, int[] shape) {
        long v = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("TensorDataset: negative size in " + what + " shape " + Arrays.toString(shape));
            v *= d;
        }
        if (v > Integer.MAX_VALUE) throw new IllegalArgumentException("TensorDataset: " + what + " shape " + Arrays.toString(shape) + " is too large");
        return (int) v;
    }

    @Override
    public int size() {
        return size;
    }

    public int[] inputShape() {
        return inputShape.clone();
    }

    public int[] targetShape() {
        return targetShape.clone();
    }

    public int numClasses() {
        return numClasses;
    }

    public DType dtype() {
        return dtype;
    }

    /** The same examples, batched in another dtype (shares the arrays). */
    public TensorDataset withDType(DType other) {
        return other == dtype ? this : new TensorDataset(inputs, inputShape, targets, targetShape, numClasses, other);
    }

    /** A copy of example i's input, flat in row-major order. */
    public float[] input(int i) {
        checkIndex(i);
        return Arrays.copyOfRange(inputs, i * inputLength, (i + 1) * inputLength);
    }

    /** A copy of example i's targets, flat (one value for a single label). */
    public int[] target(int i) {
        checkIndex(i);
        return Arrays.copyOfRange(targets, i * targetLength, (i + 1) * targetLength);
    }

    /** How many targets fall in each class. */
    public int[] classCounts() {
        int[] counts = new int[numClasses];
        for (int t : targets) counts[t]++;
        return counts;
    }

    @Override
    public Batch batch(int[] indices) {
        float[] x = new float[indices.length * inputLength];
        double[] y = new double[indices.length * targetLength];
        for (int b = 0; b < indices.length; b++) {
            int i = indices[b];
            checkIndex(i);
            System.arraycopy(inputs, i * inputLength, x, b * inputLength, inputLength);
            for (int k = 0; k < targetLength; k++) y[b * targetLength + k] = targets[i * targetLength + k];
        }
        Tensor xt = Tensor.fromArray(x, prepend(indices.length, inputShape));
        Tensor yt = Tensor.fromArray(y, prepend(indices.length, targetShape));
        return new Batch(dtype == DType.F32 ? xt : xt.to(dtype), yt.to(dtype));
    }

    /** Every example, in order, as one batch. */
    public Batch all() {
        int[] idx = new int[size];
        for (int i = 0; i < size; i++) idx[i] = i;
        return batch(idx);
    }

    /** A new dataset of the examples at {@code indices}, in that order. */
    public TensorDataset subset(int[] indices) {
        float[] x = new float[indices.length * inputLength];
        int[] y = new int[indices.length * targetLength];
        for (int b = 0; b < indices.length; b++) {
            int i = indices[b];
            checkIndex(i);
            System.arraycopy(inputs, i * inputLength, x, b * inputLength, inputLength);
            System.arraycopy(targets, i * targetLength, y, b * targetLength, targetLength);
        }
        return new TensorDataset(x, inputShape, y, targetShape, numClasses, dtype);
    }

    /** A seeded random split; see {@link Split#randomIndices}. */
    public Split<TensorDataset> split(double validationFraction, long seed) {
        Split<int[]> s = Split.randomIndices(size, validationFraction, seed);
        return new Split<>(subset(s.train()), subset(s.validation()));
    }

    /** The first {@code n} examples (all of them when there are fewer). */
    public TensorDataset head(int n) {
        if (n < 0) throw new IllegalArgumentException("TensorDataset.head: n must be ≥ 0, got " + n);
        if (n >= size) return this;
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        return subset(idx);
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("TensorDataset: example " + i + " outside [0, " + size + ")");
    }

    static int[] prepend(int first, int[] rest) {
        int[] s = new int[rest.length + 1];
        s[0] = first;
        System.arraycopy(rest, 0, s, 1, rest.length);
        return s;
    }

    @Override
    public String toString() {
        return "TensorDataset(" + size + " examples, input " + Arrays.toString(inputShape) + ", target "
                + Arrays.toString(targetShape) + ", " + numClasses + " classes, " + dtype + ")";
    }
}
