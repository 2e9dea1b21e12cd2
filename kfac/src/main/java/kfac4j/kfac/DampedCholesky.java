package kfac4j.kfac;

import kfac4j.tensor.DType;
import kfac4j.tensor.Linalg;
import kfac4j.tensor.NotPositiveDefiniteException;
import kfac4j.tensor.Tensor;

/**
 * The Cholesky factor of a damped Kronecker factor {@code S + shift·I}, which does not give up at the first
 * non-positive pivot: an F32 factor is retried in F64, then the shift is raised tenfold at a time (starting from a
 * small fraction of the mean eigenvalue). What was needed is written down in {@link #note()}, so the caller can say
 * so (DESIGN.md §5.4).
 */
final class DampedCholesky {
    private static final int MAX_RAISES = 12;

    private final Tensor lower;
    private final double shift;
    private final DType dtype;
    private final String note;

    private DampedCholesky(Tensor lower, double shift, DType dtype, String note) {
        this.lower = lower;
        this.shift = shift;
        this.dtype = dtype;
        this.note = note;
    }

    /** Factorises {@code s + shift·I}; {@code what} names the matrix in the note ("layer fc1, factor G"). */
    static DampedCholesky factor(String what, Tensor s, double shift) {
        if (!KroneckerFactors.allFinite(s)) {
            throw new ArithmeticException(what + ": cannot factorise a matrix with NaN or infinite entries");
        }
        NotPositiveDefiniteException failure;
        try {
            return new DampedCholesky(Linalg.cholesky(shifted(s, shift)), shift, s.dtype(), null);
        } catch (NotPositiveDefiniteException e) {
            failure = e;
        }
        String start = what + " (" + s.size(0) + "×" + s.size(0) + ", " + s.dtype() + "): Cholesky failed at pivot "
                + failure.pivot() + " (" + failure.value() + ") with damping " + shift;
        Tensor s64 = s.to(DType.F64);
        if (s.dtype() != DType.F64) {
            try {
                return new DampedCholesky(Linalg.cholesky(shifted(s64, shift)), shift, s.dtype(),
                        start + "; succeeded in F64");
            } catch (NotPositiveDefiniteException e) {
                failure = e;
            }
        }
        double scale = Math.abs(Linalg.trace(s64)) / s.size(0);
        double raised = Math.max(shift, 1e-12 * Math.max(scale, Double.MIN_NORMAL));
        for (int i = 0; i < MAX_RAISES; i++) {
            raised *= 10;
            try {
                return new DampedCholesky(Linalg.cholesky(shifted(s64, raised)), raised, s.dtype(),
                        start + "; succeeded in F64 with damping raised to " + raised);
            } catch (NotPositiveDefiniteException e) {
                failure = e;
            }
        }
        throw new ArithmeticException(start + "; still not positive definite in F64 with damping " + raised
                + " (pivot " + failure.pivot() + " is " + failure.value() + ")");
    }

    private static Tensor shifted(Tensor s, double shift) {
        return shift == 0 ? s : s.add(Tensor.eye(s.dtype(), s.size(0)).mul(shift));
    }

    /** The damping that was finally used (larger than asked when it had to be raised). */
    double shift() {
        return shift;
    }

    /** What went wrong and how it was repaired, or null. */
    String note() {
        return note;
    }

    /** {@code (S + shift·I)⁻¹}, in the dtype of S. */
    Tensor inverse() {
        return Linalg.choleskyInverse(lower).to(dtype);
    }

    /** {@code log det(S + shift·I) = 2 Σ log L_ii}. */
    double logdet() {
        int n = lower.size(0);
        double[] l = lower.toDoubleArray();
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.log(l[i * n + i]);
        return 2 * sum;
    }
}
