package kfac4j.kfac;

import java.util.List;

import kfac4j.nn.SharedRows;
import kfac4j.tensor.Tensor;

/**
 * The running sum behind EKFAC's eigenvalues for one layer in a fixed eigenbasis: {@code Σ w ((Q_Gᵀ ∇_{n,c} Q_A)_ij)²}
 * over examples n and backward passes c, where {@code ∇_{n,c} = Σ_r g_{n,r,c} a_{n,r}ᵀ} is the per-example
 * gradient of {@code [W b]} (summed over all calls of the layer). Rows are rotated first
 * ({@code ã = a Q_A}, {@code g̃ = g Q_G}), so a per-example gradient in the basis is one small GEMM {@code g̃ᵀ ã};
 * without weight sharing it is an outer product and the whole sum collapses into one GEMM {@code (g̃²)ᵀ ã²}.
 * Examples are processed in chunks so that per-example gradients never take more than a few million entries.
 */
final class EigenvalueCorrection {
    private static final long CHUNK_ENTRIES = 1L << 22;

    private final KroneckerEigenbasis basis;
    private final boolean bias;
    private Tensor sum;

    EigenvalueCorrection(KroneckerEigenbasis basis, boolean bias) {
        this.basis = basis;
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
        int calls = grads.size(), n = grads.get(0).numExamples();
        Tensor[] a = new Tensor[calls], g = new Tensor[calls];
        int[][][] rowsOf = new int[calls][][];
        for (int k = 0; k < calls; k++) {
            SharedRows in = inputs.get(k), out = grads.get(k);
            if (in.numRows() != out.numRows() || in.numExamples() != out.numExamples()) {
                throw new IllegalStateException("EKFAC: a call's inputs have " + in.numRows() + " rows of "
                        + in.numExamples() + " examples but its output gradients " + out.numRows() + " rows of "
                        + out.numExamples());
            }
            a[k] = (bias ? LayerStatistics.homogeneous(in.rows()) : in.rows()).matmul(basis.qA());
            g[k] = out.rows().matmul(basis.qG());
            rowsOf[k] = LayerStatistics.regularRowsPerExample(out) > 0 ? null : rowsByExample(out);
        }
        Tensor term;
        if (calls == 1 && LayerStatistics.regularRowsPerExample(grads.get(0)) == 1) {
            // Σ_n (g̃_ni ã_nj)² = Σ_n g̃_ni² ã_nj².
            term = g[0].square().mT().matmul(a[0].square());
        } else {
            long perExample = (long) basis.outputDim() * basis.inputDim();
            int chunk = (int) Math.max(1, Math.min(n, CHUNK_ENTRIES / Math.max(1, perExample)));
            term = null;
            for (int start = 0; start < n; start += chunk) {
                int count = Math.min(chunk, n - start);
                Tensor perExampleGrads = null;
                for (int k = 0; k < calls; k++) {
                    perExampleGrads = LayerStatistics.accumulate(perExampleGrads,
                            perExampleGradients(a[k], g[k], grads.get(k), rowsOf[k], start, count));
                }
                term = LayerStatistics.accumulate(term, perExampleGrads.square().sum(0));
            }
        }
        sum = LayerStatistics.accumulate(sum, term.mul(weight));
    }

    /** The corrected eigenvalues, {@code scale · Σ}, shape (D_out, D_in'); zeros when no pass was added. */
    Tensor eigenvalues(double scale) {
        if (sum == null) return basis.kroneckerEigenvalues().zerosLike();
        return sum.mul(scale);
    }

    /** {@code g̃_nᵀ ã_n} for examples {@code start .. start+count}: shape (count, D_out, D_in'). */
    private Tensor perExampleGradients(Tensor a, Tensor g, SharedRows rows, int[][] rowsOf, int start, int count) {
        if (rowsOf == null) {
            int r = LayerStatistics.regularRowsPerExample(rows);
            Tensor gs = g.narrow(0, start * r, count * r).reshape(count, r, g.size(1));
            Tensor as = a.narrow(0, start * r, count * r).reshape(count, r, a.size(1));
            return gs.mT().matmul(as);
        }
        Tensor[] parts = new Tensor[count];
        for (int e = 0; e < count; e++) {
            int[] idx = rowsOf[start + e];
            parts[e] = idx.length == 0 ? Tensor.zeros(g.dtype(), g.size(1), a.size(1))
                    : g.indexSelect(0, idx).mT().matmul(a.indexSelect(0, idx));
        }
        return Tensor.stack(0, parts);
    }

    private static int[][] rowsByExample(SharedRows s) {
        int n = s.numExamples();
        int[] counts = new int[n];
        for (int e : s.exampleOfRow()) counts[e]++;
        int[][] out = new int[n][];
        for (int i = 0; i < n; i++) out[i] = new int[counts[i]];
        int[] fill = new int[n];
        int[] ids = s.exampleOfRow();
        for (int m = 0; m < ids.length; m++) out[ids[m]][fill[ids[m]]++] = m;
        return out;
    }
}
