package kfac4j.tensor;

/**
 * Dense linear algebra on square matrices (2-D tensors), F32 and F64, written from scratch. All routines accept any
 * strided view and return fresh tensors of the input's dtype.
 */
public final class Linalg {
    private Linalg() {
    }

    /** Eigenvalues ascending, and the orthonormal eigenvectors as the columns of {@code vectors}: S = Q diag(λ) Qᵀ. */
    public record Eigh(Tensor values, Tensor vectors) {
    }

    /** Lower-triangular L with A = L Lᵀ; throws {@link NotPositiveDefiniteException} naming the failing pivot. */
    public static Tensor cholesky(Tensor a) { throw new UnsupportedOperationException("cholesky"); }

    /** Solves op(T) X = B for triangular T (lower or upper), op = identity or transpose; B may be a vector or matrix. */
    public static Tensor solveTriangular(Tensor t, Tensor b, boolean lower, boolean transpose) { throw new UnsupportedOperationException("solveTriangular"); }

    /** Solves A X = B (LU with partial pivoting). */
    public static Tensor solve(Tensor a, Tensor b) { throw new UnsupportedOperationException("solve"); }

    /** A⁻¹ for a square non-singular A. */
    public static Tensor inverse(Tensor a) { throw new UnsupportedOperationException("inverse"); }

    /** (L Lᵀ)⁻¹ from a Cholesky factor L: the inverse of a symmetric positive-definite matrix. */
    public static Tensor choleskyInverse(Tensor l) { throw new UnsupportedOperationException("choleskyInverse"); }

    /** Symmetric eigendecomposition (only the lower triangle of S is read). */
    public static Eigh eigh(Tensor s) { throw new UnsupportedOperationException("eigh"); }

    /** log |det A| (LU); throws for a singular matrix. */
    public static double logdet(Tensor a) { throw new UnsupportedOperationException("logdet"); }

    /** Σ A_ii. */
    public static double trace(Tensor a) { throw new UnsupportedOperationException("trace"); }

    /** The Kronecker product A ⊗ B. */
    public static Tensor kron(Tensor a, Tensor b) { throw new UnsupportedOperationException("kron"); }
}
