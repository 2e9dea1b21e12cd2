package kfac4j.tensor;

/** A Cholesky factorisation met a non-positive pivot: the matrix is not (numerically) positive definite. */
public final class NotPositiveDefiniteException extends ArithmeticException {
    private final int pivot;
    private final double value;

    public NotPositiveDefiniteException(int pivot, double value, int n) {
        super("cholesky: matrix of size " + n + "×" + n + " is not positive definite: pivot " + pivot + " is " + value);
        this.pivot = pivot;
        this.value = value;
    }

    /** The index of the failing pivot. */
    public int pivot() {
        return pivot;
    }

    /** The value found there (≤ 0 or NaN). */
    public double value() {
        return value;
    }
}
