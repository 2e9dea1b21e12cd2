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
 * is appended after averaging, so it stays exactly 1. Every outer-product sum is one GEMM, {@code Xᵀ X} on the rows
 * themselves (a bias borders it with the column sums); reduce runs it over N rows instead of M, and asks the layer
 * only for the per-example sums, which a convolution makes without unfolding its input. The loss scale ρ is applied by
 * the caller when the factors are read.
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
    /** Whether a factor was taken (scaled in place), after which the sums are no longer sums. */
    private boolean spentInputs, spentOutputs;

    LayerStatistics(Approximation approximation, boolean bias) {
        this.approximation = approximation;
        this.bias = bias;
    }

    /** The inputs of one forward pass: the rows of every call of the layer in it. */
    void addInputs(List<SharedRows> calls) {
        if (calls.isEmpty()) return;
        Tensor gram;
        if (approximation == Approximation.EXPAND) {
            Tensor x = rows(calls);
            inputCount += x.size(0);
            gram = bias ? homogeneousGram(x, columnSums(calls), x.size(0)) : x.mT().matmul(x);
        } else {
            Tensor x = perExampleMean(calls);
            inputCount += x.size(0);
            gram = bias ? homogeneousGram(x, x.sum(0), x.size(0)) : x.mT().matmul(x);
        }
        inputGram = accumulateOwned(inputGram, gram);
    }

    /**
     * The output gradients of one backward pass (every call of the layer in it), weighted: {@code w Σ g gᵀ} (expand)
     * or {@code w Σ_n ĝ ĝᵀ} (reduce).
     */
    void addOutputGrads(List<SharedRows> calls, double weight) {
        if (calls.isEmpty()) return;
        Tensor gram = null;
        if (approximation == Approximation.EXPAND) {
            for (SharedRows c : calls) {
                Tensor g = c.rows();
                gram = accumulate(gram, g.mT().matmul(g));
            }
        } else {
            int n = calls.get(0).numExamples();
            Tensor summed = null;
            for (SharedRows c : calls) {
                requireSameExamples(c, n);
                summed = accumulate(summed, c.exampleSums());
            }
            gram = summed.mT().matmul(summed);
        }
        if (weight != 1) gram.mulInPlace(weight); // the Gram matrix is this call's own
        outputGram = accumulateOwned(outputGram, gram);
    }

    boolean hasInputs() {
        return inputGram != null;
    }

    boolean hasOutputGrads() {
        return outputGram != null;
    }

    /**
     * {@code G = outputScale · Σ w g gᵀ}, scaled in place: the sums are spent, so ask once. A Gram product
     * {@code Xᵀ X} is symmetric to the last bit (entry (i, j) and (j, i) sum the same products in the same order), so
     * nothing is symmetrised.
     */
    Tensor outputFactor(double outputScale) {
        if (outputGram == null) {
            throw new IllegalStateException("no output gradients were captured for this layer; it did not take part in"
                    + " the backward passes");
        }
        if (spentOutputs) throw new IllegalStateException("this layer's output factor was already taken");
        spentOutputs = true;
        return outputGram.mulInPlace(outputScale);
    }

    /** {@code A = (Σ a aᵀ) / count}, scaled in place: the sums are spent, so ask once. */
    Tensor inputFactor() {
        if (inputGram == null) throw new IllegalStateException("no inputs were captured for this layer");
        if (spentInputs) throw new IllegalStateException("this layer's input factor was already taken");
        spentInputs = true;
        return inputGram.mulInPlace(1 / inputCount);
    }

    // ---------------------------------------------------------------- rows grouped by example

    /** Rows with a trailing column of ones: {@code [a 1]}. */
    static Tensor homogeneous(Tensor rows) {
        return Tensor.concat(1, rows, Tensor.ones(rows.dtype(), rows.size(0), 1));
    }

    /**
     * {@code [x 1]ᵀ [x 1] = [[xᵀx, s], [sᵀ, m]]} from the Gram matrix of {@code x} (m rows) and its column sums
     * {@code s = xᵀ1} (DESIGN.md §5.1, the joint {@code [W b]}): the Gram product runs on x itself, never on a copy
     * with a column of ones appended. Symmetric to the last bit, as {@code xᵀx} is and s enters both borders.
     */
    static Tensor homogeneousGram(Tensor x, Tensor columnSums, double m) {
        int d = x.size(1);
        Tensor s = columnSums.reshape(d, 1);
        Tensor top = Tensor.concat(1, x.mT().matmul(x), s);
        Tensor bottom = Tensor.concat(1, s.mT(), Tensor.full(x.dtype(), m, 1, 1));
        return Tensor.concat(0, top, bottom);
    }

    /** The rows of all calls, one below the other. */
    static Tensor rows(List<SharedRows> calls) {
        if (calls.size() == 1) return calls.get(0).rows();
        Tensor[] rows = new Tensor[calls.size()];
        for (int i = 0; i < rows.length; i++) rows[i] = calls.get(i).rows();
        return Tensor.concat(0, rows);
    }

    /** {@code Σ_{n,r} a_{n,r}} over all calls, from the per-example sums (a layer may have them without its rows). */
    private static Tensor columnSums(List<SharedRows> calls) {
        Tensor sum = null;
        for (SharedRows c : calls) sum = accumulate(sum, c.exampleSums().sum(0));
        return sum;
    }

    /** {@code â_n}: each example's rows averaged over all calls (an example without rows gets zeros). */
    static Tensor perExampleMean(List<SharedRows> calls) {
        int n = calls.get(0).numExamples();
        Tensor sum = null;
        double[] counts = new double[n];
        for (SharedRows c : calls) {
            requireSameExamples(c, n);
            sum = accumulate(sum, c.exampleSums());
            int r = c.rowsPerExample();
            if (r > 0) for (int i = 0; i < n; i++) counts[i] += r;
            else for (int e : c.exampleOfRow()) counts[e]++;
        }
        for (int i = 0; i < n; i++) counts[i] = 1 / Math.max(counts[i], 1);
        Tensor inverseCounts = Tensor.fromArray(counts, n, 1).to(sum.dtype());
        return sum.mul(inverseCounts);
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

    /** As {@link #accumulate}, for sums and terms this class made itself: added in place, no temporary. */
    private static Tensor accumulateOwned(Tensor sum, Tensor term) {
        return sum == null ? term : sum.addScaledInPlace(1, term);
    }
}
