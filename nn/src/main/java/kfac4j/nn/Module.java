package kfac4j.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

/**
 * A layer or a model: named parameters, named child modules, a train/eval mode. Parameter and module names join with
 * dots and number list entries as PyTorch does ({@code blocks.0.attn.qkv.weight}), so state dicts move between the
 * two.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<Parameter, int[]> stateShapes = new java.util.IdentityHashMap<>();
    private boolean training = true;
    private Module parent;
    private String localName;
    private List<ForwardHook> forwardHooks;

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

    /**
     * Registers a parameter whose state-dict entry has another shape with the same row-major elements: a convolution
     * holds its weight as the (C_out, C_in·kh·kw) matrix a weight-sharing linear layer multiplies with, while PyTorch
     * saves it as (C_out, C_in, kh, kw).
     */
    protected final Parameter registerParameter(String name, Parameter p, int[] stateShape) {
        long n = 1;
        for (int d : stateShape) n *= d;
        if (n != p.numel()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": state shape " + Arrays.toString(stateShape)
                    + " does not hold the " + p.numel() + " elements of parameter '" + name + "'");
        }
        registerParameter(name, p);
        stateShapes.put(p, stateShape.clone());
        return p;
    }

    protected final <M extends Module> M registerModule(String name, M child) {
        if (parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name + "' is already used");
        }
        children.put(name, child);
        // The first parent names the child (a module shared by two parents keeps its first name).
        Module c = child;
        if (c.parent == null && c != this) {
            c.parent = this;
            c.localName = name;
        }
        return child;
    }

    /**
     * The module's dotted name in the model it was registered in, as its parameters are named in the state dict
     * ({@code blocks.0.fc1}); "" for a module that is not a child of another.
     */
    public final String name() {
        if (parent == null) return "";
        String p = parent.name();
        return p.isEmpty() ? localName : p + "." + localName;
    }

    /** The class and the dotted name, for error messages: {@code Linear 'blocks.0.fc1'}. */
    protected final String describe() {
        String n = name();
        return n.isEmpty() ? getClass().getSimpleName() : getClass().getSimpleName() + " '" + n + "'";
    }

    /** An error naming this layer, the expected and the actual shape. */
    protected final IllegalArgumentException shapeError(String expected, int[] actual) {
        return new IllegalArgumentException(describe() + ": expected input of shape " + expected + ", got "
                + Arrays.toString(actual));
    }

    /** Fails, naming this layer, when an input's dtype is not the layer's. */
    protected final void requireDtype(Variable x, DType expected) {
        if (x.dtype() != expected) {
            throw new IllegalArgumentException(describe() + ": input dtype " + x.dtype() + " differs from the layer's "
                    + expected);
        }
    }

    // ---------------------------------------------------------------- forward hooks

    /** Sees (and may replace) a module's output each time the module is invoked through {@link #call}. */
    @FunctionalInterface
    public interface ForwardHook {
        /** Returns the output to pass on: {@code output} itself, a replacement, or null for "unchanged". */
        Variable apply(Module module, Variable input, Variable output);
    }

    /** Registers a hook run after every {@link #call} of this module. */
    public final Variable.HookHandle registerForwardHook(ForwardHook hook) {
        if (forwardHooks == null) forwardHooks = new ArrayList<>();
        forwardHooks.add(hook);
        return () -> forwardHooks.remove(hook);
    }

    /**
     * {@link #forward} followed by the forward hooks, as PyTorch's {@code module(x)}. Containers invoke their
     * children this way, so hooks on any layer of a model fire when the model runs.
     */
    public final Variable call(Variable input) {
        Variable out = forward(input);
        if (forwardHooks == null) return out;
        for (ForwardHook h : List.copyOf(forwardHooks)) {
            Variable r = h.apply(this, input, out);
            if (r != null) out = r;
        }
        return out;
    }

    // ---------------------------------------------------------------- state dict

    /**
     * The parameter values by dotted name, in registration order, as PyTorch's {@code state_dict()}. The tensors are
     * the live values (optimizers update them in place); copy them to keep a snapshot.
     */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : stateShapesByName().entrySet()) {
            out.put(e.getKey(), namedParameters().get(e.getKey()).value().reshape(e.getValue()));
        }
        return out;
    }

    /** The shape of every state-dict entry, by name. */
    private Map<String, int[]> stateShapesByName() {
        Map<String, int[]> out = new LinkedHashMap<>();
        collectStateShapes("", out);
        return out;
    }

    private void collectStateShapes(String prefix, Map<String, int[]> out) {
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            int[] s = stateShapes.get(e.getValue());
            out.putIfAbsent(prefix + e.getKey(), s != null ? s : e.getValue().shape());
        }
        for (Map.Entry<String, Module> e : children.entrySet()) e.getValue().collectStateShapes(prefix + e.getKey() + ".", out);
    }

    /** {@link #loadStateDict(Map, boolean)} with {@code strict = true}. */
    public final void loadStateDict(Map<String, Tensor> state) {
        loadStateDict(state, true);
    }

    /**
     * Copies values into the parameters (converting the dtype where it differs). Fails, before changing anything,
     * with a message that names every mis-shaped key and, when {@code strict}, every missing and unexpected key.
     */
    public final void loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Parameter> mine = namedParameters();
        Map<String, int[]> shapes = stateShapesByName();
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), misShaped = new ArrayList<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            Tensor t = state.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(t.shape(), e.getValue())) {
                misShaped.add(e.getKey() + " (expected " + Arrays.toString(e.getValue()) + ", got "
                        + Arrays.toString(t.shape()) + ")");
            }
        }
        for (String k : new TreeMap<>(state).keySet()) if (!mine.containsKey(k)) unexpected.add(k);
        boolean fail = !misShaped.isEmpty() || strict && (!missing.isEmpty() || !unexpected.isEmpty());
        if (fail) {
            StringBuilder sb = new StringBuilder("loadStateDict into " + describe() + ":");
            if (strict && !missing.isEmpty()) sb.append(" missing keys ").append(missing).append(';');
            if (strict && !unexpected.isEmpty()) sb.append(" unexpected keys ").append(unexpected).append(';');
            if (!misShaped.isEmpty()) sb.append(" mis-shaped keys ").append(misShaped).append(';');
            sb.setLength(sb.length() - 1);
            throw new IllegalArgumentException(sb.toString());
        }
        for (Map.Entry<String, Parameter> e : mine.entrySet()) {
            Tensor t = state.get(e.getKey());
            if (t != null) e.getValue().value().copyFromInPlace(t.reshape(e.getValue().shape()));
        }
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
