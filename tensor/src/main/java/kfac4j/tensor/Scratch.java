package kfac4j.tensor;

import java.util.Arrays;

/**
 * Work arrays that a thread keeps from one call of an operation to the next: the patch buffers of a convolution,
 * which each block of images fills and reads again and again. A fresh array must be zeroed and starts out of every
 * cache; the thread's own array from the last call is still in its L2. Measured on one core for the forward of a
 * 32 → 64-channel stride-2 convolution on a batch of 64 (32×32 images), fresh buffers for each block of two images
 * cost 1.1 ms more per call than for each block of eight, about 45 µs a block for 0.35 MB. Kept buffers took the
 * forward of that layer from 7.2 to 6.9–7.0 ms on one core and its input gradient from 8.1–8.5 to 7.6–8.0 ms (blocks
 * of eight images), and they make finer blocks, which even out two threads, cost nothing.
 *
 * <p>Not the {@link ArrayPool}: that one is shared by all threads, hands out exact lengths only, keeps arrays of 256 KiB
 * and more (a patch buffer of the workloads is 0.2–0.3 MB, a padded image less), and an array from it may last have
 * been written by another core.
 *
 * <p>{@link #take} hands out the thread's array for a slot if it is long enough (else a new one) with stale contents,
 * which callers overwrite before reading; {@link #give} hands it back. A slot is emptied while its array is out, so a
 * nested use gets an array of its own. Arrays above {@link #KEEP_MAX_BYTES} are not kept. Under
 * {@code -Dkfac4j.pool.poison=true} (the tests) the array comes filled with NaN, so that a read of a value nobody
 * wrote shows in the results.
 */
final class Scratch {
    private Scratch() {
    }

    /** What an array is for: each use holds its own, so that two held at once never share storage. */
    enum Slot {
        /** The image with its zero border made real (cleared by {@link #takeZeroed}). */
        PADDED,
        /** Patches: shifted planes, patch rows or columns. */
        PATCHES
    }

    /** The largest array a thread keeps, in bytes: two slots of two types stay within 64 MiB a thread. */
    static final long KEEP_MAX_BYTES = 16L << 20;

    private static final ThreadLocal<Object[]> KEPT = ThreadLocal.withInitial(() -> new Object[2 * Slot.values().length]);

    /** An array of at least n elements of the given type, its contents stale (or NaN under poison). */
    static Object take(Slot slot, DType dtype, int n) {
        Object[] kept = KEPT.get();
        int at = index(slot, dtype);
        Object a = kept[at];
        if (a != null && length(a) >= n) {
            kept[at] = null;
            if (ArrayPool.POISON) fill(a, n, Double.NaN);
            return a;
        }
        a = Rows.array(dtype, n);
        if (ArrayPool.POISON) fill(a, n, Double.NaN);
        return a;
    }

    /** As {@link #take}, with its first n elements set to zero. */
    static Object takeZeroed(Slot slot, DType dtype, int n) {
        Object a = take(slot, dtype, n);
        fill(a, n, 0);
        return a;
    }

    /** Gives an array from {@link #take} back to the thread's slot (replacing a shorter one). */
    static void give(Slot slot, Object a) {
        if (a == null) return;
        DType dtype = a instanceof float[] ? DType.F32 : DType.F64;
        if ((long) length(a) * dtype.byteSize() > KEEP_MAX_BYTES) return;
        Object[] kept = KEPT.get();
        int at = index(slot, dtype);
        if (kept[at] == null || length(kept[at]) <= length(a)) kept[at] = a;
    }

    private static int index(Slot slot, DType dtype) {
        return 2 * slot.ordinal() + (dtype == DType.F64 ? 1 : 0);
    }

    private static int length(Object a) {
        return a instanceof float[] f ? f.length : ((double[]) a).length;
    }

    private static void fill(Object a, int n, double v) {
        if (a instanceof float[] f) Arrays.fill(f, 0, n, (float) v);
        else Arrays.fill((double[]) a, 0, n, v);
    }
}
