package kfac4j.kfac;

import java.util.Arrays;

import kfac4j.tensor.Tensor;

/**
 * EKFAC (George et al., 2018): K-FAC's eigenbasis {@code Q_G ⊗ Q_A} with the eigenvalues refitted to the data,
 * {@code s_ij = ρ Σ_{u,c} ((Q_Gᵀ g_{u,c})_i (Q_Aᵀ a_u)_j)²} over the units u of the layer's flavour (rows for
 * expand, examples with reduced vectors for reduce; see {@link EigenvalueCorrection}) and backward passes c. The
 * refitted diagonal is the best one in this basis for the flavour's curvature, so EKFAC is exact wherever K-FAC is,
 * and for one row and one loss term per example never farther from the GGN than K-FAC, whose eigenvalues
 * {@code λ_G,i λ_A,j} are just one diagonal.
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
