package kfac4j.kfac;

import kfac4j.tensor.Linalg;
import kfac4j.tensor.Tensor;

/**
 * The Kronecker-factored eigenbasis (KFE) of a layer: {@code A = Q_A diag(λ_A) Q_Aᵀ}, {@code G = Q_G diag(λ_G) Q_Gᵀ}.
 * The columns of {@code Q_G ⊗ Q_A} are eigenvectors of {@code G ⊗ A}; a matrix {@code V} of the shape of
 * {@code [W b]} has coordinates {@code Q_Gᵀ V Q_A} in this basis. K-FAC's eigenvalue for coordinate (i, j) is
 * {@code λ_G,i λ_A,j}; EKFAC replaces it with a fitted one (George et al., 2018).
 */
public record KroneckerEigenbasis(Tensor qA, Tensor valuesA, Tensor qG, Tensor valuesG) {

    /** Eigendecomposes both factors; eigenvalues below 0 (rounding noise: the factors are Gram matrices) become 0. */
    public static KroneckerEigenbasis of(Tensor a, Tensor g) {
        Linalg.Eigh ea = Linalg.eigh(a), eg = Linalg.eigh(g);
        return new KroneckerEigenbasis(ea.vectors(), ea.values().maximum(0), eg.vectors(), eg.values().maximum(0));
    }

    public int outputDim() {
        return qG.size(0);
    }

    public int inputDim() {
        return qA.size(0);
    }

    /** Coordinates of {@code V} in the eigenbasis: {@code Q_Gᵀ V Q_A}. */
    public Tensor rotate(Tensor v) {
        return qG.mT().matmul(v).matmul(qA);
    }

    /** Back from eigenbasis coordinates: {@code Q_G Ṽ Q_Aᵀ}. */
    public Tensor unrotate(Tensor coordinates) {
        return qG.matmul(coordinates).matmul(qA.mT());
    }

    /** K-FAC's eigenvalues in this basis, {@code λ_G λ_Aᵀ}, shape (D_out, D_in'). */
    public Tensor kroneckerEigenvalues() {
        return valuesG.unsqueeze(1).mul(valuesA.unsqueeze(0));
    }

    /** The operator with these eigenvalues (shape (D_out, D_in')) in this basis, plus damping, inverted. */
    DampedInverse inverse(Tensor eigenvalues, double damping) {
        Tensor denominators = eigenvalues.add(damping);
        int rows = outputDim(), cols = inputDim();
        return v -> {
            KroneckerFactors.requireBlockShape("inverse", v, rows, cols);
            return unrotate(rotate(v).div(denominators));
        };
    }

    /** {@code Σ_{i,j} log(s_ij + λ)} for eigenvalues {@code s} in this basis. */
    double logdet(Tensor eigenvalues, double damping) {
        double sum = 0;
        for (double s : eigenvalues.toDoubleArray()) sum += Math.log(s + damping);
        return sum;
    }

    /** {@code (Q_G ⊗ Q_A) diag(vec s) (Q_G ⊗ Q_A)ᵀ} as a dense matrix. */
    Tensor dense(Tensor eigenvalues) {
        Tensor q = Linalg.kron(qG, qA);
        return q.mul(eigenvalues.reshape(1, -1)).matmul(q.mT());
    }
}
