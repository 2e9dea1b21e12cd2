package kfac4j.kfac;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

import kfac4j.nn.LossNode;
import kfac4j.nn.Reduction;
import kfac4j.nn.SharedRows;
import kfac4j.tensor.Tensor;

/**
 * The Kronecker statistics of all K-FAC layers of a model over one or more batches, and, once eigenbases are given,
 * EKFAC's eigenvalue sums.
 *
 * <p>Loss scaling (DESIGN.md §5.1): over several batches the curvature is that of the loss of the whole data set,
 * {@code L = ρ Σ_all ℓ}. With {@code SUM} every pass enters with its weight and ρ = 1; with {@code MEAN} the sums are
 * divided at the end by the total number of terms {@code Σ_b 1/ρ_b}, which for one batch is exactly ρ_b.
 */
final class KroneckerStatistics {
    private final List<KfacLayer> layers;
    private final FisherType fisher;
    private final LayerStatistics[] stats;
    private EigenvalueCorrection[] corrections;
    private Reduction reduction;
    private double terms;
    private double batchWeight = 1;

    KroneckerStatistics(List<KfacLayer> layers, FisherType fisher) {
        this.layers = layers;
        this.fisher = fisher;
        this.stats = new LayerStatistics[layers.size()];
        for (int i = 0; i < stats.length; i++) {
            stats[i] = new LayerStatistics(layers.get(i).approximation(), layers.get(i).hasBias());
        }
    }

    /** From now on, passes also accumulate EKFAC's eigenvalue sums in these bases (by layer name). */
    void correctIn(Map<String, KroneckerEigenbasis> bases) {
        corrections = new EigenvalueCorrection[layers.size()];
        for (int i = 0; i < stats.length; i++) {
            KroneckerEigenbasis b = bases.get(layers.get(i).name());
            if (b != null) {
                corrections[i] = new EigenvalueCorrection(b, layers.get(i).approximation(), layers.get(i).hasBias());
            }
        }
    }

    /** Starts a batch whose loss is {@code node}: records its scale ρ_b. */
    void beginBatch(LossNode node) {
        Reduction r = node.loss().reduction();
        if (reduction != null && reduction != r) {
            throw new IllegalArgumentException("K-FAC statistics: batches mix " + reduction + " and " + r + " losses");
        }
        reduction = r;
        double rho = node.loss().scale(node.prediction().shape());
        if (r == Reduction.MEAN) {
            terms += 1 / rho;
            batchWeight = 1;
        } else {
            batchWeight = rho;
        }
    }

    /** The inputs of the batch's forward pass; {@code calls} selects, per layer, the calls to use (null: all). */
    void addInputs(CurvatureCapture capture, List<Set<Integer>> calls) {
        for (int i = 0; i < stats.length; i++) {
            List<SharedRows> rows = select(capture.inputs(i), calls == null ? null : calls.get(i));
            stats[i].addInputs(rows);
        }
    }

    /** One backward pass of the batch (per layer, by call), with its weight. */
    void addPass(CurvatureCapture capture, List<SortedMap<Integer, SharedRows>> grads, double weight) {
        for (int i = 0; i < stats.length; i++) {
            SortedMap<Integer, SharedRows> byCall = grads.get(i);
            if (byCall.isEmpty()) continue;
            List<SharedRows> g = new ArrayList<>(byCall.values());
            stats[i].addOutputGrads(g, weight * batchWeight);
            if (corrections != null && corrections[i] != null) {
                List<SharedRows> in = new ArrayList<>();
                for (Integer call : byCall.keySet()) {
                    SharedRows r = capture.inputs(i).get(call);
                    if (r == null) {
                        throw new IllegalStateException("EKFAC: layer " + layers.get(i).name() + " received an output"
                                + " gradient for call " + call + " whose input was not captured");
                    }
                    in.add(r);
                }
                corrections[i].add(in, g, weight * batchWeight);
            }
        }
    }

    /** {@code ρ} of the whole data seen so far, to multiply the pass sums with. */
    double outputScale() {
        return reduction == Reduction.MEAN ? 1 / terms : 1;
    }

    /**
     * The factors of every layer that took part (in layer order, by name). {@link FisherType#FORWARD_ONLY} gives
     * {@code G = I}; a layer that saw inputs but no output gradient gets {@code G = 0}.
     */
    Map<String, KroneckerFactors> factors() {
        Map<String, KroneckerFactors> out = new LinkedHashMap<>();
        for (int i = 0; i < stats.length; i++) {
            if (!stats[i].hasInputs()) continue;
            KfacLayer l = layers.get(i);
            Tensor a = stats[i].inputFactor();
            Tensor g;
            if (fisher == FisherType.FORWARD_ONLY) g = Tensor.eye(a.dtype(), l.outputDim());
            else if (!stats[i].hasOutputGrads()) g = Tensor.zeros(a.dtype(), l.outputDim(), l.outputDim());
            else g = stats[i].outputFactor(outputScale());
            out.put(l.name(), new KroneckerFactors(a, g));
        }
        return out;
    }

    /** EKFAC's eigenvalues of every layer with a basis (by name). */
    Map<String, EigenCorrectedFactors> corrected() {
        if (corrections == null) throw new IllegalStateException("no eigenbases were given for EKFAC");
        Map<String, EigenCorrectedFactors> out = new LinkedHashMap<>();
        for (int i = 0; i < stats.length; i++) {
            if (corrections[i] == null) continue;
            out.put(layers.get(i).name(),
                    new EigenCorrectedFactors(corrections[i].basis(), corrections[i].eigenvalues(outputScale())));
        }
        return out;
    }

    private static List<SharedRows> select(SortedMap<Integer, SharedRows> byCall, Set<Integer> calls) {
        List<SharedRows> out = new ArrayList<>();
        for (Map.Entry<Integer, SharedRows> e : byCall.entrySet()) {
            if (calls == null || calls.contains(e.getKey())) out.add(e.getValue());
        }
        return out;
    }
}
