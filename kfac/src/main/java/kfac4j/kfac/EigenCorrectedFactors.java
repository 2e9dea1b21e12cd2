package kfac4j.kfac;

import java.util.Arrays;

import kfac4j.tensor.Tensor;

/**
 * EKFAC (George et al., 2018): K-FAC's eigenbasis {@code Q_G ⊗ Q_A} with the eigenvalues refitted to the data,
 * {@code s_ij = ρ Σ_{n,c} ((Q_Gᵀ ∇_{n,c} Q_A)_ij)²}, where {@code ∇_{n,c} = Σ_r g_{n,r,c} a_{n,r}ᵀ} is the
 * contribution of example n and backward pass c to the gradient of {@code [W b]}. Among all operators diagonal in
 * this basis it is the one closest to the curvature in Frobenius norm, so it is never farther than K-FAC, whose
 * eigenvalues {@code λ_G,i λ_A,j} are one such diagonal.
 */
public record EigenCorrectedFactors(KroneckerEigenbasis basis, Tensor eigenvalues) implements LayerCurvature {

    public EigenCorrectedFactors {
        if (eigenvalues.rank() != 2 || eigenvalues.size(0) != basis.outputDim() || eigenvalues.size(1) != basis.inputDim()) {
            throw new IllegalArgumentException("EigenCorrectedFactors: eigenvalues of shape "
                    + Arrays.toString(eigenvalues.shape()) + " for a basis of shape [" + basis.outputDim() + ", "
                    + basis.inputDim() + "]");
        }
    }

    @Override
    public int outputDim() {
        return basis.outputDim();
    }

    @Override
    public int inputDim() {
        return basis.inputDim();
    }

    @Override
    public Tensor dense() {
        return basis.dense(eigenvalues);
    }

    @Override
    public Tensor matvec(Tensor v) {
        KroneckerFactors.requireBlockShape("matvec", v, outputDim(), inputDim());
        return basis.unrotate(basis.rotate(v).mul(eigenvalues));
    }

    /** Only {@link DampingMode#EXACT}: the refitted eigenvalues do not factor, so there is no π to split λ with. */
    @Override
    public DampedInverse inverse(double damping, DampingMode mode) {
        KroneckerFactors.requireDamping(damping);
        requireExact(mode);
        return basis.inverse(eigenvalues, damping);
    }

    @Override
    public double logdet(double damping, DampingMode mode) {
        KroneckerFactors.requireDamping(damping);
        requireExact(mode);
        return basis.logdet(eigenvalues, damping);
    }

    @Override
    public boolean isFinite() {
        return KroneckerFactors.allFinite(eigenvalues) && KroneckerFactors.allFinite(basis.qA())
                && KroneckerFactors.allFinite(basis.qG());
    }

    private static void requireExact(DampingMode mode) {
        if (mode != DampingMode.EXACT) {
            throw new IllegalArgumentException("EKFAC has no factored damping (its eigenvalues are not a Kronecker"
                    + " product); use DampingMode.EXACT");
        }
    }
}
