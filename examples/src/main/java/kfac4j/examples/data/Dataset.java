package kfac4j.examples.data;

/**
 * A finite, indexable collection of examples that can assemble any subset of them into one mini-batch. A
 * {@link DataLoader} decides which indices go together; the dataset only knows how to stack them.
 *
 * @param <B> the batch type ({@link Batch} for tensors, {@link GraphMiniBatch} for ragged graph batches)
 */
public interface Dataset<B> {
    /** The number of examples. */
    int size();

    /** The examples at {@code indices}, in that order, as one batch. */
    B batch(int[] indices);
}
