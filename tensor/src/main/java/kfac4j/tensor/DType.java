package kfac4j.tensor;

/** Element type of a {@link Tensor}. */
public enum DType {
    /** IEEE 754 binary32, stored in a {@code float[]}. */
    F32(4),
    /** IEEE 754 binary64, stored in a {@code double[]}. */
    F64(8);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The wider of two dtypes: the type of a binary operation's result. */
    public static DType promote(DType a, DType b) {
        return a == F64 || b == F64 ? F64 : F32;
    }
}
