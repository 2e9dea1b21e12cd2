package kfac4j.kfac;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import kfac4j.tensor.Linalg;
import kfac4j.tensor.Tensor;

/**
 * The K-FAC block of one weight-sharing layer: input factor {@code A} (D_in' × D_in', the homogeneous coordinate last
 * when the layer has a bias) and output factor {@code G} (D_out × D_out). The block is {@code G ⊗ A} in PyTorch's
 * row-major {@code vec([W b])} order (DESIGN.md §5.1): entry ((i, j), (k, l)) is {@code G[i,k]·A[j,l]}, so on a
 * matrix {@code V} of the shape of {@code [W b]} it acts as {@code G V A}.
 */
public record KroneckerFactors(Tensor a, Tensor g) implements LayerCurvature {

    public KroneckerFactors {
        requireSquare("A", a);
        requireSquare("G", g);
        if (a.dtype() != g.dtype()) {
            throw new IllegalArgumentException("KroneckerFactors: A is " + a.dtype() + " but G is " + g.dtype());
        }
    }

    private static void requireSquare(String name, Tensor t) {
        if (t.rank() != 2 || t.size(0) != t.size(1)) {
            throw new IllegalArgumentException("KroneckerFactors: " + name + " must be a square matrix, got shape "
                    + Arrays.toString(t.shape()));
        }
    }

    @Override
    public int outputDim() {
        return g.size(0);
    }

    @Override
    public int inputDim() {
        return a.size(0);
    }

    @Override
    public Tensor dense() {
        return Linalg.kron(g, a);
    }

    /** {@code (G ⊗ A) vec(V) = vec(G V Aᵀ) = vec(G V A)} for row-major vec and symmetric A. */
    @Override
    public Tensor matvec(Tensor v) {
        requireBlockShape("matvec", v, outputDim(), inputDim());
        return g.matmul(v).matmul(a);
    }

    @Override
    public DampedInverse inverse(double damping, DampingMode mode) {
        requireDamping(damping);
        return switch (mode) {
            case EXACT -> {
                KroneckerEigenbasis basis = eigenbasis();
                yield basis.inverse(basis.kroneckerEigenvalues(), damping);
            }
            case FACTORED -> factoredInverse(damping);
        };
    }

    /**
     * {@code log det(G ⊗ A + λI) = Σ_{i,j} log(λ_G,i λ_A,j + λ)} (exact), or
     * {@code log det(G_π ⊗ A_π) = dim A · log det G_π + dim G · log det A_π} (factored).
     */
    @Override
    public double logdet(double damping, DampingMode mode) {
        requireDamping(damping);
        return switch (mode) {
            case EXACT -> {
                KroneckerEigenbasis basis = eigenbasis();
                yield basis.logdet(basis.kroneckerEigenvalues(), damping);
            }
            case FACTORED -> {
                double[] shifts = piShifts(damping);
                DampedCholesky ca = DampedCholesky.factor("A", a, shifts[0]);
                DampedCholesky cg = DampedCholesky.factor("G", g, shifts[1]);
                yield outputDim() * ca.logdet() + inputDim() * cg.logdet();
            }
        };
    }

    @Override
    public boolean isFinite() {
        return allFinite(a) && allFinite(g);
    }

    /** The eigendecompositions of both factors (negative rounding noise in the eigenvalues clamped to 0). */
    public KroneckerEigenbasis eigenbasis() {
        return KroneckerEigenbasis.of(a, g);
    }

    /**
     * The π of factored damping, {@code √((tr A / dim A) / (tr G / dim G))}: it splits √λ between the factors in
     * proportion to their average eigenvalues. 1 when either trace is zero or not finite (nothing to balance).
     */
    public double pi() {
        double ta = Linalg.trace(a) / inputDim(), tg = Linalg.trace(g) / outputDim();
        double pi = Math.sqrt(ta / tg);
        return ta > 0 && tg > 0 && Double.isFinite(pi) && pi > 0 ? pi : 1.0;
    }

    /** The shifts added to A and to G under factored damping: {@code π√λ} and {@code √λ/π}. */
    private double[] piShifts(double damping) {
        double pi = pi(), root = Math.sqrt(damping);
        return new double[]{pi * root, root / pi};
    }

    private DampedInverse factoredInverse(double damping) {
        double[] shifts = piShifts(damping);
        DampedCholesky ca = DampedCholesky.factor("A", a, shifts[0]);
        DampedCholesky cg = DampedCholesky.factor("G", g, shifts[1]);
        Tensor aInv = ca.inverse(), gInv = cg.inverse();
        List<String> notes = new ArrayList<>();
        if (ca.note() != null) notes.add(ca.note());
        if (cg.note() != null) notes.add(cg.note());
        int rows = outputDim(), cols = inputDim();
        List<String> frozen = List.copyOf(notes);
        return new DampedInverse() {
            @Override
            public Tensor apply(Tensor v) {
                requireBlockShape("inverse", v, rows, cols);
                return gInv.matmul(v).matmul(aInv);
            }

            @Override
            public List<String> notes() {
                return frozen;
            }
        };
    }

    /** {@code decay · this + (1 − decay) · latest}: the exponential moving average of both factors. */
    public KroneckerFactors movingAverage(KroneckerFactors latest, double decay) {
        return movingAverageInPlace(new KroneckerFactors(latest.a.copy(), latest.g.copy()), decay);
    }

    /** As {@link #movingAverage}, written over {@code latest}'s tensors, which the caller owns and gives up. */
    KroneckerFactors movingAverageInPlace(KroneckerFactors latest, double decay) {
        if (latest.inputDim() != inputDim() || latest.outputDim() != outputDim()) {
            throw new IllegalArgumentException("KroneckerFactors.movingAverage: factors of shapes A " + inputDim()
                    + "², G " + outputDim() + "² and A " + latest.inputDim() + "², G " + latest.outputDim() + "²");
        }
        return new KroneckerFactors(latest.a.mulInPlace(1 - decay).addScaledInPlace(decay, a),
                latest.g.mulInPlace(1 - decay).addScaledInPlace(decay, g));
    }

    /**
     * Whether no entry is NaN or infinite, by one summation: a NaN or infinity anywhere makes the sum non-finite.
     * (A sum can also overflow from finite entries near the dtype's maximum; such a matrix is no use either.)
     */
    static boolean allFinite(Tensor t) {
        return Double.isFinite(t.sum().item());
    }

    static void requireDamping(double damping) {
        if (!(damping >= 0) || Double.isInfinite(damping)) {
            throw new IllegalArgumentException("damping must be a finite number ≥ 0, got " + damping);
        }
    }

    static void requireBlockShape(String op, Tensor v, int rows, int cols) {
        if (v.rank() != 2 || v.size(0) != rows || v.size(1) != cols) {
            throw new IllegalArgumentException(op + ": expected a matrix of shape [" + rows + ", " + cols
                    + "] (the layer's [W b]), got " + Arrays.toString(v.shape()));
        }
    }
}
