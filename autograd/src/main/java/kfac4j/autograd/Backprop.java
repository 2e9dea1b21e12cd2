package kfac4j.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import kfac4j.tensor.Tensor;

/**
 * The reverse pass: an iterative topological sort of the nodes reachable from the output (no recursion, so graphs
 * of any depth work), then one sweep in reverse order that accumulates each variable's gradient, runs its hooks and
 * hands it to the node that produced it.
 */
final class Backprop {
    private Backprop() {
    }

    /**
     * Backpropagates {@code seed} from {@code output}. With {@code wanted == null}, gradients are accumulated into the
     * {@code grad} of every leaf that requires one; otherwise the gradients of the wanted variables are returned and
     * no leaf is touched.
     */
    static List<Variable> run(Variable output, Tensor seed, List<Variable> wanted, boolean keepGraph, boolean createGraph) {
        if (!output.requiresGrad()) {
            throw new IllegalStateException("backward: the output does not require a gradient (it depends on no"
                    + " variable that requires one, or was computed with recording disabled)");
        }
        if (!Arrays.equals(seed.shape(), output.value().shape())) {
            throw new IllegalArgumentException("backward: seed of shape " + Arrays.toString(seed.shape())
                    + " does not match the output's shape " + Arrays.toString(output.value().shape()));
        }
        if (seed.dtype() != output.value().dtype()) seed = seed.to(output.value().dtype());

        List<Node> order = topologicalOrder(output.node());
        Map<Variable, Variable> grads = new IdentityHashMap<>();
        Map<Variable, Variable> wantedGrads = new IdentityHashMap<>();
        java.util.Set<Variable> wantedSet = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        if (wanted != null) wantedSet.addAll(wanted);

        try (Grad.Scope s = createGraph ? Grad.enabled() : Grad.disabled()) {
            grads.put(output, Variable.constant(seed));
            // A leaf output (no node) only receives its seed.
            if (output.node() == null) deliver(output, grads.remove(output), wanted, wantedSet, wantedGrads);
            for (Node node : order) {
                Variable out = node.output;
                Variable g = grads.remove(out);
                if (g == null) continue; // no gradient flows here (e.g. every path was cut)
                g = out.runHooks(g);
                if (wantedSet.contains(out)) wantedGrads.put(out, g);
                Variable[] inputs = node.inputsRef();
                if (inputs == null) node.runBackward(g); // throws: freed graph
                Variable[] inGrads = node.runBackward(g);
                for (int i = 0; i < inputs.length; i++) {
                    if (inGrads[i] == null) continue;
                    Variable in = inputs[i];
                    if (in.node() == null) {
                        Variable prev = grads.get(in);
                        grads.put(in, prev == null ? inGrads[i] : prev.add(inGrads[i]));
                    } else {
                        grads.merge(in, inGrads[i], Variable::add);
                    }
                }
                if (!keepGraph) node.free();
            }
            // What remains in the map are leaves (and wanted non-leaves handled above).
            for (Map.Entry<Variable, Variable> e : grads.entrySet()) {
                deliver(e.getKey(), e.getValue(), wanted, wantedSet, wantedGrads);
            }
        }
        if (wanted == null) return List.of();
        List<Variable> result = new ArrayList<>(wanted.size());
        for (Variable w : wanted) {
            Variable g = wantedGrads.get(w);
            result.add(g != null ? g : Variable.constant(w.value().zerosLike()));
        }
        return result;
    }

    private static void deliver(Variable leaf, Variable g, List<Variable> wanted, java.util.Set<Variable> wantedSet,
                                Map<Variable, Variable> wantedGrads) {
        if (leaf.node() != null) return;
        g = leaf.runHooks(g);
        if (wanted == null) {
            if (leaf.requiresGrad()) leaf.accumulateGrad(g.value());
        } else if (wantedSet.contains(leaf)) {
            wantedGrads.put(leaf, g);
        }
    }

    /** Nodes reachable from {@code root}, each after every node that consumes its output (Kahn on an explicit stack). */
    static List<Node> topologicalOrder(Node root) {
        List<Node> order = new ArrayList<>();
        if (root == null) return order;
        // Count, for every reachable node, how many reachable nodes consume its output.
        Map<Node, Integer> consumers = new HashMap<>();
        ArrayDeque<Node> stack = new ArrayDeque<>();
        consumers.put(root, 0);
        stack.push(root);
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            Variable[] inputs = n.inputsRef();
            if (inputs == null) continue;
            for (Variable in : inputs) {
                Node p = in.node();
                if (p == null) continue;
                Integer c = consumers.get(p);
                if (c == null) {
                    consumers.put(p, 1);
                    stack.push(p);
                } else {
                    consumers.put(p, c + 1);
                }
            }
        }
        stack.push(root);
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            order.add(n);
            Variable[] inputs = n.inputsRef();
            if (inputs == null) continue;
            for (Variable in : inputs) {
                Node p = in.node();
                if (p == null) continue;
                int c = consumers.merge(p, -1, Integer::sum);
                if (c == 0) stack.push(p);
            }
        }
        return order;
    }
}
