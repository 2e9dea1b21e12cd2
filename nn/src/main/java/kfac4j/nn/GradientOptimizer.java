package kfac4j.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

/**
 * What first-order optimizers share: the parameter list, the base learning rate and its schedule, optional clipping
 * of the global gradient norm, a step counter, and per-parameter state tensors saved under PyTorch's names.
 */
public abstract class GradientOptimizer implements Optimizer {
    private final List<Parameter> params;
    private final List<Map<String, Tensor>> state;
    private double baseLr;
    private LrSchedule schedule = LrSchedule.constant();
    private double maxGradNorm = Double.POSITIVE_INFINITY;
    private long steps;

    protected GradientOptimizer(List<Parameter> parameters, double lr) {
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Parameter p : parameters) {
            if (!seen.add(p)) throw new IllegalArgumentException(name() + ": a parameter appears twice in the list");
        }
        this.params = List.copyOf(parameters);
        this.state = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) state.add(new LinkedHashMap<>());
        setLearningRate(lr);
    }

    private String name() {
        return getClass().getSimpleName();
    }

    /** Updates parameter {@code i} in place from its gradient at learning rate {@code lr}; {@code t} counts from 1. */
    protected abstract void update(Parameter p, Tensor grad, Map<String, Tensor> state, double lr, long t);

    /** The names of the state tensors every parameter has once it has been updated (for loading). */
    protected abstract List<String> stateNames();

    @Override
    public final void step() {
        if (maxGradNorm != Double.POSITIVE_INFINITY) Optimizer.clipGradNorm(params, maxGradNorm);
        double lr = learningRate();
        steps++;
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            Tensor g = p.grad();
            if (g == null) continue;
            update(p, g.dtype() == p.value().dtype() ? g : g.to(p.value().dtype()), state.get(i), lr, steps);
        }
    }

    @Override
    public final List<Parameter> parameters() {
        return params;
    }

    @Override
    public final double learningRate() {
        return baseLr * schedule.factor(steps);
    }

    @Override
    public final void setLearningRate(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException(name() + ": learning rate must be finite and ≥ 0, got " + lr);
        }
        this.baseLr = lr;
    }

    /** Sets the schedule that scales the base rate at every step. */
    public GradientOptimizer schedule(LrSchedule schedule) {
        this.schedule = schedule;
        return this;
    }

    /** Clips the global gradient norm to {@code maxNorm} before every step (see {@link Optimizer#clipGradNorm}). */
    public GradientOptimizer clipGradNorm(double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException(name() + ": max gradient norm must be > 0, got " + maxNorm);
        this.maxGradNorm = maxNorm;
        return this;
    }

    @Override
    public final long stepCount() {
        return steps;
    }

    @Override
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            for (Map.Entry<String, Tensor> e : state.get(i).entrySet()) out.put("state." + i + "." + e.getKey(), e.getValue());
        }
        out.put("step", Tensor.scalar(DType.F64, steps));
        return out;
    }

    @Override
    public final void loadStateDict(Map<String, Tensor> saved) {
        List<String> unexpected = new ArrayList<>(), misShaped = new ArrayList<>(), missing = new ArrayList<>();
        List<Map<String, Tensor>> loaded = new ArrayList<>();
        boolean[] mentioned = new boolean[params.size()];
        for (int i = 0; i < params.size(); i++) loaded.add(new LinkedHashMap<>());
        for (String key : new TreeSet<>(saved.keySet())) {
            if (key.equals("step")) continue;
            String[] parts = key.split("\\.", 3);
            int i = parts.length == 3 && parts[0].equals("state") && parts[1].matches("\\d{1,9}") ? Integer.parseInt(parts[1]) : -1;
            if (i < 0 || i >= params.size() || !stateNames().contains(parts[2])) {
                unexpected.add(key);
                continue;
            }
            mentioned[i] = true;
            Tensor t = saved.get(key);
            if (!Arrays.equals(t.shape(), params.get(i).shape())) {
                misShaped.add(key + " (expected " + Arrays.toString(params.get(i).shape()) + ", got "
                        + Arrays.toString(t.shape()) + ")");
                continue;
            }
            loaded.get(i).put(parts[2], t.to(params.get(i).value().dtype()).copy());
        }
        Tensor step = saved.get("step");
        if (step == null) missing.add("step");
        else if (step.numel() != 1) misShaped.add("step (expected one element, got " + Arrays.toString(step.shape()) + ")");
        // A parameter has either all of its state (it has been updated) or none.
        for (int i = 0; i < params.size(); i++) {
            if (!mentioned[i]) continue;
            for (String s : stateNames()) {
                if (!saved.containsKey("state." + i + "." + s)) missing.add("state." + i + "." + s);
            }
        }
        if (!unexpected.isEmpty() || !misShaped.isEmpty() || !missing.isEmpty()) {
            StringBuilder sb = new StringBuilder(name() + ".loadStateDict:");
            if (!missing.isEmpty()) sb.append(" missing keys ").append(missing).append(';');
            if (!unexpected.isEmpty()) sb.append(" unexpected keys ").append(unexpected).append(';');
            if (!misShaped.isEmpty()) sb.append(" mis-shaped keys ").append(misShaped).append(';');
            sb.setLength(sb.length() - 1);
            throw new IllegalArgumentException(sb.toString());
        }
        for (int i = 0; i < params.size(); i++) {
            state.get(i).clear();
            state.get(i).putAll(loaded.get(i));
        }
        steps = (long) step.item();
    }
}
