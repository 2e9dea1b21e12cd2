package kfac4j.kfac;

import java.util.List;

import kfac4j.nn.SharedRows;
import kfac4j.tensor.Tensor;

/**
 * The running sum behind EKFAC's eigenvalues for one layer in a fixed eigenbasis, under the same independence
 * assumption as the layer's K-FAC flavour (as curvlinops does):
 * <ul>
 * <li>expand: every row is a unit, {@code s_ij = Σ w Σ_{n,r} ((Q_Gᵀ g_{n,r})_i (Q_Aᵀ a_{n,r})_j)²};</li>
 * <li>reduce: every example is a unit, with the reduced vectors {@code ĝ_n = Σ_r g_{n,r}} and
 * {@code â_n = (1/R_n) Σ_r a_{n,r}}.</li>
 * </ul>
 * Each unit's gradient {@code g aᵀ} has coordinates {@code g̃ ãᵀ} in the basis ({@code g̃ = Q_Gᵀ g},
 * {@code ã = Q_Aᵀ a}), whose squares {@code g̃_i² ã_j²} sum over units in one GEMM, {@code (G̃²)ᵀ Ã²}. Where the
 * flavour is exact (its units' gradients are the GGN's rank-one terms), this is the diagonal of the GGN in the
 * eigenbasis, and EKFAC is exact too; with one row and one loss term per example it is the operator diagonal in
 * this basis closest to the GGN, never farther from it than K-FAC.
 */
final class EigenvalueCorrection {
    private final KroneckerEigenbasis basis;
    private final Approximation approximation;
    private final boolean bias;
    private Tensor sum;

    EigenvalueCorrection(KroneckerEigenbasis basis, Approximation approximation, boolean bias) {
        this.basis = basis;
        this.approximation = approximation;
        this.bias = bias;
    }

    KroneckerEigenbasis basis() {
        return basis;
    }

    /** One backward pass: the inputs and output gradients of the same calls, in the same order, weighted. */
    void add(List<SharedRows> inputs, List<SharedRows> grads, double weight) {
        if (inputs.size() != grads.size()) {
            throw new IllegalStateException("EKFAC: " + inputs.size() + " input calls for " + grads.size() + " gradient calls");
        }
        if (grads.isEmpty()) return;
        Tensor a, g;
        if (approximation == Approximation.EXPAND) {
            a = LayerStatistics.rows(inputs);
            g = LayerStatistics.rows(grads);
        } else {
            a = LayerStatistics.perExampleMean(inputs);
            g = null;
            for (SharedRows c : grads) g = LayerStatistics.accumulate(g, c.exampleSums());
        }
        if (a.size(0) != g.size(0)) {
            throw new IllegalStateException("EKFAC: " + a.size(0) + " input units for " + g.size(0) + " gradient units");
        }
        if (bias) a = LayerStatistics.homogeneous(a);
        Tensor ga = g.matmul(basis.qG()).square(), aa = a.matmul(basis.qA()).square();
        sum = LayerStatistics.accumulate(sum, ga.mT().matmul(aa).mul(weight));
    }

    /** The corrected eigenvalues, {@code scale · Σ}, shape (D_out, D_in'); zeros when no pass was added. */
    Tensor eigenvalues(double scale) {
        if (sum == null) return basis.kroneckerEigenvalues().zerosLike();
        return sum.mul(scale);
    }
}
