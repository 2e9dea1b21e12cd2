package kfac4j.tensor;

/**
 * The heap array behind a tensor and all of its views, with a version counter that every in-place write bumps, so
 * that autograd can detect a saved tensor mutated after it was saved.
 */
final class Storage {
    final float[] f32;
    final double[] f64;
    private int version;

    Storage(float[] f32) {
        this.f32 = f32;
        this.f64 = null;
    }

    Storage(double[] f64) {
        this.f32 = null;
        this.f64 = f64;
    }

    static Storage allocate(DType dtype, int n) {
        return dtype == DType.F32 ? new Storage(new float[n]) : new Storage(new double[n]);
    }

    /** The array itself, {@code float[]} or {@code double[]}. */
    Object array() {
        return f32 != null ? f32 : f64;
    }

    int length() {
        return f32 != null ? f32.length : f64.length;
    }

    int version() {
        return version;
    }

    void bumpVersion() {
        version++;
    }
}
