package kfac4j.kfac;

import java.util.List;

import kfac4j.nn.SharedRows;
import kfac4j.tensor.Tensor;

/**
 * The running sums behind one layer's Kronecker factors, in one {@link Approximation} (DESIGN.md §5.2):
 * <ul>
 * <li>expand: {@code Σ_{n,r} a aᵀ} over M rows and {@code Σ_c w_c Σ_{n,r} g gᵀ};</li>
 * <li>reduce: {@code Σ_n â âᵀ} over N examples, {@code â_n = (1/R_n) Σ_r a_{n,r}}, and
 * {@code Σ_c w_c Σ_n ĝ ĝᵀ}, {@code ĝ_{n,c} = Σ_r g_{n,r,c}}.</li>
 * </ul>
 * Inputs get a trailing homogeneous 1 when the layer has a bias (the factor of the joint {@code [W b]}); in reduce it
 * is appended after averaging, so it stays exactly 1. Every outer-product sum is one GEMM, {@code Xᵀ X}; reduce runs
 * it over N rows instead of M. The loss scale ρ is applied by the caller when the factors are read.
 *
 * <p>A layer called several times in one forward pass (tied weights) contributes the rows of all calls: expand
 * counts them all in M; reduce averages an example's rows over all calls, and sums its output gradients over all
 * calls of one backward pass before taking the outer product.
 */
final class LayerStatistics {
    private final Approximation approximation;
    private final boolean bias;
    private Tensor inputGram;
    private double inputCount;
    private Tensor outputGram;

    LayerStatistics(Approximation approximation, boolean bias) {
        this.approximation = approximation;
        this.bias = bias;
    }

    /** The inputs of one forward pass: the rows of every call of the layer in it. */
    void addInputs(List<SharedRows> calls) {
        if (calls.isEmpty()) return;
        Tensor x;
        if (approximation == Approximation.EXPAND) {
            Tensor[] rows = new Tensor[calls.size()];
            for (int i = 0; i < rows.length; i++) rows[i] = calls.get(i).rows();
            x = rows.length == 1 ? rows[0] : Tensor.concat(0, rows);
            inputCount += x.size(0);
        } else {
            x = perExampleMean(calls);
            inputCount += x.size(0);
        }
        if (bias) x = homogeneous(x);
        inputGram = accumulate(inputGram, x.mT().matmul(x));
    }

    /**
     * The output gradients of one backward pass (every call of the layer in it), weighted: {@code w Σ g gᵀ} (expand)
     * or {@code w Σ_n ĝ ĝᵀ} (reduce).
     */
    void addOutputGrads(List<SharedRows> calls, double weight) {
        if (calls.isEmpty()) return;
        Tensor gram = null;
        if (approximation == Approximation.EXPAND) {
            for (SharedRows c : calls) gram = accumulate(gram, c.rows().mT().matmul(c.rows()));
        } else {
            int n = calls.get(0).numExamples();
            Tensor summed = null;
            for (SharedRows c : calls) {
                requireSameExamples(c, n);
                summed = accumulate(summed, perExampleSum(c));
            }
            gram = summed.mT().matmul(summed);
        }
        outputGram = accumulate(outputGram, gram.mul(weight));
    }

    boolean hasInputs() {
        return inputGram != null;
    }

    boolean hasOutputGrads() {
        return outputGram != null;
    }

    /**
     * {@code A = (Σ a aᵀ) / count} and {@code G = outputScale · Σ w g gᵀ}. A Gram product {@code Xᵀ X} is symmetric
     * to the last bit (entry (i, j) and (j, i) sum the same products in the same order), so nothing is symmetrised.
     */
    KroneckerFactors factors(double outputScale) {
        if (inputGram == null || outputGram == null) {
            throw new IllegalStateException("no " + (inputGram == null ? "inputs" : "output gradients")
                    + " were captured for this layer; it did not take part in the forward/backward passes");
        }
        return new KroneckerFactors(inputGram.div(inputCount), outputGram.mul(outputScale));
    }

    /** {@code A} alone (for {@link FisherType#FORWARD_ONLY}). */
    Tensor inputFactor() {
        if (inputGram == null) throw new IllegalStateException("no inputs were captured for this layer");
        return inputGram.div(inputCount);
    }

    // ---------------------------------------------------------------- rows grouped by example

    /** Rows with a trailing column of ones: {@code [a 1]}. */
    static Tensor homogeneous(Tensor rows) {
        return Tensor.concat(1, rows, Tensor.ones(rows.dtype(), rows.size(0), 1));
    }

    /** {@code Σ_r a_{n,r}} for every example: shape (N, D). Regular batches reshape; ragged ones sum by segment. */
    static Tensor perExampleSum(SharedRows s) {
        int perExample = regularRowsPerExample(s);
        if (perExample > 0) return s.rows().reshape(s.numExamples(), perExample, s.width()).sum(1);
        return s.rows().segmentSum(s.exampleOfRow(), s.numExamples());
    }

    /** {@code â_n}: each example's rows averaged over all calls (an example without rows gets zeros). */
    static Tensor perExampleMean(List<SharedRows> calls) {
        int n = calls.get(0).numExamples();
        Tensor sum = null;
        double[] counts = new double[n];
        for (SharedRows c : calls) {
            requireSameExamples(c, n);
            sum = accumulate(sum, perExampleSum(c));
            for (int e : c.exampleOfRow()) counts[e]++;
        }
        for (int i = 0; i < n; i++) counts[i] = 1 / Math.max(counts[i], 1);
        Tensor inverseCounts = Tensor.fromArray(counts, n, 1).to(sum.dtype());
        return sum.mul(inverseCounts);
    }

    /** R when every example has R consecutive rows (0 < R), else 0. */
    static int regularRowsPerExample(SharedRows s) {
        int m = s.numRows(), n = s.numExamples();
        if (n == 0 || m % n != 0 || m == 0) return 0;
        int r = m / n;
        int[] ids = s.exampleOfRow();
        for (int i = 0; i < m; i++) if (ids[i] != i / r) return 0;
        return r;
    }

    private static void requireSameExamples(SharedRows c, int n) {
        if (c.numExamples() != n) {
            throw new IllegalStateException("calls of one layer in one pass disagree on the number of examples: "
                    + n + " and " + c.numExamples());
        }
    }

    static Tensor accumulate(Tensor sum, Tensor term) {
        return sum == null ? term : sum.add(term);
    }
}
