package kfac4j.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import kfac4j.tensor.Recycler;
import kfac4j.tensor.Tensor;

/**
 * The reverse pass: an iterative topological sort of the nodes reachable from the output (no recursion, so graphs
 * of any depth work), then one sweep in that order that sums each variable's incoming gradients, runs its hooks and
 * hands the total to the node that produced it.
 */
final class Backprop {
    private Backprop() {
    }

    /**
     * The gradient flowing into one variable, summed over its consumers. A sum this pass allocated itself is
     * {@code owned} and, when no graph is being recorded, further terms are added to it in place; a first term may be
     * shared (an add's rule hands the same gradient to both inputs) and is never written to. The sum holds one
     * reference to its tensor's storage in the pass's {@link Recycler}; a term added in is dropped once added.
     */
    private static final class Sum {
        Variable g;
        boolean owned;

        Sum(Variable g) {
            this.g = g;
        }

        void add(Variable term, boolean inPlace, Recycler recycler) {
            if (inPlace && owned) {
                g.value().addScaledInPlace(1, term.value());
            } else {
                Variable before = g;
                g = g.add(term);
                owned = true;
                recycler.retain(g.value());
                recycler.drop(before.value());
            }
            recycler.drop(term.value());
        }
    }

    /**
     * Backpropagates {@code seed} from {@code output}. With {@code wanted == null}, gradients are accumulated into the
     * {@code grad} of every leaf that requires one; otherwise the gradients of the wanted variables are returned, no
     * leaf is touched, and only the part of the graph that leads to a wanted variable is traversed.
     *
     * <p>Unless it records the graph of the gradients, the pass recycles the memory of the gradients it passes
     * between rules: it counts the references to each (the pending sum of a variable's gradients, and each gradient
     * a rule returns, which may share the storage of the gradient the rule was given) and, once a rule has consumed
     * its gradient and no reference is left, the storage is released for the next allocation of its size. A
     * gradient that an {@link Variable#onGrad} hook has seen (or a transient hook marked with {@link Grad#keep}),
     * that is wanted and returned, or that becomes a leaf's {@code grad} is never released.
     *
     * <p>Without {@code returning}, the wanted variables only bound the traversal ({@link Grad#reach}): their gradients
     * are passed on and recycled like any other, and nothing is returned.
     */
    static List<Variable> run(Variable output, Tensor seed, List<Variable> wanted, boolean keepGraph, boolean createGraph,
                              boolean returning) {
        if (seed == null) throw new IllegalArgumentException("backward: the seed is null");
        if (!output.requiresGrad()) {
            throw new IllegalStateException("backward: the output does not require a gradient (it depends on no"
                    + " variable that requires one, or was computed with recording disabled)");
        }
        if (!Arrays.equals(seed.shape(), output.value().shape())) {
            throw new IllegalArgumentException("backward: seed of shape " + Arrays.toString(seed.shape())
                    + " does not match the output's shape " + Arrays.toString(output.value().shape()));
        }
        if (seed.dtype() != output.value().dtype()) seed = seed.to(output.value().dtype());

        Set<Variable> wantedSet = Collections.newSetFromMap(new IdentityHashMap<>());
        if (wanted != null) wantedSet.addAll(wanted);
        List<Node> order = topologicalOrder(output.node());
        Set<Node> leadsToWanted = wanted == null ? null : leadingTo(order, wantedSet);
        Map<Variable, Sum> grads = new IdentityHashMap<>();
        Map<Variable, Variable> found = new IdentityHashMap<>();
        boolean inPlace = !createGraph;
        List<Tensor> aliased = new ArrayList<>(); // tensors a leaf's grad must not share storage with
        aliased.add(seed);

        try (Grad.Scope s = createGraph ? Grad.enabled() : Grad.disabled(); Grad.Scope k = Grad.keepingGraph(keepGraph);
             Recycler recycler = createGraph ? Recycler.openInactive() : Recycler.open()) {
            grads.put(output, new Sum(Variable.constant(seed)));
            for (Node node : order) {
                if (leadsToWanted != null && !leadsToWanted.contains(node)) continue;
                Variable out = node.output;
                Sum sum = grads.remove(out);
                if (sum == null) continue; // no gradient reaches this node (its consumers returned none)
                Variable g = out.runHooks(sum.g);
                if (out.hasHooks()) aliased.add(g.value());
                if (out.hooksMayKeep()) { // a hook may have kept either
                    recycler.pin(sum.g.value());
                    recycler.pin(g.value());
                }
                if (returning && wantedSet.contains(out)) {
                    found.put(out, g);
                    recycler.pin(g.value());
                }
                Variable[] inputs = node.inputsRef();
                boolean[] mask = mask(node, inputs, wantedSet, leadsToWanted);
                if (mask != null) {
                    Variable[] inGrads = node.runBackward(g, mask);
                    for (int i = 0; i < inGrads.length; i++) {
                        Variable gi = inGrads[i];
                        if (gi == null) continue;
                        recycler.retain(gi.value()); // before the drop below: gi may be g or a view of it
                        Sum prev = grads.get(inputs[i]);
                        if (prev == null) grads.put(inputs[i], new Sum(gi));
                        else prev.add(gi, inPlace, recycler);
                    }
                }
                recycler.drop(sum.g.value()); // consumed: released unless a returned gradient shares it
                if (!keepGraph) node.free();
            }
            // What remains are leaves (and a leaf output, which only receives its seed).
            for (Map.Entry<Variable, Sum> e : grads.entrySet()) {
                Variable leaf = e.getKey();
                if (leaf.node() != null) continue;
                Sum sum = e.getValue();
                Variable g = leaf.runHooks(sum.g);
                if (wanted != null) {
                    if (returning && wantedSet.contains(leaf)) found.put(leaf, g);
                } else if (leaf.requiresGrad()) {
                    if (leaf.hasHooks()) aliased.add(g.value());
                    leaf.accumulateGrad(ownedCopy(g.value(), g == sum.g && sum.owned && !leaf.hasHooks(), aliased));
                }
            }
        }
        if (!keepGraph) for (Node node : order) node.free();
        if (wanted == null || !returning) return List.of();
        List<Variable> result = new ArrayList<>(wanted.size());
        for (Variable w : wanted) {
            Variable g = found.get(w);
            result.add(g != null ? g : Variable.constant(w.value().zerosLike()));
        }
        return result;
    }

    /**
     * A gradient safe to keep as a leaf's {@code grad}, which optimizers may modify in place: contiguous and sharing
     * storage with no other stored gradient, the seed or a tensor a hook has seen (an add's rule passes one tensor to
     * both inputs; a sum's rule returns a broadcast view). A sum this pass allocated for the leaf is its own.
     */
    private static Tensor ownedCopy(Tensor t, boolean owned, List<Tensor> aliased) {
        boolean shared = !owned && !t.isContiguous();
        for (int i = 0; i < aliased.size() && !owned && !shared; i++) shared = t.sharesStorageWith(aliased.get(i));
        Tensor kept = shared ? t.copy() : t;
        aliased.add(kept);
        return kept;
    }

    /** Which inputs of {@code node} this pass wants a gradient for; null when none. */
    private static boolean[] mask(Node node, Variable[] inputs, Set<Variable> wanted, Set<Node> leadsToWanted) {
        if (inputs == null) return new boolean[0]; // a freed node: runBackward reports it
        boolean[] mask = new boolean[inputs.length];
        boolean any = false;
        for (int i = 0; i < inputs.length; i++) {
            boolean m = node.needsGrad(i);
            if (m && leadsToWanted != null) {
                Node p = inputs[i].node();
                m = wanted.contains(inputs[i]) || (p != null && leadsToWanted.contains(p));
            }
            mask[i] = m;
            any |= m;
        }
        return any ? mask : null;
    }

    /** The nodes of {@code order} whose output is wanted or depends on a wanted variable (one sweep from the inputs). */
    private static Set<Node> leadingTo(List<Node> order, Set<Variable> wanted) {
        Set<Node> leads = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int k = order.size() - 1; k >= 0; k--) {
            Node n = order.get(k);
            boolean l = wanted.contains(n.output);
            Variable[] inputs = n.inputsRef();
            if (inputs == null) l = true; // freed: keep it so the error surfaces
            for (int i = 0; !l && i < inputs.length; i++) {
                Node p = inputs[i].node();
                l = wanted.contains(inputs[i]) || (p != null && leads.contains(p));
            }
            if (l) leads.add(n);
        }
        return leads;
    }

    /** Nodes reachable from {@code root}, each after every node that consumes its output (Kahn on an explicit stack). */
    static List<Node> topologicalOrder(Node root) {
        List<Node> order = new ArrayList<>();
        if (root == null) return order;
        // Count, for every reachable node, how many edges from reachable nodes point at it.
        Map<Node, int[]> consumers = new IdentityHashMap<>();
        ArrayDeque<Node> stack = new ArrayDeque<>();
        consumers.put(root, new int[1]);
        stack.push(root);
        while (!stack.isEmpty()) {
            Variable[] inputs = stack.pop().inputsRef();
            if (inputs == null) continue;
            for (Variable in : inputs) {
                Node p = in.node();
                if (p == null) continue;
                int[] c = consumers.get(p);
                if (c == null) {
                    consumers.put(p, new int[]{1});
                    stack.push(p);
                } else {
                    c[0]++;
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
                if (p != null && --consumers.get(p)[0] == 0) stack.push(p);
            }
        }
        return order;
    }
}
