package kfac4j.kfac;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.function.Supplier;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Variable;
import kfac4j.nn.LossNode;
import kfac4j.nn.LrSchedule;
import kfac4j.nn.Module;
import kfac4j.nn.Parameter;
import kfac4j.nn.SharedRows;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;
import kfac4j.tensor.kernel.Kernels;

/**
 * The K-FAC optimizer (DESIGN.md §5.4): it owns the step, because the step needs the model output and the loss to
 * draw the Fisher's backward passes.
 *
 * <pre>{@code
 * var opt = KfacOptimizer.builder(model).approximation(Approximation.EXPAND).fisher(FisherType.MC)
 *         .learningRate(0.1).damping(1e-3).momentum(0.9).statsEvery(1).inverseEvery(10).build();
 * for (Batch b : loader) opt.step(loss.apply(model.forward(b.x()), b.y()));
 * }</pre>
 *
 * <p>One step: (1) the Fisher's extra backward passes (graph kept); (2) the true backward, which fills every
 * parameter's gradient (earlier gradients are cleared first); (3) on statistics steps, this batch's factors enter an
 * exponential moving average; (4) on inverse steps, the eigendecompositions (exact damping, EKFAC) or Cholesky
 * factors (π-damping) are recomputed; (5) each layer's gradient {@code [∇W ∇b] + wd·[W b]} is preconditioned,
 * {@code Δ = (G ⊗ A + λI)⁻¹ vec(V)}, scaled by KL clipping {@code min(1, √(κ / (η² Σ Δ·V)))}, accumulated with
 * momentum and applied with the scheduled learning rate. Parameters outside every Kronecker block get a
 * {@link FallbackRule}; {@link #describe()} lists which rule each got, and {@link #build()} prints it.
 *
 * <p>A step whose statistics, inverses or update contain a NaN or an infinity changes nothing (weights, factors,
 * momentum, Adam moments) and is reported in the returned {@link StepReport} and on the log.
 */
public final class KfacOptimizer {
    private static final double LM_MIN = 1e-8, LM_MAX = 1e8;

    private final Module model;
    private final List<KfacLayer> layers;
    private final Map<String, String> tiedLayers;
    private final List<Parameter> fallbackParameters;
    private final List<String> fallbackNames;
    private final CurvatureCapture capture;
    private final Rng rng;
    private final Builder config;

    private LayerState[] state;
    private final Map<Parameter, FallbackState> fallbackState = new IdentityHashMap<>();
    private long step;
    private long skipped;
    private double damping;
    private boolean closed;

    /** Per-layer state; replaced as a whole at the end of a step, so a skipped step leaves it untouched. */
    private record LayerState(KroneckerFactors factors, KroneckerEigenbasis basis, DampedInverse factored,
                              Tensor corrected, Tensor momentum) {
        static final LayerState EMPTY = new LayerState(null, null, null, null, null);
    }

    /** Adam moments (or the SGD momentum in {@code m}) of one fallback parameter. */
    private record FallbackState(Tensor m, Tensor v, long t) {
    }

    public static Builder builder(Module model) {
        return new Builder(model);
    }

    private KfacOptimizer(Builder b) {
        this.model = b.model;
        this.config = b;
        this.damping = b.damping;
        this.rng = new Rng(b.seed);
        List<KfacLayer> found = KfacLayer.discover(model, b.approximation, b.perLayer());
        this.tiedLayers = tiedLayers(model, found);
        List<KfacLayer> kept = new ArrayList<>();
        for (KfacLayer l : found) if (!tiedLayers.containsKey(l.name())) kept.add(l);
        this.layers = List.copyOf(kept);
        Set<Parameter> covered = Collections.newSetFromMap(new IdentityHashMap<>());
        for (KfacLayer l : layers) covered.addAll(l.parameters());
        this.fallbackParameters = new ArrayList<>();
        this.fallbackNames = new ArrayList<>();
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            if (!covered.contains(e.getValue()) && seen.add(e.getValue())) {
                fallbackParameters.add(e.getValue());
                fallbackNames.add(e.getKey());
            }
        }
        this.state = new LayerState[layers.size()];
        Arrays.fill(state, LayerState.EMPTY);
        this.capture = new CurvatureCapture(layers);
        capture.attach();
        if (b.log != null) b.log.print(describe());
    }

    /** K-FAC layers whose weight or bias is also a parameter of another module (tied weights): name → other module. */
    private static Map<String, String> tiedLayers(Module model, List<KfacLayer> found) {
        Map<Parameter, KfacLayer> owner = new IdentityHashMap<>();
        for (KfacLayer l : found) for (Parameter p : l.parameters()) owner.put(p, l);
        Map<String, Module> modules = model.namedModules();
        Map<String, String> tied = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            KfacLayer l = owner.get(e.getValue());
            if (l == null) continue;
            String name = e.getKey();
            String module = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : "";
            Module m = modules.get(module);
            if (m != (Object) l.layer()) {
                tied.putIfAbsent(l.name(), module.isEmpty() ? "the model" : module);
            }
        }
        return tied;
    }

    // ---------------------------------------------------------------- the step

    /** One step from a loss variable (the output of a {@link kfac4j.nn.Loss} on this model's output). */
    public StepReport step(Variable loss) {
        return step(loss, null);
    }

    /**
     * One step; {@code reevaluate} recomputes the loss on the same batch after the update (used by
     * Levenberg–Marquardt damping, and required when it is on). It runs with graph recording off.
     */
    public StepReport step(Variable loss, Supplier<Variable> reevaluate) {
        if (closed) throw new IllegalStateException("KfacOptimizer.step: the optimizer was closed");
        LossNode node = FisherPasses.lossNode("KfacOptimizer.step", loss);
        if (config.lmEvery > 0 && reevaluate == null) {
            throw new IllegalStateException("KfacOptimizer.step: Levenberg–Marquardt damping is on; call"
                    + " step(loss, () -> lossOfTheSameBatch) so the update can be evaluated");
        }
        double lossValue = loss.value().item();
        boolean stats = step % config.statsEvery == 0;
        boolean inverses = step % config.inverseEvery == 0;
        double lr = config.learningRate * config.schedule.factor(step);
        try {
            return run(node, loss, lossValue, stats, inverses, lr, reevaluate);
        } finally {
            capture.clear();
            // Listen only to the forward passes whose step collects statistics: capture costs copies (a convolution's
            // patches, transposed), which the other steps need not pay.
            if (step % config.statsEvery == 0) capture.attach();
            else capture.detach();
        }
    }

    private record Pass(List<SortedMap<Integer, SharedRows>> grads, double weight) {
    }

    private StepReport run(LossNode node, Variable loss, double lossValue, boolean stats, boolean inverses, double lr,
                           Supplier<Variable> reevaluate) {
        if (!KroneckerFactors.allFinite(node.prediction().value())) {
            return skip(lossValue, lr, "non-finite model output");
        }
        model.zeroGrad();
        FisherType fisher = config.fisher;
        KroneckerStatistics batch = stats ? new KroneckerStatistics(layers, fisher) : null;
        List<Pass> kept = new ArrayList<>();
        if (batch != null) {
            batch.beginBatch(node);
            if (fisher == FisherType.TYPE2 || fisher == FisherType.MC) {
                FisherPasses.run(node, fisher, config.samples, rng, capture, (g, w) -> {
                    batch.addPass(capture, g, w);
                    if (config.eigenvalueCorrection) kept.add(new Pass(g, w));
                });
            }
        }
        // The true backward, inside a pass: it tells which calls belong to this loss's graph.
        capture.beginPass(batch != null && fisher == FisherType.EMPIRICAL);
        List<SortedMap<Integer, SharedRows>> truePass;
        try {
            loss.backward();
        } finally {
            truePass = capture.endPass();
        }
        LayerState[] next = state.clone();
        if (batch != null) {
            if (fisher == FisherType.EMPIRICAL) {
                // The true backward carries ρ·∇ℓ: weight 1/ρ² turns ρ Σ (ρg)(ρg)ᵀ into ρ Σ g gᵀ.
                double rho = node.loss().scale(node.prediction().shape());
                batch.addPass(capture, truePass, 1 / (rho * rho));
                if (config.eigenvalueCorrection) kept.add(new Pass(truePass, 1 / (rho * rho)));
            }
            List<Set<Integer>> calls = new ArrayList<>();
            for (SortedMap<Integer, SharedRows> m : truePass) calls.add(new HashSet<>(m.keySet()));
            batch.addInputs(capture, calls);
            String bad = averageFactors(batch.factors(), next);
            if (bad != null) return skip(lossValue, lr, bad);
        }
        List<Integer> due = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            LayerState s = next[i];
            if (s.factors() != null && (inverses || (s.basis() == null && s.factored() == null))) due.add(i);
        }
        boolean recomputed = !due.isEmpty();
        String failed = refreshInverses(due, next);
        if (failed != null) return skip(lossValue, lr, failed);
        if (config.eigenvalueCorrection && batch != null) {
            String bad = refitEigenvalues(node, kept, next);
            if (bad != null) return skip(lossValue, lr, bad);
        }
        return update(lossValue, lr, next, stats, recomputed, reevaluate);
    }

    /** This batch's factors into the moving averages; the reason to skip the step, or null. */
    private String averageFactors(Map<String, KroneckerFactors> fresh, LayerState[] next) {
        for (int i = 0; i < layers.size(); i++) {
            KroneckerFactors f = fresh.get(layers.get(i).name());
            if (f == null) continue;
            if (!f.isFinite()) return "non-finite curvature statistics in layer " + layers.get(i).name();
            KroneckerFactors old = next[i].factors();
            // This batch's factors are fresh tensors of the statistics: averaged in without a copy.
            KroneckerFactors merged = old == null ? f : old.movingAverageInPlace(f, config.emaDecay);
            next[i] = new LayerState(merged, next[i].basis(), next[i].factored(), next[i].corrected(), next[i].momentum());
        }
        return null;
    }

    /**
     * The eigenbases (exact damping, EKFAC) or Cholesky inverses (π-damping) of the layers {@code due}, into
     * {@code next}; the reason to skip the step (the first failing layer in model order), or null. The layers are
     * independent, so they are shared out over the compute threads, the largest factors first; each layer's result
     * is the same whichever thread computes it, and its notes are logged afterwards in model order.
     */
    private String refreshInverses(List<Integer> due, LayerState[] next) {
        Integer[] order = due.toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -factorisationCost(layers.get(i))));
        String[] bad = new String[layers.size()];
        Kernels.parallel(order.length, t -> bad[order[t]] = refreshInverse(order[t], next));
        for (int i : due) {
            if (bad[i] != null) return bad[i];
            if (next[i].factored() != null) {
                for (String note : next[i].factored().notes()) logLine("layer " + layers.get(i).name() + ": " + note);
            }
        }
        return null;
    }

    /** The work of factorising a layer's two factors, up to a constant: the cubes of their dimensions. */
    private static double factorisationCost(KfacLayer l) {
        return Math.pow(l.inputDim(), 3) + Math.pow(l.outputDim(), 3);
    }

    /** Layer i's eigenbasis (exact damping, EKFAC) or Cholesky inverses (π-damping); the reason to skip, or null. */
    private String refreshInverse(int i, LayerState[] next) {
        LayerState s = next[i];
        String name = layers.get(i).name();
        try {
            if (config.dampingMode == DampingMode.FACTORED) {
                DampedInverse inv = s.factors().inverse(damping, DampingMode.FACTORED);
                next[i] = new LayerState(s.factors(), null, inv, s.corrected(), s.momentum());
            } else {
                KroneckerEigenbasis basis = s.factors().eigenbasis();
                if (!KroneckerFactors.allFinite(basis.qA()) || !KroneckerFactors.allFinite(basis.qG())) {
                    return "non-finite eigendecomposition in layer " + name;
                }
                // A new basis invalidates EKFAC's eigenvalues, which are refitted from this batch.
                next[i] = new LayerState(s.factors(), basis, null, null, s.momentum());
            }
            return null;
        } catch (ArithmeticException e) {
            return "layer " + name + ": " + e.getMessage();
        }
    }

    /** EKFAC: this batch's per-example second moments in each layer's (possibly new) basis, averaged in. */
    private String refitEigenvalues(LossNode node, List<Pass> kept, LayerState[] next) {
        Map<String, KroneckerEigenbasis> bases = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) if (next[i].basis() != null) bases.put(layers.get(i).name(), next[i].basis());
        KroneckerStatistics corrections = new KroneckerStatistics(layers, config.fisher);
        corrections.correctIn(bases);
        corrections.beginBatch(node);
        for (Pass p : kept) corrections.addPass(capture, p.grads(), p.weight());
        Map<String, EigenCorrectedFactors> fitted = corrections.corrected();
        for (int i = 0; i < layers.size(); i++) {
            EigenCorrectedFactors f = fitted.get(layers.get(i).name());
            if (f == null) continue;
            if (!f.isFinite()) return "non-finite EKFAC eigenvalues in layer " + layers.get(i).name();
            LayerState s = next[i];
            Tensor merged = s.corrected() == null ? f.eigenvalues()
                    : s.corrected().mul(config.emaDecay).add(f.eigenvalues().mul(1 - config.emaDecay));
            next[i] = new LayerState(s.factors(), s.basis(), s.factored(), merged, s.momentum());
        }
        return null;
    }

    private DampedInverse inverseOf(LayerState s) {
        if (s.factored() != null) return s.factored();
        if (s.basis() == null) return null;
        Tensor eigenvalues = config.eigenvalueCorrection && s.corrected() != null ? s.corrected() : s.basis().kroneckerEigenvalues();
        return s.basis().inverse(eigenvalues, damping);
    }

    private StepReport update(double lossValue, double lr, LayerState[] next, boolean stats, boolean recomputed,
                              Supplier<Variable> reevaluate) {
        int n = layers.size();
        Tensor[] gradients = new Tensor[n], directions = new Tensor[n];
        double vg = 0;
        for (int i = 0; i < n; i++) {
            KfacLayer l = layers.get(i);
            Tensor v = l.gradient();
            if (v == null) continue;
            if (config.weightDecay != 0) v = v.add(l.value().mul(config.weightDecay));
            DampedInverse inv = inverseOf(next[i]);
            // A layer without statistics yet (it joined the graph after the last statistics step) takes the gradient.
            Tensor d = inv == null ? v : inv.apply(v);
            gradients[i] = v;
            directions[i] = d;
            vg += dot(d, v);
        }
        double kl = 1;
        if (config.klClip > 0 && vg > 0) kl = Math.min(1, Math.sqrt(config.klClip / (lr * lr * vg)));
        if (!Double.isFinite(vg)) return skip(lossValue, lr, nonFiniteLayer(directions));
        Tensor[] momenta = new Tensor[n];
        for (int i = 0; i < n; i++) {
            if (directions[i] == null) continue;
            Tensor scaled = directions[i].mul(kl), old = next[i].momentum();
            momenta[i] = old == null || config.momentum == 0 ? scaled : scaled.addScaledInPlace(config.momentum, old);
            if (!KroneckerFactors.allFinite(momenta[i])) return skip(lossValue, lr, "non-finite update in layer " + layers.get(i).name());
        }
        // Fallback parameters.
        double fallbackLr = config.fallbackLearningRate * config.schedule.factor(step);
        Map<Parameter, FallbackState> nextFallback = new IdentityHashMap<>();
        Map<Parameter, Tensor> fallbackSteps = new IdentityHashMap<>();
        Map<Parameter, Tensor> fallbackGrads = new IdentityHashMap<>();
        for (int k = 0; k < fallbackParameters.size(); k++) {
            Parameter p = fallbackParameters.get(k);
            Tensor g = p.grad();
            if (g == null) continue;
            if (config.weightDecay != 0) g = g.add(p.value().mul(config.weightDecay));
            FallbackState s = fallbackState.get(p);
            FallbackState ns;
            Tensor delta;
            if (config.fallback == FallbackRule.ADAM) {
                long t = s == null ? 1 : s.t() + 1;
                Tensor m = (s == null ? g.mul(0.1) : s.m().mul(0.9).add(g.mul(0.1)));
                Tensor v = (s == null ? g.square().mul(0.001) : s.v().mul(0.999).add(g.square().mul(0.001)));
                // Bias-corrected moments: m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ); step m̂ / (√v̂ + ε).
                Tensor mHat = m.div(1 - Math.pow(0.9, t)), vHat = v.div(1 - Math.pow(0.999, t));
                delta = mHat.div(vHat.sqrt().add(1e-8)).mul(fallbackLr);
                ns = new FallbackState(m, v, t);
            } else {
                Tensor m = s == null || config.momentum == 0 ? g : s.m().mul(config.momentum).add(g);
                delta = m.mul(fallbackLr);
                ns = new FallbackState(m, null, s == null ? 1 : s.t() + 1);
            }
            if (!KroneckerFactors.allFinite(delta)) return skip(lossValue, lr, "non-finite update of parameter " + fallbackNames.get(k));
            nextFallback.put(p, ns);
            fallbackSteps.put(p, delta);
            fallbackGrads.put(p, g);
        }
        // Commit: nothing above touched the model or the optimizer state.
        for (int i = 0; i < n; i++) {
            if (momenta[i] == null) continue;
            KfacLayer l = layers.get(i);
            l.layer().weight().value().addScaledInPlace(-lr, l.weightPart(momenta[i]));
            if (l.hasBias()) l.layer().bias().value().addScaledInPlace(-lr, l.biasPart(momenta[i]));
            next[i] = new LayerState(next[i].factors(), next[i].basis(), next[i].factored(), next[i].corrected(), momenta[i]);
        }
        for (Map.Entry<Parameter, Tensor> e : fallbackSteps.entrySet()) e.getKey().value().addScaledInPlace(-1, e.getValue());
        fallbackState.putAll(nextFallback);
        state = next;
        double usedDamping = damping;
        if (config.lmEvery > 0 && step % config.lmEvery == 0) {
            adaptDamping(lossValue, lr, gradients, momenta, fallbackGrads, fallbackSteps, reevaluate);
        }
        StepReport report = new StepReport(step, lossValue, false, null, lr, usedDamping, kl, stats, recomputed);
        step++;
        return report;
    }

    /**
     * Levenberg–Marquardt (Martens and Grosse, 2015, §6.5): the reduction ratio of the actual change in the
     * objective to the change the quadratic model {@code M(δ) = ∇ᵀδ + ½ δᵀ(F̃ + (λ + wd) I)δ} predicts; the damping
     * shrinks by ω = (19/20)^T when the model is trusted (ratio > 3/4) and grows by 1/ω when not (ratio < 1/4).
     * F̃ is the K-FAC (or EKFAC) block-diagonal curvature; the actual change includes the L2 term of weight decay.
     */
    private void adaptDamping(double before, double lr, Tensor[] gradients, Tensor[] momenta,
                              Map<Parameter, Tensor> fallbackGrads, Map<Parameter, Tensor> fallbackSteps,
                              Supplier<Variable> reevaluate) {
        double predicted = 0, l2 = 0, wd = config.weightDecay;
        for (int i = 0; i < layers.size(); i++) {
            if (momenta[i] == null) continue;
            Tensor delta = momenta[i].mul(-lr);
            LayerState s = state[i];
            Tensor curvature = s.factors() == null ? delta.zerosLike() : block(s).matvec(delta);
            double dd = dot(delta, delta);
            predicted += dot(gradients[i], delta) + 0.5 * (dot(delta, curvature) + (damping + wd) * dd);
            Tensor before0 = layers.get(i).value().sub(delta);
            l2 += wd * (dot(before0, delta) + 0.5 * dd);
        }
        for (Map.Entry<Parameter, Tensor> e : fallbackSteps.entrySet()) {
            Tensor delta = e.getValue().neg();
            predicted += dot(fallbackGrads.get(e.getKey()), delta) + 0.5 * wd * dot(delta, delta);
            l2 += wd * (dot(e.getKey().value().sub(delta), delta) + 0.5 * dot(delta, delta));
        }
        double after;
        try (var _ = Grad.disabled()) {
            after = reevaluate.get().value().item();
        }
        if (!(predicted < 0)) return;
        double ratio = Double.isFinite(after) ? (after - before + l2) / predicted : Double.NEGATIVE_INFINITY;
        double omega = Math.pow(19.0 / 20.0, config.lmEvery);
        if (ratio > 0.75) damping = Math.max(LM_MIN, damping * omega);
        else if (ratio < 0.25) damping = Math.min(LM_MAX, damping / omega);
    }

    private LayerCurvature block(LayerState s) {
        if (config.eigenvalueCorrection && s.basis() != null && s.corrected() != null) return new EigenCorrectedFactors(s.basis(), s.corrected());
        return s.factors();
    }

    private StepReport skip(double lossValue, double lr, String reason) {
        skipped++;
        logLine("step " + step + " skipped: " + reason + "; weights and statistics unchanged");
        return new StepReport(step, lossValue, true, reason, lr, damping, 1, false, false);
    }

    private String nonFiniteLayer(Tensor[] directions) {
        for (int i = 0; i < directions.length; i++) {
            if (directions[i] != null && !KroneckerFactors.allFinite(directions[i])) {
                return "non-finite update in layer " + layers.get(i).name();
            }
        }
        return "non-finite update";
    }

    private void logLine(String s) {
        if (config.log != null) config.log.println("kfac: " + s);
    }

    private static double dot(Tensor a, Tensor b) {
        return a.mul(b).sum().item();
    }

    // ---------------------------------------------------------------- inspection

    /** Which rule each layer and parameter got, one line each. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("K-FAC: fisher ").append(config.fisher.name().toLowerCase(Locale.ROOT))
                .append(config.fisher == FisherType.MC ? " ×" + config.samples : "")
                .append(", damping ").append(num(config.damping)).append(" (").append(config.dampingMode.name().toLowerCase(Locale.ROOT))
                .append(config.lmEvery > 0 ? ", Levenberg–Marquardt every " + config.lmEvery : "").append(')')
                .append(", lr ").append(num(config.learningRate)).append(", momentum ").append(num(config.momentum))
                .append(", weight decay ").append(num(config.weightDecay))
                .append(", statistics every ").append(config.statsEvery).append(", inverses every ").append(config.inverseEvery)
                .append(", EMA ").append(num(config.emaDecay))
                .append(config.klClip > 0 ? ", KL clip " + num(config.klClip) : "").append(config.eigenvalueCorrection ? ", EKFAC" : "")
                .append('\n');
        for (KfacLayer l : layers) {
            sb.append(String.format(Locale.ROOT, "  %-28s K-FAC-%-7s G %d×%d, A %d×%d%s%n", l.name(),
                    l.approximation().name().toLowerCase(Locale.ROOT), l.outputDim(), l.outputDim(), l.inputDim(),
                    l.inputDim(), l.hasBias() ? " (bias joint)" : ""));
        }
        String rule = (config.fallback == FallbackRule.ADAM ? "Adam" : "SGD") + " (lr " + num(config.fallbackLearningRate) + ")";
        for (Map.Entry<String, String> e : tiedLayers.entrySet()) {
            sb.append(String.format(Locale.ROOT, "  %-28s %s: its weight is tied to %s%n", e.getKey(), rule, e.getValue()));
        }
        for (String name : fallbackNames) sb.append(String.format(Locale.ROOT, "  %-28s %s%n", name, rule));
        return sb.toString();
    }

    private static String num(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
    }

    /** The layers K-FAC preconditions, in model order. */
    public List<KfacLayer> layers() {
        return layers;
    }

    /** The names of the parameters that get the fallback rule. */
    public List<String> fallbackParameters() {
        return List.copyOf(fallbackNames);
    }

    /** The current (moving-average) factors of a layer, or null before its first statistics step. */
    public KroneckerFactors factors(String layer) {
        for (int i = 0; i < layers.size(); i++) if (layers.get(i).name().equals(layer)) return state[i].factors();
        throw new IllegalArgumentException("KfacOptimizer: no K-FAC layer named '" + layer + "'; layers: " + layers);
    }

    /** The number of steps taken (skipped steps not counted). */
    public long steps() {
        return step;
    }

    /** The number of skipped steps. */
    public long skippedSteps() {
        return skipped;
    }

    /** The current damping (it moves with Levenberg–Marquardt). */
    public double damping() {
        return damping;
    }

    /** Stops listening to the model's layers; the optimizer cannot step afterwards. */
    public void close() {
        closed = true;
        capture.detach();
    }

    // ---------------------------------------------------------------- configuration

    /**
     * Options of the optimizer, with the defaults of common K-FAC implementations: those of {@link CurvatureOptions}
     * (one Monte Carlo sample per example by default), then the step, damping and intervals.
     */
    public static final class Builder extends CurvatureOptions<Builder> {
        private final Module model;
        private double learningRate = 0.1;
        private LrSchedule schedule = LrSchedule.constant();
        private double momentum = 0.9;
        private double weightDecay = 0;
        private double damping = 1e-3;
        private DampingMode dampingMode = DampingMode.EXACT;
        private int lmEvery = 0;
        private double emaDecay = 0.95;
        private int statsEvery = 1;
        private int inverseEvery = 10;
        private double klClip = 1e-3;
        private FallbackRule fallback = FallbackRule.ADAM;
        private double fallbackLearningRate = 1e-3;
        private PrintStream log = System.out;

        private Builder(Module model) {
            super(FisherType.MC);
            this.model = model;
        }

        public Builder learningRate(double lr) {
            if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("learningRate must be > 0, got " + lr);
            this.learningRate = lr;
            return this;
        }

        /** The factor of both learning rates (K-FAC and fallback) by step, e.g. a warm-up or cosine decay. */
        public Builder schedule(LrSchedule schedule) {
            this.schedule = schedule;
            return this;
        }

        public Builder momentum(double m) {
            if (!(m >= 0 && m < 1)) throw new IllegalArgumentException("momentum must be in [0, 1), got " + m);
            this.momentum = m;
            return this;
        }

        /** L2 weight decay, added to the gradient before preconditioning. */
        public Builder weightDecay(double wd) {
            if (!(wd >= 0) || Double.isInfinite(wd)) throw new IllegalArgumentException("weightDecay must be ≥ 0, got " + wd);
            this.weightDecay = wd;
            return this;
        }

        /** Tikhonov damping λ (the starting value with Levenberg–Marquardt). */
        public Builder damping(double d) {
            if (!(d > 0) || Double.isInfinite(d)) throw new IllegalArgumentException("damping must be > 0, got " + d);
            this.damping = d;
            return this;
        }

        public Builder dampingMode(DampingMode mode) {
            this.dampingMode = mode;
            return this;
        }

        /**
         * Levenberg–Marquardt adaptation of the damping every {@code every} steps; steps must then be taken with
         * {@link KfacOptimizer#step(Variable, Supplier)}.
         */
        public Builder levenbergMarquardt(int every) {
            if (every < 1) throw new IllegalArgumentException("levenbergMarquardt interval must be ≥ 1, got " + every);
            this.lmEvery = every;
            return this;
        }

        /** Decay of the factors' exponential moving average (0: only the latest batch). */
        public Builder emaDecay(double decay) {
            if (!(decay >= 0 && decay < 1)) throw new IllegalArgumentException("emaDecay must be in [0, 1), got " + decay);
            this.emaDecay = decay;
            return this;
        }

        public Builder statsEvery(int k) {
            if (k < 1) throw new IllegalArgumentException("statsEvery must be ≥ 1, got " + k);
            this.statsEvery = k;
            return this;
        }

        public Builder inverseEvery(int k) {
            if (k < 1) throw new IllegalArgumentException("inverseEvery must be ≥ 1, got " + k);
            this.inverseEvery = k;
            return this;
        }

        /** KL clipping bound κ (0 turns clipping off). */
        public Builder klClip(double kappa) {
            if (!(kappa >= 0) || Double.isInfinite(kappa)) throw new IllegalArgumentException("klClip must be ≥ 0, got " + kappa);
            this.klClip = kappa;
            return this;
        }

        /** The rule and learning rate for parameters outside every Kronecker block (default Adam, 1e-3). */
        public Builder fallback(FallbackRule rule, double learningRate) {
            if (!(learningRate >= 0)) throw new IllegalArgumentException("fallback learning rate must be ≥ 0, got " + learningRate);
            this.fallback = rule;
            this.fallbackLearningRate = learningRate;
            return this;
        }

        /** Where the rule table and skipped steps are reported (default System.out; null for silence). */
        public Builder log(PrintStream out) {
            this.log = out;
            return this;
        }

        public KfacOptimizer build() {
            if (eigenvalueCorrection && dampingMode != DampingMode.EXACT) {
                throw new IllegalArgumentException("EKFAC needs DampingMode.EXACT (its eigenvalues do not factor)");
            }
            if (eigenvalueCorrection && fisher == FisherType.FORWARD_ONLY) {
                throw new IllegalArgumentException("EKFAC needs output gradients; FORWARD_ONLY has none");
            }
            return new KfacOptimizer(this);
        }
    }
}
