package kfac4j.tensor;

/**
 * The heap array behind a tensor and all of its views, with a version counter that every in-place write bumps, so
 * that autograd can detect a saved tensor mutated after it was saved.
 *
 * <p>A large storage allocated while a {@link Recycler} is open on the thread belongs to that recycler, which counts
 * the references its owner reports and, when the count falls to zero, releases the storage: the array goes to the
 * {@link ArrayPool} for a later allocation of the same length, and every tensor still over this storage fails on use
 * with an error that says why instead of reading another tensor's values.
 */
final class Storage {
    private float[] f32;
    private double[] f64;
    private boolean released;
    private int version;
    /** The recycler that tracks this storage, or null; with the count of references its owner has reported. */
    Recycler owner;
    int references;

    Storage(float[] f32) {
        this.f32 = f32;
    }

    Storage(double[] f64) {
        this.f64 = f64;
    }

    /** A storage of n zeros. */
    static Storage allocate(DType dtype, int n) {
        Object reused = ArrayPool.SHARED.take(dtype, n);
        Storage s = wrap(dtype, n, reused);
        if (reused != null) s.fill(0);
        return s;
    }

    /**
     * A storage of n elements whose values are unspecified, for an operation that writes every element before any
     * is read: a large array comes from the pool when it holds one of this length. Under {@link ArrayPool#POISON}
     * (the tests) the elements are NaN, so an operation that leaves one unwritten shows in its results.
     */
    static Storage allocateForOverwrite(DType dtype, int n) {
        Storage s = wrap(dtype, n, ArrayPool.SHARED.take(dtype, n));
        if (ArrayPool.POISON) s.fill(Double.NaN);
        return s;
    }

    /** A storage over {@code reused}, or over a new array when it is null, adopted by the thread's recycler. */
    private static Storage wrap(DType dtype, int n, Object reused) {
        Storage s;
        if (dtype == DType.F32) s = new Storage(reused != null ? (float[]) reused : new float[n]);
        else s = new Storage(reused != null ? (double[]) reused : new double[n]);
        if (ArrayPool.SHARED.isPoolable(dtype, n)) Recycler.adopt(s);
        return s;
    }

    private void fill(double v) {
        if (f32 != null) java.util.Arrays.fill(f32, (float) v);
        else java.util.Arrays.fill(f64, v);
    }

    float[] f32() {
        if (released) throw released();
        return f32;
    }

    double[] f64() {
        if (released) throw released();
        return f64;
    }

    /** The array itself, {@code float[]} or {@code double[]}. */
    Object array() {
        if (released) throw released();
        return f32 != null ? f32 : f64;
    }

    int length() {
        if (released) throw released();
        return f32 != null ? f32.length : f64.length;
    }

    int version() {
        return version;
    }

    void bumpVersion() {
        version++;
    }

    boolean isReleased() {
        return released;
    }

    /** Hands the array to the pool; from here on every access through any view fails. */
    void release() {
        Object a = f32 != null ? f32 : f64;
        f32 = null;
        f64 = null;
        released = true;
        owner = null;
        ArrayPool.SHARED.give(a);
    }

    private static IllegalStateException released() {
        return new IllegalStateException("this tensor's memory was recycled: it is a gradient that a backward pass"
                + " had finished with and released for reuse. Keep a copy (Tensor.copy) of a gradient a backward"
                + " rule needs after it returns, or read gradients through hooks, Grad.grad or a leaf's grad");
    }
}
