package kfac4j.kfac;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Variable;
import kfac4j.nn.CaptureListener;
import kfac4j.nn.SharedRows;
import kfac4j.nn.WeightSharingLinear;

/**
 * Listens to the K-FAC layers of a model: keeps the input rows of every forward call made while graph recording is
 * on (a call without a graph can never be backpropagated), and, during a backward pass opened with
 * {@link #beginPass(boolean)}, the output gradients of every call that pass reaches. Gradients arriving outside a
 * pass are ignored. {@link KroneckerStatistics} turns what was kept into factors; the one thing computed here is the
 * per-example sums of K-FAC-reduce layers ({@link SharedRows#exampleSums()}, all that reduce reads of the rows),
 * taken while the rows are still in the cache from the product that just read or made them, rather than from memory
 * after the backward pass. Of a reduce layer's output gradient only those sums are kept, so the backward pass
 * recycles the gradient itself.
 */
final class CurvatureCapture implements CaptureListener {
    private final List<KfacLayer> layers;
    private final Map<WeightSharingLinear, Integer> index = new IdentityHashMap<>();
    private final List<SortedMap<Integer, SharedRows>> inputs = new ArrayList<>();
    private final List<List<Variable>> outputs = new ArrayList<>();
    private List<SortedMap<Integer, SharedRows>> pass;
    private boolean passStatistics;

    CurvatureCapture(List<KfacLayer> layers) {
        this.layers = layers;
        for (int i = 0; i < layers.size(); i++) {
            index.put(layers.get(i).layer(), i);
            inputs.add(new TreeMap<>());
            outputs.add(new ArrayList<>());
        }
    }

    List<KfacLayer> layers() {
        return layers;
    }

    /**
     * How far a Fisher pass backpropagates ({@link Grad#reach}), so that it reaches every layer's output (and runs its
     * capture hook) while computing as little as possible: the output variables of the calls kept since
     * {@link #clear()}, so that no parameter gradient and nothing below the lowest layer is computed. A layer with no
     * kept call (its forward ran before capture was on) is reached through its bias, or its weight when it has none.
     * Their gradients are not returned, so the pass recycles every one that no capture hook keeps.
     */
    List<Variable> passTargets() {
        List<Variable> out = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            KfacLayer l = layers.get(i);
            if (!outputs.get(i).isEmpty()) out.addAll(outputs.get(i));
            else out.add((l.hasBias() ? l.layer().bias() : l.layer().weight()).variable());
        }
        return out;
    }

    /** Starts listening to every layer (beside any other capture already listening, see {@link CaptureFanout}). */
    void attach() {
        for (KfacLayer l : layers) CaptureFanout.attach(l.layer(), this);
    }

    /** Stops listening. */
    void detach() {
        for (KfacLayer l : layers) CaptureFanout.detach(l.layer(), this);
    }

    /** Forgets every kept input, ready for the next forward pass. */
    void clear() {
        for (SortedMap<Integer, SharedRows> m : inputs) m.clear();
        for (List<Variable> o : outputs) o.clear();
        pass = null;
    }

    @Override
    public void onInput(WeightSharingLinear layer, int call, SharedRows rows) {
        Integer i = index.get(layer);
        if (i == null || !Grad.isEnabled()) return;
        inputs.get(i).put(call, rows);
        if (reduces(i)) rows.exampleSums();
    }

    @Override
    public void onOutput(WeightSharingLinear layer, int call, Variable output) {
        Integer i = index.get(layer);
        if (i != null && Grad.isEnabled()) outputs.get(i).add(output);
    }

    @Override
    public void onOutputGrad(WeightSharingLinear layer, int call, SharedRows outputGrad) {
        Integer i = index.get(layer);
        if (i == null || pass == null) return;
        SortedMap<Integer, SharedRows> calls = pass.get(i);
        if (!passStatistics) { // only which calls the pass reached: the gradient itself is not kept
            calls.put(call, null);
            return;
        }
        SharedRows before = calls.get(call);
        // One pass delivers one gradient per call; sum defensively should a graph reach a call twice.
        SharedRows kept;
        if (reduces(i)) {
            SharedRows sums = outputGrad.exampleSumsOnly(); // read now: the gradient is recycled after this call
            // A second gradient of the call: one row per example, the sum of both calls' sums (all reduce reads).
            kept = before == null ? sums : SharedRows.regular(before.exampleSums().add(sums.exampleSums()));
        } else {
            kept = before == null ? outputGrad : new SharedRows(before.rows().add(outputGrad.rows()),
                    outputGrad.exampleOfRow(), outputGrad.numExamples());
        }
        calls.put(call, kept);
    }

    /**
     * Only inside a pass that feeds the statistics, and only for expand layers, which read the rows: a reduce layer
     * keeps the per-example sums alone; elsewhere only the call is noted, or nothing at all.
     */
    @Override
    public boolean keepsOutputGrads(WeightSharingLinear layer) {
        Integer i = index.get(layer);
        return pass != null && passStatistics && i != null && !reduces(i);
    }

    private boolean reduces(int i) {
        return layers.get(i).approximation() == Approximation.REDUCE;
    }

    /**
     * Opens a backward pass. With {@code statistics} (a Fisher pass, or the true backward for the empirical Fisher),
     * the output gradients are kept until {@link #endPass()} and reduce layers sum them per example on arrival;
     * without, only the calls the pass reaches are noted (their values in {@link #endPass()} are null), and the
     * gradients are left for the backward pass to recycle.
     */
    void beginPass(boolean statistics) {
        passStatistics = statistics;
        pass = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) pass.add(new TreeMap<>());
    }

    /**
     * Closes the pass and returns, per layer (in {@link #layers()} order), the output gradients by call (null for
     * each call of a pass without statistics).
     */
    List<SortedMap<Integer, SharedRows>> endPass() {
        if (pass == null) throw new IllegalStateException("endPass without beginPass");
        List<SortedMap<Integer, SharedRows>> out = pass;
        pass = null;
        return out;
    }

    /** The kept inputs of layer {@code i}, by call. */
    SortedMap<Integer, SharedRows> inputs(int i) {
        return inputs.get(i);
    }
}
