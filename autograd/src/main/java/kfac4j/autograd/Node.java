package kfac4j.autograd;

import java.util.Arrays;

import kfac4j.tensor.Tensor;

/**
 * One recorded operation of the tape: the inputs it read, the variable it produced and the rule that maps the
 * gradient of its output to gradients of its inputs. The rule is written in {@link Variable} operations, so running
 * it with graph recording on gives the graph of the gradient itself (double backward).
 *
 * <p>The node remembers the version of every tensor its rule may read (its inputs' values, its output's value and any
 * extra tensor passed to {@link #saveForBackward}); a backward pass that finds one of them modified in place since the
 * forward refuses to run, because the gradient would silently be wrong.
 *
 * <p>Other modules define new differentiable operations with {@link #record}; a loss that K-FAC must recognise
 * subclasses it to carry its own description (see {@link #record(Node, Tensor)}).
 */
public class Node {
    /**
     * The gradient rule: gradients of each input given the gradient of the output ({@code output} is the result of
     * the forward, for rules such as exp's that reuse it). {@code needsGrad[i]} says whether this backward pass wants
     * the gradient of input i; rules return null there instead of computing it.
     *
     * <p>{@code gradOutput} and the gradients a rule returns belong to the backward pass, which releases their
     * memory for reuse once their last consumer has run ({@link kfac4j.tensor.Recycler}). A rule may return
     * {@code gradOutput} itself or a view of it, but must not keep either beyond its return: a kept one fails on its
     * next use. A rule that needs a gradient later keeps a copy.
     */
    @FunctionalInterface
    public interface Backward {
        Variable[] apply(Variable gradOutput, Variable output, boolean[] needsGrad);
    }

    private static final Tensor[] NONE = new Tensor[0];

    private final String op;
    private Variable[] inputs;
    private final boolean[] needsGrad;
    private final int[] inputVersions;
    private Tensor[] saved = NONE;
    private int[] savedVersions;
    private int outputVersion;
    private Backward backward;
    Variable output;

    protected Node(String op, Variable[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs.clone();
        this.backward = backward;
        this.needsGrad = new boolean[inputs.length];
        this.inputVersions = new int[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            needsGrad[i] = inputs[i].requiresGrad();
            inputVersions[i] = inputs[i].value().version();
        }
    }

    /**
     * The result of a differentiable operation: {@code value}, computed by the caller from {@code inputs}, and the
     * rule for its gradient. When no input needs a gradient, or recording is off ({@link Grad#disabled()}), the
     * result is a constant and nothing is recorded.
     */
    public static Variable record(String op, Tensor value, Variable[] inputs, Backward backward) {
        if (!Grad.isEnabled() || !anyRequiresGrad(inputs)) return Variable.constant(value);
        return record(new Node(op, inputs, backward), value);
    }

    /**
     * As {@link #record(String, Tensor, Variable[], Backward)}, for a rule that also reads tensors other than its
     * inputs' and output's values (an index, a mask): their in-place modification before the backward is detected.
     */
    public static Variable record(String op, Tensor value, Variable[] inputs, Backward backward, Tensor... saved) {
        if (!Grad.isEnabled() || !anyRequiresGrad(inputs)) return Variable.constant(value);
        Node node = new Node(op, inputs, backward);
        node.saveForBackward(saved);
        return record(node, value);
    }

    /** Attaches a node built by a subclass (its inputs must include at least one that requires a gradient). */
    public static Variable record(Node node, Tensor value) {
        if (!Grad.isEnabled() || !anyRequiresGrad(node.inputs)) return Variable.constant(value);
        Variable out = new Variable(value, true, node);
        node.output = out;
        node.outputVersion = value.version();
        return out;
    }

    /** Declares extra tensors the rule reads, so that modifying them in place before the backward is an error. */
    protected final void saveForBackward(Tensor... tensors) {
        saved = tensors.clone();
        savedVersions = new int[saved.length];
        for (int i = 0; i < saved.length; i++) savedVersions[i] = saved[i].version();
    }

    static boolean anyRequiresGrad(Variable[] inputs) {
        for (Variable v : inputs) if (v.requiresGrad()) return true;
        return false;
    }

    /** The operation's name, for error messages and debugging. */
    public String op() {
        return op;
    }

    /** The inputs, or an empty array once the graph has been freed. */
    public Variable[] inputs() {
        return inputs == null ? new Variable[0] : inputs.clone();
    }

    /** The variable this node produced. */
    public Variable output() {
        return output;
    }

    Variable[] inputsRef() {
        return inputs;
    }

    boolean needsGrad(int i) {
        return needsGrad[i];
    }

    boolean isFreed() {
        return backward == null;
    }

    /**
     * Runs the rule for the inputs marked in {@code wanted} (a subset of those that require a gradient) and checks
     * what it returns: one gradient per wanted input, each of its input's shape, cast to its input's dtype.
     */
    Variable[] runBackward(Variable gradOutput, boolean[] wanted) {
        if (backward == null) {
            throw new IllegalStateException("backward through '" + op + "' a second time: its saved tensors were freed"
                    + " by the first backward; pass keepGraph=true to the first backward to run it again");
        }
        checkVersions();
        Variable[] grads = backward.apply(gradOutput, output, wanted);
        if (grads.length != inputs.length) {
            throw new IllegalStateException("backward of '" + op + "' returned " + grads.length + " gradients for "
                    + inputs.length + " inputs");
        }
        for (int i = 0; i < grads.length; i++) {
            if (grads[i] == null) continue;
            if (!wanted[i]) {
                grads[i] = null;
                continue;
            }
            Tensor in = inputs[i].value();
            if (!Arrays.equals(grads[i].value().shape(), in.shape())) {
                throw new IllegalStateException("backward of '" + op + "' produced a gradient of shape "
                        + Arrays.toString(grads[i].value().shape()) + " for input " + i + " of shape "
                        + Arrays.toString(in.shape()));
            }
            // Gradients have their variable's dtype, as in PyTorch (an F32 input of an op promoted to F64).
            if (grads[i].dtype() != in.dtype()) grads[i] = grads[i].to(in.dtype());
        }
        return grads;
    }

    private void checkVersions() {
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = inputs[i].value();
            if (t.version() != inputVersions[i]) throw modified("input " + i, t, inputVersions[i]);
        }
        Tensor o = output.value();
        if (o.version() != outputVersion) throw modified("its output", o, outputVersion);
        for (int i = 0; i < saved.length; i++) {
            if (saved[i].version() != savedVersions[i]) throw modified("saved tensor " + i, saved[i], savedVersions[i]);
        }
    }

    private IllegalStateException modified(String what, Tensor t, int version) {
        return new IllegalStateException("backward of '" + op + "': " + what + " (shape "
                + Arrays.toString(t.shape()) + ") was modified in place after the forward saved it (version "
                + version + ", now " + t.version() + "); the gradient would be wrong. Run the forward again after"
                + " the modification, or modify a copy");
    }

    /** Drops the saved inputs, tensors and rule, so that they can be collected. */
    void free() {
        backward = null;
        inputs = null;
        saved = NONE;
    }

    @Override
    public String toString() {
        return "Node(" + op + ")";
    }
}
