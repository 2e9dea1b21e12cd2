package kfac4j.examples.data;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

import kfac4j.tensor.Rng;

/**
 * Mini-batches of a {@link Dataset}: in order, or in a fresh seeded random order every epoch; the last, smaller batch
 * of an epoch is kept or dropped. Epoch e's batches depend only on (seed, e), so a run repeats exactly.
 *
 * <p>Two ways to consume it: {@link #epoch(int)} for one pass, or {@link #next()} for an endless stream (epoch 0,
 * then epoch 1, ...) as a training loop counted in steps wants.
 */
public final class DataLoader<B> {
    private final Dataset<B> data;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean dropLast;
    private final long seed;
    private int streamEpoch;
    private int streamBatch;
    private int[] streamOrder;

    public DataLoader(Dataset<B> data, int batchSize, boolean shuffle, boolean dropLast, long seed) {
        if (batchSize < 1) throw new IllegalArgumentException("DataLoader: batch size must be ≥ 1, got " + batchSize);
        if (dropLast && data.size() < batchSize) {
            throw new IllegalArgumentException("DataLoader: " + data.size() + " examples make no full batch of " + batchSize
                    + " (drop-last is on)");
        }
        if (data.size() == 0) throw new IllegalArgumentException("DataLoader: the dataset is empty");
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.seed = seed;
    }

    /** Shuffled batches with the last partial one dropped: the usual training loader. */
    public static <B> DataLoader<B> training(Dataset<B> data, int batchSize, long seed) {
        return new DataLoader<>(data, Math.min(batchSize, data.size()), true, true, seed);
    }

    /** In-order batches, the last one possibly smaller: the usual evaluation loader. */
    public static <B> DataLoader<B> sequential(Dataset<B> data, int batchSize) {
        return new DataLoader<>(data, batchSize, false, false, 0);
    }

    public int batchSize() {
        return batchSize;
    }

    public Dataset<B> dataset() {
        return data;
    }

    public int batchesPerEpoch() {
        int n = data.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** The order in which epoch {@code e} visits the examples. */
    public int[] order(int e) {
        if (e < 0) throw new IllegalArgumentException("DataLoader: epoch must be ≥ 0, got " + e);
        int n = data.size();
        if (shuffle) return new Rng(seed + 0x9E3779B97F4A7C15L * (e + 1L)).permutation(n);
        int[] o = new int[n];
        for (int i = 0; i < n; i++) o[i] = i;
        return o;
    }

    /** Epoch {@code e}'s batches, assembled lazily as they are iterated. */
    public Iterable<B> epoch(int e) {
        int[] order = order(e);
        int count = batchesPerEpoch();
        return () -> new Iterator<>() {
            int b;

            @Override
            public boolean hasNext() {
                return b < count;
            }

            @Override
            public B next() {
                if (b >= count) throw new NoSuchElementException("DataLoader: epoch " + e + " has only " + count + " batches");
                return batchAt(order, b++);
            }
        };
    }

    /** The next batch of the endless stream; it moves on to the next epoch's order after the last batch of one. */
    public B next() {
        if (streamOrder == null || streamBatch == batchesPerEpoch()) {
            if (streamOrder != null) streamEpoch++;
            streamOrder = order(streamEpoch);
            streamBatch = 0;
        }
        return batchAt(streamOrder, streamBatch++);
    }

    /** The epoch that the stream's most recent batch came from. */
    public int streamEpoch() {
        return streamEpoch;
    }

    private B batchAt(int[] order, int b) {
        int from = b * batchSize;
        int to = Math.min(from + batchSize, order.length);
        return data.batch(Arrays.copyOfRange(order, from, to));
    }
}
