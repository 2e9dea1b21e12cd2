package kfac4j.autograd;

import kfac4j.tensor.Tensor;

/**
 * One recorded operation of the tape: the inputs it read, the variable it produced and the rule that maps the
 * gradient of its output to gradients of its inputs. The rule is written in {@link Variable} operations, so running
 * it with graph recording on gives the graph of the gradient itself (double backward).
 *
 * <p>Other modules define new differentiable operations with {@link #record}; a loss that K-FAC must recognise
 * subclasses it to carry its own description (see {@link #record(Node, Tensor)}).
 */
public class Node {
    /**
     * The gradient rule: gradients of each input given the gradient of the output ({@code output} is the result of
     * the forward, for rules such as exp's that reuse it). Entries whose {@code needsGrad} is false may be null.
     */
    @FunctionalInterface
    public interface Backward {
        Variable[] apply(Variable gradOutput, Variable output, boolean[] needsGrad);
    }

    private final String op;
    private Variable[] inputs;
    private final boolean[] needsGrad;
    private final int[] savedVersions;
    private Backward backward;
    Variable output;

    protected Node(String op, Variable[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs.clone();
        this.backward = backward;
        this.needsGrad = new boolean[inputs.length];
        this.savedVersions = new int[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            needsGrad[i] = inputs[i].requiresGrad();
            savedVersions[i] = inputs[i].value().version();
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

    /** Attaches a node built by a subclass (its inputs must include at least one that requires a gradient). */
    public static Variable record(Node node, Tensor value) {
        if (!Grad.isEnabled() || !anyRequiresGrad(node.inputs)) return Variable.constant(value);
        Variable out = new Variable(value, true, node);
        node.output = out;
        return out;
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

    Variable[] runBackward(Variable gradOutput) {
        if (backward == null) {
            throw new IllegalStateException("backward through '" + op + "' a second time: its saved tensors were freed"
                    + " by the first backward; pass keepGraph=true to the first backward to run it again");
        }
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].value().version() != savedVersions[i]) {
                throw new IllegalStateException("a tensor saved for the backward of '" + op + "' (input " + i
                        + ", shape " + java.util.Arrays.toString(inputs[i].value().shape())
                        + ") was modified in place after it was saved; gradients would be wrong");
            }
        }
        Variable[] grads = backward.apply(gradOutput, output, needsGrad.clone());
        if (grads.length != inputs.length) {
            throw new IllegalStateException("backward of '" + op + "' returned " + grads.length + " gradients for "
                    + inputs.length + " inputs");
        }
        for (int i = 0; i < grads.length; i++) {
            if (grads[i] == null) continue;
            if (!needsGrad[i]) {
                grads[i] = null;
                continue;
            }
            if (!java.util.Arrays.equals(grads[i].value().shape(), inputs[i].value().shape())) {
                throw new IllegalStateException("backward of '" + op + "' produced a gradient of shape "
                        + java.util.Arrays.toString(grads[i].value().shape()) + " for input " + i + " of shape "
                        + java.util.Arrays.toString(inputs[i].value().shape()));
            }
        }
        return grads;
    }

    /** Drops the saved inputs and rule, so their tensors can be collected. */
    void free() {
        backward = null;
        inputs = null;
    }

    @Override
    public String toString() {
        return "Node(" + op + ")";
    }
}
