package kfac4j.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import kfac4j.autograd.Variable;

/**
 * A layer or a model: named parameters, named child modules, a train/eval mode. Parameter and module names join with
 * dots and number list entries as PyTorch does ({@code blocks.0.attn.qkv.weight}), so state dicts move between the
 * two.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** The usual forward: one input, one output. Modules with other inputs offer their own {@code forward} overloads. */
    public Variable forward(Variable input) {
        throw new UnsupportedOperationException(getClass().getSimpleName()
                + " does not take a single variable input; use its own forward method");
    }

    protected final Parameter registerParameter(String name, Parameter p) {
        if (p == null) return null;
        if (parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name + "' is already used");
        }
        parameters.put(name, p);
        return p;
    }

    protected final <M extends Module> M registerModule(String name, M child) {
        if (parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name + "' is already used");
        }
        children.put(name, child);
        return child;
    }

    /** Direct children, by name, in registration order. */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Every parameter of this module and its descendants, by dotted name, in registration order. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collectParameters("", out);
        return out;
    }

    private void collectParameters(String prefix, Map<String, Parameter> out) {
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) out.putIfAbsent(prefix + e.getKey(), e.getValue());
        for (Map.Entry<String, Module> e : children.entrySet()) e.getValue().collectParameters(prefix + e.getKey() + ".", out);
    }

    /** Every distinct parameter (a parameter shared by two modules appears once). */
    public final List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        java.util.Set<Parameter> seen = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Parameter p : namedParameters().values()) if (seen.add(p)) out.add(p);
        return out;
    }

    /** This module (named "") and all descendants, by dotted name, parents before children. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String name, Map<String, Module> out) {
        out.putIfAbsent(name, this);
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collectModules(name.isEmpty() ? e.getKey() : name + "." + e.getKey(), out);
        }
    }

    /** Sets training mode here and in all descendants (dropout is active only in training). */
    public Module train(boolean on) {
        training = on;
        for (Module m : children.values()) m.train(on);
        return this;
    }

    /** Same as {@code train(false)}. */
    public Module eval() {
        return train(false);
    }

    public boolean isTraining() {
        return training;
    }

    /** Forgets the gradients of all parameters. */
    public void zeroGrad() {
        for (Parameter p : parameters()) p.zeroGrad();
    }
}
