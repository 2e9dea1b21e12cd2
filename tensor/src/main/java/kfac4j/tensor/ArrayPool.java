package kfac4j.tensor;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Large arrays released by a {@link Recycler}, kept for the next allocation of the same length and type. A fresh
 * Java array must be zeroed, and for the megabyte-sized activations and gradients of a training step that means
 * writing memory that is not in any cache: about a fifth of a small CNN's step (README, "Benchmarks against
 * PyTorch"). An array taken from here was in use a moment ago, and an operation that writes every element of its
 * output skips the zeroing altogether ({@link Storage#allocateForOverwrite}).
 *
 * <p>Only arrays of at least a minimum size are kept (small ones are cheap to allocate and zero in the thread's
 * allocation buffer), and at most a bound in bytes in all: past that, the arrays of the lengths least recently asked
 * for are dropped first, for the collector to reclaim. Thread-safe.
 */
final class ArrayPool {
    /**
     * Whether arrays handed out for overwriting are filled with NaN first ({@code -Dkfac4j.pool.poison=true}): the
     * tests run with it, so that an operation claiming to write all of its output but leaving an element unwritten
     * yields NaN in their results instead of a stale value.
     */
    static final boolean POISON = Boolean.getBoolean("kfac4j.pool.poison");

    /**
     * The pool every storage draws from: arrays of at least 256 KiB ({@code -Dkfac4j.pool.minBytes}), at most an
     * eighth of the heap and 1 GiB in all ({@code -Dkfac4j.pool.maxBytes}).
     */
    static final ArrayPool SHARED = new ArrayPool(Long.getLong("kfac4j.pool.minBytes", 256 << 10),
            Long.getLong("kfac4j.pool.maxBytes", Math.min(Runtime.getRuntime().maxMemory() / 8, 1L << 30)));

    private final long minBytes;
    private final long maxBytes;
    /** Free arrays by length and type (key: length·2 + 1 for double), least recently used length first. */
    private final LinkedHashMap<Long, ArrayDeque<Object>> free = new LinkedHashMap<>(16, 0.75f, true);
    private long held;

    ArrayPool(long minBytes, long maxBytes) {
        this.minBytes = minBytes;
        this.maxBytes = maxBytes;
    }

    boolean isPoolable(DType dtype, int n) {
        return (long) n * dtype.byteSize() >= minBytes;
    }

    /** A free array of exactly n elements of the given type, or null (at once, without locking, for a small one). */
    Object take(DType dtype, int n) {
        if (!isPoolable(dtype, n)) return null;
        synchronized (this) {
            ArrayDeque<Object> arrays = free.get(key(dtype, n));
            if (arrays == null || arrays.isEmpty()) return null;
            held -= (long) n * dtype.byteSize();
            return arrays.pop();
        }
    }

    /** Keeps a released array, first dropping arrays of the least recently used lengths if it would exceed its bound. */
    synchronized void give(Object array) {
        DType dtype = array instanceof float[] ? DType.F32 : DType.F64;
        int n = dtype == DType.F32 ? ((float[]) array).length : ((double[]) array).length;
        long bytes = (long) n * dtype.byteSize();
        if (bytes < minBytes || bytes > maxBytes) return;
        for (Iterator<Map.Entry<Long, ArrayDeque<Object>>> it = free.entrySet().iterator();
             held + bytes > maxBytes && it.hasNext(); ) {
            Map.Entry<Long, ArrayDeque<Object>> e = it.next();
            long each = bytesOf(e.getKey());
            while (held + bytes > maxBytes && !e.getValue().isEmpty()) {
                e.getValue().pollLast();
                held -= each;
            }
            if (e.getValue().isEmpty()) it.remove();
        }
        free.computeIfAbsent(key(dtype, n), k -> new ArrayDeque<>()).push(array);
        held += bytes;
    }

    /** Bytes held now. */
    synchronized long heldBytes() {
        return held;
    }

    private static long key(DType dtype, int n) {
        return 2L * n + (dtype == DType.F64 ? 1 : 0);
    }

    private static long bytesOf(long key) {
        return (key >>> 1) * ((key & 1) == 1 ? 8 : 4);
    }
}
