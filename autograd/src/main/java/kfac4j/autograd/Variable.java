package kfac4j.autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

/**
 * A tensor on the tape: its value, whether it needs a gradient, the gradient accumulated by {@link #backward()}
 * (leaves only), and the {@link Node} that produced it (null for leaves and constants).
 *
 * <p>Every differentiable operation is a method here with its forward and its backward side by side. Backward rules
 * are written with these same operations, so gradients can be differentiated again (see {@link Grad#grad}).
 * Broadcasting is undone by {@link #sumTo}.
 */
public final class Variable {
    private final Tensor value;
    private final boolean requiresGrad;
    private final Node node;
    private Tensor grad;
    private List<UnaryOperator<Variable>> hooks;

    Variable(Tensor value, boolean requiresGrad, Node node) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.node = node;
    }

    /** A value that never needs a gradient. */
    public static Variable constant(Tensor value) {
        return new Variable(value, false, null);
    }

    /** A leaf that accumulates a gradient: a parameter or an input to differentiate with respect to. */
    public static Variable leaf(Tensor value) {
        return new Variable(value, true, null);
    }

    public Tensor value() {
        return value;
    }

    /** The gradient accumulated by backward passes (leaves only), or null before the first. */
    public Tensor grad() {
        return grad;
    }

    /** Forgets the accumulated gradient. */
    public void zeroGrad() {
        grad = null;
    }

    /** Replaces the accumulated gradient (for optimizers that clip or rescale it). */
    public void setGrad(Tensor g) {
        if (g != null && !Arrays.equals(g.shape(), value.shape())) {
            throw new IllegalArgumentException("setGrad: gradient of shape " + Arrays.toString(g.shape())
                    + " does not match the variable's shape " + Arrays.toString(value.shape()));
        }
        grad = g;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** The node that produced this variable; null for leaves and constants. */
    public Node node() {
        return node;
    }

    public boolean isLeaf() {
        return node == null;
    }

    public int[] shape() {
        return value.shape();
    }

    public DType dtype() {
        return value.dtype();
    }

    /** A constant with the same value: gradients do not flow through it. */
    public Variable detach() {
        return constant(value);
    }

    void accumulateGrad(Tensor g) {
        grad = grad == null ? g : grad.add(g);
    }

    // ---------------------------------------------------------------- backward and hooks

    /** Backpropagates from a one-element output (seed 1); accumulates into the leaves' gradients; frees the graph. */
    public void backward() {
        if (value.numel() != 1) {
            throw new IllegalStateException("backward: the output has shape " + Arrays.toString(value.shape())
                    + "; backward() without a seed needs a single-element output, use backward(seed)");
        }
        backward(value.onesLike(), false);
    }

    /** Backpropagates {@code seed} (the output's shape) and frees the graph. */
    public void backward(Tensor seed) {
        backward(seed, false);
    }

    /** Backpropagates {@code seed}; with {@code keepGraph} the graph survives for another backward pass. */
    public void backward(Tensor seed, boolean keepGraph) {
        Backprop.run(this, seed, null, keepGraph, false);
    }

    /** Removes a hook registered by {@link #onGrad}. */
    public interface HookHandle {
        void remove();
    }

    /**
     * Registers a hook that sees the total gradient with respect to this variable during every backward pass and
     * returns the gradient to pass on (the same one, or a replacement of the same shape).
     */
    public HookHandle onGrad(UnaryOperator<Variable> hook) {
        if (hooks == null) hooks = new ArrayList<>();
        hooks.add(hook);
        return () -> hooks.remove(hook);
    }

    Variable runHooks(Variable g) {
        if (hooks == null) return g;
        for (UnaryOperator<Variable> h : List.copyOf(hooks)) {
            Variable r = h.apply(g);
            if (r == null) continue;
            if (!Arrays.equals(r.value.shape(), value.shape())) {
                throw new IllegalStateException("a gradient hook returned shape " + Arrays.toString(r.value.shape())
                        + " for a variable of shape " + Arrays.toString(value.shape()));
            }
            g = r;
        }
        return g;
    }

    private static Variable[] in(Variable... v) {
        return v;
    }

    private static Variable c(Tensor t) {
        return constant(t);
    }

    // ---------------------------------------------------------------- broadcasting

    /** Sums over broadcast axes so the result has {@code shape}: the adjoint of broadcasting. */
    public Variable sumTo(int... shape) {
        int[] s = value.shape();
        if (Arrays.equals(s, shape)) return this;
        if (shape.length > s.length) {
            throw new IllegalArgumentException("sumTo: cannot reduce shape " + Arrays.toString(s) + " to larger rank "
                    + Arrays.toString(shape));
        }
        int lead = s.length - shape.length;
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < s.length; i++) {
            if (i < lead) axes.add(i);
            else if (shape[i - lead] == 1 && s[i] != 1) axes.add(i);
            else if (shape[i - lead] != s[i]) {
                throw new IllegalArgumentException("sumTo: shape " + Arrays.toString(s) + " does not broadcast from "
                        + Arrays.toString(shape));
            }
        }
        int[] ax = axes.stream().mapToInt(Integer::intValue).toArray();
        Tensor out = value.sum(ax, true);
        if (lead > 0) out = out.reshape(shape);
        final int[] from = s;
        return Node.record("sumTo", out, in(this), (g, o, n) -> in(g.expand(from)));
    }

    /** Broadcast to a larger shape (PyTorch's expand); the backward sums back. */
    public Variable expand(int... shape) {
        int[] from = value.shape();
        Tensor out = value.expand(shape);
        return Node.record("expand", out, in(this), (g, o, n) -> in(g.sumTo(from)));
    }

    // ---------------------------------------------------------------- arithmetic

    public Variable add(Variable b) {
        Variable a = this;
        return Node.record("add", a.value.add(b.value), in(a, b), (g, o, n) -> in(
                n[0] ? g.sumTo(a.value.shape()) : null,
                n[1] ? g.sumTo(b.value.shape()) : null));
    }

    public Variable sub(Variable b) {
        Variable a = this;
        return Node.record("sub", a.value.sub(b.value), in(a, b), (g, o, n) -> in(
                n[0] ? g.sumTo(a.value.shape()) : null,
                n[1] ? g.neg().sumTo(b.value.shape()) : null));
    }

    public Variable mul(Variable b) {
        Variable a = this;
        return Node.record("mul", a.value.mul(b.value), in(a, b), (g, o, n) -> in(
                n[0] ? g.mul(b).sumTo(a.value.shape()) : null,
                n[1] ? g.mul(a).sumTo(b.value.shape()) : null));
    }

    /** a / b; ∂/∂b = −a / b². */
    public Variable div(Variable b) {
        Variable a = this;
        return Node.record("div", a.value.div(b.value), in(a, b), (g, o, n) -> in(
                n[0] ? g.div(b).sumTo(a.value.shape()) : null,
                n[1] ? g.mul(o).div(b).neg().sumTo(b.value.shape()) : null));
    }

    public Variable add(double s) {
        return Node.record("add", value.add(s), in(this), (g, o, n) -> in(g));
    }

    public Variable sub(double s) {
        return add(-s);
    }

    public Variable mul(double s) {
        return Node.record("mul", value.mul(s), in(this), (g, o, n) -> in(g.mul(s)));
    }

    public Variable div(double s) {
        return mul(1.0 / s);
    }

    public Variable neg() {
        return Node.record("neg", value.neg(), in(this), (g, o, n) -> in(g.neg()));
    }

    /** x^p for a constant p; d/dx = p x^(p−1). */
    public Variable pow(double p) {
        Variable x = this;
        return Node.record("pow", value.pow(p), in(x), (g, o, n) -> in(g.mul(x.pow(p - 1).mul(p))));
    }

    public Variable square() {
        Variable x = this;
        return Node.record("square", value.square(), in(x), (g, o, n) -> in(g.mul(x).mul(2)));
    }

    // ---------------------------------------------------------------- elementwise functions

    /** d exp(x) = exp(x): reuses the output. */
    public Variable exp() {
        return Node.record("exp", value.exp(), in(this), (g, o, n) -> in(g.mul(o)));
    }

    public Variable log() {
        Variable x = this;
        return Node.record("log", value.log(), in(x), (g, o, n) -> in(g.div(x)));
    }

    public Variable log1p() {
        Variable x = this;
        return Node.record("log1p", value.log1p(), in(x), (g, o, n) -> in(g.div(x.add(1))));
    }

    /** d √x = 1 / (2 √x). */
    public Variable sqrt() {
        return Node.record("sqrt", value.sqrt(), in(this), (g, o, n) -> in(g.div(o).mul(0.5)));
    }

    /** d x^(−1/2) = −x^(−3/2) / 2 = −out³ / 2. */
    public Variable rsqrt() {
        return Node.record("rsqrt", value.rsqrt(), in(this), (g, o, n) -> in(g.mul(o.pow(3)).mul(-0.5)));
    }

    /** d |x| = sign(x) (0 at 0, as PyTorch). */
    public Variable abs() {
        Variable x = this;
        return Node.record("abs", value.abs(), in(x), (g, o, n) -> in(g.mul(c(x.value.sign()))));
    }

    /** d tanh = 1 − tanh². */
    public Variable tanh() {
        return Node.record("tanh", value.tanh(), in(this), (g, o, n) -> in(g.mul(o.square().neg().add(1))));
    }

    /** d σ = σ (1 − σ). */
    public Variable sigmoid() {
        return Node.record("sigmoid", value.sigmoid(), in(this), (g, o, n) -> in(g.mul(o.mul(o.neg().add(1)))));
    }

    /** d relu = 1 where x > 0 (0 at 0, as PyTorch). */
    public Variable relu() {
        Variable x = this;
        return Node.record("relu", value.relu(), in(x), (g, o, n) -> in(g.mul(c(x.value.gt(0)))));
    }

    /** The error function; d erf(x) = 2/√π · exp(−x²). */
    public Variable erf() {
        Variable x = this;
        return Node.record("erf", value.erf(), in(x),
                (g, o, n) -> in(g.mul(x.square().neg().exp().mul(2 / Math.sqrt(Math.PI)))));
    }

    /** GELU, exact: x Φ(x); d/dx = Φ(x) + x φ(x), with Φ the normal CDF and φ its density. */
    public Variable gelu() {
        Variable x = this;
        return Node.record("gelu", value.gelu(), in(x), (g, o, n) -> {
            Variable cdf = x.mul(1 / Math.sqrt(2)).erf().add(1).mul(0.5);
            Variable pdf = x.square().mul(-0.5).exp().mul(1 / Math.sqrt(2 * Math.PI));
            return in(g.mul(cdf.add(x.mul(pdf))));
        });
    }

    /**
     * GELU, tanh form: x/2 (1 + tanh u), u = √(2/π)(x + 0.044715 x³);
     * d/dx = (1 + tanh u)/2 + x/2 (1 − tanh² u) √(2/π)(1 + 3·0.044715 x²).
     */
    public Variable geluTanh() {
        Variable x = this;
        return Node.record("geluTanh", value.geluTanh(), in(x), (g, o, n) -> {
            double k = Math.sqrt(2 / Math.PI);
            Variable t = x.add(x.pow(3).mul(0.044715)).mul(k).tanh();
            Variable du = x.square().mul(3 * 0.044715).add(1).mul(k);
            Variable d = t.add(1).mul(0.5).add(x.mul(0.5).mul(t.square().neg().add(1)).mul(du));
            return in(g.mul(d));
        });
    }

    public Variable sin() {
        Variable x = this;
        return Node.record("sin", value.sin(), in(x), (g, o, n) -> in(g.mul(x.cos())));
    }

    public Variable cos() {
        Variable x = this;
        return Node.record("cos", value.cos(), in(x), (g, o, n) -> in(g.mul(x.sin()).neg()));
    }

    /** Elements of {@code ifTrue} where the constant mask is non-zero, else of {@code ifFalse}; both broadcast. */
    public static Variable where(Tensor condition, Variable ifTrue, Variable ifFalse) {
        Tensor out = Tensor.where(condition, ifTrue.value, ifFalse.value);
        return Node.record("where", out, in(ifTrue, ifFalse), (g, o, n) -> {
            Variable zero = c(g.value.zerosLike());
            return in(n[0] ? where(condition, g, zero).sumTo(ifTrue.value.shape()) : null,
                    n[1] ? where(condition, zero, g).sumTo(ifFalse.value.shape()) : null);
        });
    }

    /** This variable with {@code fill} wherever the (broadcast) constant mask is non-zero; no gradient flows there. */
    public Variable maskedFill(Tensor mask, double fill) {
        Tensor keep = mask.eq(0);
        return Node.record("maskedFill", value.maskedFill(mask, fill), in(this),
                (g, o, n) -> in(g.mul(c(keep)).sumTo(value.shape())));
    }

    // ---------------------------------------------------------------- reductions

    /** The shape of a reduction over {@code axes} with the reduced axes kept as size 1. */
    private static int[] keptShape(int[] shape, int[] axes) {
        int[] kept = shape.clone();
        for (int a : axes) kept[Math.floorMod(a, shape.length)] = 1;
        return kept;
    }

    public Variable sum() {
        int[] all = new int[value.rank()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        return sum(all, false);
    }

    /** Sum over axes; the backward broadcasts the gradient back over them. */
    public Variable sum(int[] axes, boolean keepDim) {
        int[] from = value.shape();
        int[] kept = keptShape(from, axes);
        return Node.record("sum", value.sum(axes, keepDim), in(this), (g, o, n) -> in(g.reshape(kept).expand(from)));
    }

    public Variable sum(int axis) {
        return sum(new int[]{axis}, false);
    }

    public Variable mean() {
        return sum().div(Math.max(1, value.numel()));
    }

    /** Mean over axes: the sum divided by the number of elements reduced. */
    public Variable mean(int[] axes, boolean keepDim) {
        long count = 1;
        for (int a : axes) count *= value.size(a);
        return sum(axes, keepDim).div(count);
    }

    public Variable mean(int axis) {
        return mean(new int[]{axis}, false);
    }

    /** Softmax along an axis; d = s ⊙ (g − Σ g ⊙ s). */
    public Variable softmax(int axis) {
        return Node.record("softmax", value.softmax(axis), in(this),
                (g, s, n) -> in(s.mul(g.sub(g.mul(s).sum(new int[]{axis}, true)))));
    }

    /** Log-softmax along an axis; d = g − softmax ⊙ Σ g. */
    public Variable logSoftmax(int axis) {
        return Node.record("logSoftmax", value.logSoftmax(axis), in(this),
                (g, o, n) -> in(g.sub(o.exp().mul(g.sum(new int[]{axis}, true)))));
    }

    /** log Σ exp over axes; d = g ⊙ softmax(x). */
    public Variable logsumexp(int[] axes, boolean keepDim) {
        Variable x = this;
        int[] from = value.shape();
        int[] kept = keptShape(from, axes);
        return Node.record("logsumexp", value.logsumexp(axes, keepDim), in(x),
                (g, o, n) -> in(g.reshape(kept).expand(from).mul(x.sub(o.reshape(kept)).exp())));
    }

    // ---------------------------------------------------------------- shape

    public Variable reshape(int... shape) {
        int[] from = value.shape();
        return Node.record("reshape", value.reshape(shape), in(this), (g, o, n) -> in(g.reshape(from)));
    }

    public Variable permute(int... order) {
        int[] inverse = new int[order.length];
        for (int i = 0; i < order.length; i++) inverse[Math.floorMod(order[i], order.length)] = i;
        return Node.record("permute", value.permute(order), in(this), (g, o, n) -> in(g.permute(inverse)));
    }

    public Variable transpose(int axis0, int axis1) {
        return Node.record("transpose", value.transpose(axis0, axis1), in(this),
                (g, o, n) -> in(g.transpose(axis0, axis1)));
    }

    /** The transpose of the last two axes. */
    public Variable mT() {
        return transpose(-2, -1);
    }

    public Variable unsqueeze(int axis) {
        return reshape(value.unsqueeze(axis).shape());
    }

    public Variable squeeze(int axis) {
        return reshape(value.squeeze(axis).shape());
    }

    /** Axes {@code start..end} merged into one. */
    public Variable flatten(int startAxis, int endAxis) {
        return reshape(value.flatten(startAxis, endAxis).shape());
    }

    /** {@code length} entries along an axis from {@code start}; the backward pads with zeros. */
    public Variable narrow(int axis, int start, int length) {
        int a = Math.floorMod(axis, value.rank());
        int size = value.size(a);
        return Node.record("narrow", value.narrow(a, start, length), in(this), (g, o, n) -> {
            int[] before = new int[value.rank()], after = new int[value.rank()];
            before[a] = start;
            after[a] = size - start - length;
            return in(g.pad(before, after));
        });
    }

    /** Zero padding: {@code before[i]}/{@code after[i]} entries on each side of axis i; the backward crops. */
    public Variable pad(int[] before, int[] after) {
        Tensor out = value.pad(before, after, 0);
        return Node.record("pad", out, in(this), (g, o, n) -> {
            Variable r = g;
            for (int i = 0; i < before.length; i++) {
                if (before[i] != 0 || after[i] != 0) r = r.narrow(i, before[i], value.size(i));
            }
            return in(r);
        });
    }

    /** One entry along an axis, the axis removed. */
    public Variable select(int axis, int index) {
        int a = Math.floorMod(axis, value.rank());
        int k = Math.floorMod(index, value.size(a));
        return narrow(a, k, 1).squeeze(a);
    }

    // ---------------------------------------------------------------- matmul

    /**
     * Matrix product with NumPy semantics (batched, broadcast batch axes, 1-D operands promoted).
     * For C = A B: ∂A = G Bᵀ and ∂B = Aᵀ G, each summed over the batch axes it was broadcast along.
     */
    public Variable matmul(Variable b) {
        Variable a = this;
        if (a.value.rank() == 1) return a.unsqueeze(0).matmul(b).squeeze(-2);
        if (b.value.rank() == 1) return a.matmul(b.unsqueeze(1)).squeeze(-1);
        return Node.record("matmul", a.value.matmul(b.value), in(a, b), (g, o, n) -> in(
                n[0] ? g.matmul(b.mT()).sumTo(a.value.shape()) : null,
                n[1] ? a.mT().matmul(g).sumTo(b.value.shape()) : null));
    }

    @Override
    public String toString() {
        return "Variable(" + value + (node != null ? ", op=" + node.op() : requiresGrad ? ", leaf" : "") + ")";
    }
}
