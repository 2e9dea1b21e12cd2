package kfac4j.autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

import kfac4j.tensor.ConvGeometry;
import kfac4j.tensor.DType;
import kfac4j.tensor.Recycler;
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
    private int keepingHooks;

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

    /**
     * The gradient accumulated by backward passes (leaves only), or null before the first. It is this variable's own
     * contiguous tensor, shared with no other gradient and not with a backward seed, so optimizers may modify it in
     * place.
     */
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

    /**
     * Backpropagates {@code seed} (the output's shape: the vector in the vector-Jacobian product) and frees the graph.
     */
    public void backward(Tensor seed) {
        backward(seed, false);
    }

    /**
     * Backpropagates {@code seed}, adding into the leaves' gradients; with {@code keepGraph} the graph survives for
     * another backward pass (with another seed, as the type-2 Fisher's passes do), otherwise its saved tensors are
     * released as the pass goes and a second pass is an error.
     */
    public void backward(Tensor seed, boolean keepGraph) {
        Backprop.run(this, seed, null, keepGraph, false, false);
    }

    /** Removes a hook registered by {@link #onGrad}. */
    public interface HookHandle {
        void remove();
    }

    /**
     * Registers a hook that sees the total gradient with respect to this variable during every backward pass (also
     * {@link Grad#grad}) and returns the gradient to pass on: a replacement of the same shape, or null to pass it on
     * unchanged. Hooks run in registration order, once per pass, after all contributions are summed; on a leaf they
     * run before the gradient is accumulated. A variable that needs no gradient never receives one, so its hooks never
     * run.
     */
    public HookHandle onGrad(UnaryOperator<Variable> hook) {
        return addHook(hook, true);
    }

    /**
     * As {@link #onGrad}, for a hook that keeps nothing it sees, nor what it returns, beyond its return unless it
     * marks it with {@link Grad#keep}: the backward pass may then recycle the gradient's memory once it has been
     * consumed, which it never does for a gradient an {@link #onGrad} hook has seen. A hook that only sometimes keeps
     * the gradient (K-FAC's capture, during a Fisher pass but not during the true backward) costs nothing otherwise.
     */
    public HookHandle onGradTransient(UnaryOperator<Variable> hook) {
        return addHook(hook, false);
    }

    private HookHandle addHook(UnaryOperator<Variable> hook, boolean mayKeep) {
        if (hooks == null) hooks = new ArrayList<>();
        hooks.add(hook);
        if (mayKeep) keepingHooks++;
        return () -> {
            if (hooks.remove(hook) && mayKeep) keepingHooks--;
        };
    }

    boolean hasHooks() {
        return hooks != null && !hooks.isEmpty();
    }

    /** Whether a hook registered with {@link #onGrad} may keep the gradients it sees. */
    boolean hooksMayKeep() {
        return keepingHooks > 0;
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

    /** Division by a constant (a true division, not a multiplication by 1/s, so values match PyTorch's). */
    public Variable div(double s) {
        return Node.record("div", value.div(s), in(this), (g, o, n) -> in(g.div(s)));
    }

    /** {@code s − x}. */
    public Variable rsub(double s) {
        return neg().add(s);
    }

    public Variable neg() {
        return Node.record("neg", value.neg(), in(this), (g, o, n) -> in(g.neg()));
    }

    /** 1 / x; d = −1 / x² = −out². */
    public Variable reciprocal() {
        return Node.record("reciprocal", value.reciprocal(), in(this), (g, o, n) -> in(g.mul(o.square()).neg()));
    }

    /** x^y elementwise (broadcast); ∂x = y x^(y−1), ∂y = x^y log x (so x must be positive where y needs a gradient). */
    public Variable pow(Variable exponent) {
        Variable x = this, y = exponent;
        return Node.record("pow", x.value.pow(y.value), in(x, y), (g, o, n) -> in(
                n[0] ? g.mul(y).mul(x.pow(y.sub(c(Tensor.scalar(y.dtype(), 1))))).sumTo(x.value.shape()) : null,
                n[1] ? g.mul(o).mul(x.log()).sumTo(y.value.shape()) : null));
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
        return Node.record("relu", value.relu(), in(x), (g, o, n) -> {
            if (Grad.isEnabled()) return in(g.mul(c(x.value.gt(0))));  // recording: a product, differentiable in g
            // Otherwise the same values in one pass, over g itself when the backward pass holds nothing else of it.
            Tensor gv = g.value();
            boolean overwrite = gv.isContiguous() && Recycler.isSoleReference(gv);
            return in(c(overwrite ? gv.wherePositiveInPlace(x.value) : gv.wherePositive(x.value)));
        });
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
        Tensor[] derivative = new Tensor[1]; // GELU'(x), kept by the first of several passes over a kept graph
        return Node.record("gelu", value.gelu(), in(x), (g, o, n) -> {
            // Not recording: the derivative in one fused pass, or, when the graph is kept for another pass (the
            // Fisher's backward before the true one), computed once and kept; recording (double backward): composed
            // of differentiable operations, so that the gradient itself can be differentiated.
            if (!Grad.isEnabled()) {
                if (derivative[0] == null && !Grad.isGraphKept()) return in(c(x.value.geluBackward(g.value)));
                if (derivative[0] == null) derivative[0] = x.value.geluDerivative();
                return in(c(g.value.mul(derivative[0])));
            }
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

    /**
     * The larger of two (broadcast) values; where they tie, each gets half the gradient (as PyTorch, so the gradient
     * is the average of the one-sided ones).
     */
    public Variable maximum(Variable b) {
        return extremum("maximum", this, b, value.maximum(b.value), 1);
    }

    /** The smaller of two (broadcast) values; where they tie, each gets half the gradient (as PyTorch). */
    public Variable minimum(Variable b) {
        return extremum("minimum", this, b, value.minimum(b.value), -1);
    }

    /** The larger of this and a constant (ties share the gradient, as {@link #maximum(Variable)}). */
    public Variable maximum(double s) {
        return maximum(c(Tensor.scalar(value.dtype(), s)));
    }

    /** The smaller of this and a constant (ties share the gradient, as {@link #minimum(Variable)}). */
    public Variable minimum(double s) {
        return minimum(c(Tensor.scalar(value.dtype(), s)));
    }

    /** maximum (sign 1) or minimum (sign −1): a's share of the gradient is [sign·(a − b) > 0] + ½[a = b]. */
    private static Variable extremum(String op, Variable a, Variable b, Tensor out, int sign) {
        return Node.record(op, out, in(a, b), (g, o, n) -> {
            Tensor wins = sign > 0 ? a.value.gt(b.value) : a.value.lt(b.value);
            Tensor share = wins.add(a.value.eq(b.value).mul(0.5));
            return in(n[0] ? g.mul(c(share)).sumTo(a.value.shape()) : null,
                    n[1] ? g.mul(c(share.rsub(1))).sumTo(b.value.shape()) : null);
        });
    }

    /** Values clamped to [lo, hi]; the gradient passes where lo ≤ x ≤ hi, bounds included (as PyTorch). */
    public Variable clamp(double lo, double hi) {
        Variable x = this;
        return Node.record("clamp", value.clamp(lo, hi), in(x),
                (g, o, n) -> in(g.mul(c(x.value.ge(lo).mul(x.value.le(hi))))));
    }

    /** Elements of {@code ifTrue} where the constant mask is non-zero, else of {@code ifFalse}; both broadcast. */
    public static Variable where(Tensor condition, Variable ifTrue, Variable ifFalse) {
        Tensor out = Tensor.where(condition, ifTrue.value, ifFalse.value);
        return Node.record("where", out, in(ifTrue, ifFalse), (g, o, n) -> {
            Variable zero = c(Tensor.scalar(g.dtype(), 0));
            return in(n[0] ? where(condition, g, zero).sumTo(ifTrue.value.shape()) : null,
                    n[1] ? where(condition, zero, g).sumTo(ifFalse.value.shape()) : null);
        }, condition);
    }

    /** This variable with {@code fill} wherever the (broadcast) constant mask is non-zero; no gradient flows there. */
    public Variable maskedFill(Tensor mask, double fill) {
        int[] shape = value.shape();
        return Node.record("maskedFill", value.maskedFill(mask, fill), in(this),
                (g, o, n) -> in(where(mask, c(Tensor.scalar(g.dtype(), 0)), g).sumTo(shape)), mask);
    }

    // ---------------------------------------------------------------- reductions

    /** The shape of a reduction over {@code axes} with the reduced axes kept as size 1. */
    private static int[] keptShape(String op, int[] shape, int[] axes) {
        int[] kept = shape.clone();
        for (int a : axes) kept[axis(op, a, shape)] = 1;
        return kept;
    }

    /** A possibly negative axis as an index into {@code shape}, or a clear error naming the operation. */
    private static int axis(String op, int axis, int[] shape) {
        if (axis < -shape.length || axis >= shape.length) {
            throw new IndexOutOfBoundsException(op + ": axis " + axis + " is out of range for shape "
                    + Arrays.toString(shape));
        }
        return axis < 0 ? axis + shape.length : axis;
    }

    public Variable sum() {
        return sum(allAxes(), false);
    }

    /** Sum over axes; the backward broadcasts the gradient back over them. */
    public Variable sum(int[] axes, boolean keepDim) {
        int[] from = value.shape();
        int[] kept = keptShape("sum", from, axes);
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

    /** The largest element; ties share the gradient evenly (as PyTorch's {@code max()}). */
    public Variable max() {
        return max(allAxes(), false);
    }

    /**
     * The largest element over axes (PyTorch's {@code amax}): the gradient goes to the maximal entries, split evenly
     * where several tie.
     */
    public Variable max(int[] axes, boolean keepDim) {
        return extremum("max", axes, keepDim, value.max(axes, keepDim));
    }

    /** The smallest element over axes (PyTorch's {@code amin}); ties share the gradient evenly. */
    public Variable min(int[] axes, boolean keepDim) {
        return extremum("min", axes, keepDim, value.min(axes, keepDim));
    }

    /** The smallest element; ties share the gradient evenly. */
    public Variable min() {
        return min(allAxes(), false);
    }

    private Variable extremum(String op, int[] axes, boolean keepDim, Tensor out) {
        Variable x = this;
        int[] from = value.shape();
        int[] kept = keptShape(op, from, axes);
        return Node.record(op, out, in(x), (g, o, n) -> {
            Tensor hit = x.value.eq(o.value.reshape(kept));
            Tensor share = hit.div(hit.sum(axes, true));
            return in(g.reshape(kept).expand(from).mul(c(share)));
        });
    }

    /**
     * The largest element along one axis, as PyTorch's {@code torch.max(x, dim)}: the gradient goes to the single
     * entry {@link Tensor#argmax} picks (the first maximal one), as in max pooling.
     */
    public Variable max(int axis, boolean keepDim) {
        Variable x = this;
        int[] from = value.shape();
        int a = axis("max", axis, from);
        Tensor out = value.max(new int[]{a}, keepDim);
        int[] kept = keptShape("max", from, new int[]{a});
        return Node.record("maxAlong", out, in(x), (g, o, n) -> {
            int[] along = new int[from.length];
            Arrays.fill(along, 1);
            along[a] = from[a];
            Tensor position = Tensor.arange(x.dtype(), from[a]).reshape(along);
            Tensor first = position.eq(x.value.argmax(a, true));
            return in(g.reshape(kept).expand(from).mul(c(first)));
        });
    }

    /**
     * Variance over axes, dividing by (count − correction) (0: population, 1: unbiased);
     * d var = 2 (x − mean) / (count − correction).
     */
    public Variable var(int[] axes, boolean keepDim, int correction) {
        Variable x = this;
        int[] from = value.shape();
        int[] kept = keptShape("var", from, axes);
        long count = 1;
        for (int ax : axes) count *= from[axis("var", ax, from)];
        double scale = 2.0 / (count - correction);
        return Node.record("var", value.var(axes, keepDim, correction), in(x), (g, o, n) ->
                in(g.reshape(kept).expand(from).mul(x.sub(x.mean(axes, true)).mul(scale))));
    }

    private int[] allAxes() {
        int[] all = new int[value.rank()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        return all;
    }

    /** Softmax along an axis; d = s ⊙ (g − Σ g ⊙ s) (over the last axis, when not recording, in one pass per row). */
    public Variable softmax(int axis) {
        boolean last = axis == -1 || axis == value.rank() - 1;
        return Node.record("softmax", value.softmax(axis), in(this), (g, s, n) -> in(last && !Grad.isEnabled()
                ? c(Tensor.softmaxBackward(s.value, g.value, 1))
                : s.mul(g.sub(g.mul(s).sum(new int[]{axis}, true)))));
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
        int[] kept = keptShape("logsumexp", from, axes);
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

    /** This value in another dtype; the gradient is cast back. */
    public Variable to(DType dtype) {
        DType from = value.dtype();
        if (dtype == from) return this;
        return Node.record("to", value.to(dtype), in(this), (g, o, n) -> in(g.to(from)));
    }

    /** The same values laid out contiguously (a copy only when needed); the gradient passes through. */
    public Variable contiguous() {
        if (value.isContiguous()) return this;
        return Node.record("contiguous", value.contiguous(), in(this), (g, o, n) -> in(g));
    }

    /** All size-1 axes removed. */
    public Variable squeeze() {
        return reshape(value.squeeze().shape());
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

    /** {@code length} entries along an axis from {@code start}; the backward puts the gradient back among zeros. */
    public Variable narrow(int axis, int start, int length) {
        return slice(axis, start, start + length, 1);
    }

    /**
     * Entries {@code start, start+step, ...} below {@code end} along an axis (a view, as Python's {@code x[start:end:step]});
     * the backward writes the gradient back into those entries of a zero tensor.
     */
    public Variable slice(int axis, int start, int end, int step) {
        int[] from = value.shape();
        int a = axis("slice", axis, from);
        return Node.record("slice", value.slice(a, start, end, step), in(this),
                (g, o, n) -> in(g.unslice(from, a, start, step)));
    }

    /** The adjoint of {@link #slice}: this tensor placed at entries start, start+step, ... of zeros of shape {@code full}. */
    private Variable unslice(int[] full, int axis, int start, int step) {
        Tensor out = Tensor.zeros(value.dtype(), full);
        int end = start + (value.size(axis) - 1) * step + 1;
        if (value.size(axis) > 0) out.slice(axis, start, end, step).copyFromInPlace(value);
        return Node.record("unslice", out, in(this), (g, o, n) -> in(g.slice(axis, start, end, step)));
    }

    /** Zero padding: {@code before[i]}/{@code after[i]} entries on each side of axis i; the backward crops. */
    public Variable pad(int[] before, int[] after) {
        return pad(before, after, 0);
    }

    /** Constant padding with {@code fill}; the padded entries are constants, so the backward only crops. */
    public Variable pad(int[] before, int[] after, double fill) {
        Tensor out = value.pad(before, after, fill);
        return Node.record("pad", out, in(this), (g, o, n) -> {
            Variable r = g;
            for (int i = 0; i < before.length; i++) {
                if (before[i] != 0 || after[i] != 0) r = r.narrow(i, before[i], value.size(i));
            }
            return in(r);
        });
    }

    /** One entry along an axis (a negative index counts from the end), the axis removed. */
    public Variable select(int axis, int index) {
        int[] from = value.shape();
        Tensor out = value.select(axis, index);
        int a = axis("select", axis, from);
        int k = index < 0 ? index + from[a] : index;
        return Node.record("select", out, in(this), (g, o, n) -> in(g.unsqueeze(a).unslice(from, a, k, 1)));
    }

    // ---------------------------------------------------------------- indexing, scatter, segments, joining

    /**
     * Entries {@code indices[i]} along an axis, in order, repeats allowed ({@code indexSelect(0, ids)} is an embedding
     * lookup); the backward adds the gradient back at those positions (index_add).
     */
    public Variable indexSelect(int axis, int[] indices) {
        int[] idx = indices.clone();
        int[] from = value.shape();
        Tensor out = value.indexSelect(axis, idx);
        int a = axis("indexSelect", axis, from);
        return Node.record("indexSelect", out, in(this),
                (g, o, n) -> in(c(Tensor.zeros(g.dtype(), from)).indexAdd(a, idx, g)));
    }

    /**
     * This tensor plus {@code source} added at positions {@code indices} along an axis; ∂self = g,
     * ∂source = g.indexSelect(axis, indices).
     */
    public Variable indexAdd(int axis, int[] indices, Variable source) {
        int[] idx = indices.clone();
        Tensor out = value.indexAdd(axis, idx, source.value);
        int a = axis("indexAdd", axis, value.shape());
        return Node.record("indexAdd", out, in(this, source),
                (g, o, n) -> in(n[0] ? g : null, n[1] ? g.indexSelect(a, idx) : null));
    }

    /**
     * {@code out[i][j][k] = this[i][index[i][j][k]][k]} for axis 1, likewise for other axes (index holds integer
     * values); the backward scatter-adds the gradient back.
     */
    public Variable gather(int axis, Tensor index) {
        int[] from = value.shape();
        Tensor out = value.gather(axis, index);
        int a = axis("gather", axis, from);
        return Node.record("gather", out, in(this),
                (g, o, n) -> in(c(Tensor.zeros(g.dtype(), from)).scatterAdd(a, index, g)), index);
    }

    /** This tensor plus {@code src} added at positions {@code index} along an axis; ∂self = g, ∂src = g.gather(index). */
    public Variable scatterAdd(int axis, Tensor index, Variable src) {
        Tensor out = value.scatterAdd(axis, index, src.value);
        int a = axis("scatterAdd", axis, value.shape());
        return Node.record("scatterAdd", out, in(this, src),
                (g, o, n) -> in(n[0] ? g : null, n[1] ? g.gather(a, index) : null), index);
    }

    /**
     * Rows (axis 0) summed per segment, {@code out[s] = Σ_{i: ids[i]=s} this[i]} (a ragged batch of graphs pooled per
     * graph); the backward hands each row its segment's gradient.
     */
    public Variable segmentSum(int[] segmentIds, int numSegments) {
        int[] ids = segmentIds.clone();
        Tensor out = value.segmentSum(ids, numSegments);
        return Node.record("segmentSum", out, in(this), (g, o, n) -> in(g.indexSelect(0, ids)));
    }

    /** Rows averaged per segment (an empty segment gives zeros); row i gets its segment's gradient / its size. */
    public Variable segmentMean(int[] segmentIds, int numSegments) {
        int[] ids = segmentIds.clone();
        Tensor out = value.segmentMean(ids, numSegments);
        return Node.record("segmentMean", out, in(this), (g, o, n) -> {
            double[] inverse = new double[numSegments];
            for (int id : ids) inverse[id]++;
            for (int s = 0; s < numSegments; s++) inverse[s] = inverse[s] == 0 ? 0 : 1 / inverse[s];
            int[] column = new int[out.rank()];
            Arrays.fill(column, 1);
            column[0] = numSegments;
            Tensor scale = Tensor.fromArray(inverse, column).to(g.dtype());
            return in(g.mul(c(scale)).indexSelect(0, ids));
        });
    }

    /** Variables joined along an existing axis; each part's gradient is its slice of the output's. */
    public static Variable concat(int axis, Variable... joined) {
        Variable[] parts = joined.clone();
        Tensor[] values = new Tensor[parts.length];
        for (int i = 0; i < parts.length; i++) values[i] = parts[i].value;
        Tensor out = Tensor.concat(axis, values);
        int a = axis("concat", axis, out.shape());
        return Node.record("concat", out, parts, (g, o, n) -> {
            Variable[] grads = new Variable[parts.length];
            int start = 0;
            for (int i = 0; i < parts.length; i++) {
                int size = parts[i].value.size(a);
                if (n[i]) grads[i] = g.narrow(a, start, size);
                start += size;
            }
            return grads;
        });
    }

    /** As {@link #concat(int, Variable...)}. */
    public static Variable concat(int axis, List<Variable> parts) {
        return concat(axis, parts.toArray(Variable[]::new));
    }

    /** Variables of one shape stacked along a new axis; part i's gradient is entry i of the output's. */
    public static Variable stack(int axis, Variable... stacked) {
        Variable[] parts = stacked.clone();
        Tensor[] values = new Tensor[parts.length];
        for (int i = 0; i < parts.length; i++) values[i] = parts[i].value;
        Tensor out = Tensor.stack(axis, values);
        int a = axis("stack", axis, out.shape());
        return Node.record("stack", out, parts, (g, o, n) -> {
            Variable[] grads = new Variable[parts.length];
            for (int i = 0; i < parts.length; i++) if (n[i]) grads[i] = g.select(a, i);
            return grads;
        });
    }

    /** As {@link #stack(int, Variable...)}. */
    public static Variable stack(int axis, List<Variable> parts) {
        return stack(axis, parts.toArray(Variable[]::new));
    }

    // ---------------------------------------------------------------- convolution support

    /**
     * im2col: (N, C, H, W) to (N, C·kH·kW, L), one column per output position, rows ordered (c, kh, kw) as PyTorch's
     * {@code unfold}; the backward is its adjoint, fold (col2im), which sums overlapping windows.
     */
    public Variable unfold(ConvGeometry geometry) {
        Tensor out = value.unfold(geometry);
        int h = value.size(-2), w = value.size(-1);
        return Node.record("unfold", out, in(this), (g, o, n) -> in(g.fold(geometry, h, w)));
    }

    /** col2im: (N, C·kH·kW, L) summed back into (N, C, height, width); the backward is unfold. */
    public Variable fold(ConvGeometry geometry, int height, int width) {
        return Node.record("fold", value.fold(geometry, height, width), in(this),
                (g, o, n) -> in(g.unfold(geometry)));
    }

    /**
     * The patches of all images side by side, (N, C, H, W) to (C·kH·kW, N·L) (see {@link Tensor#unfoldColumns}); the
     * backward is its adjoint, {@link #foldColumns}.
     */
    public Variable unfoldColumns(ConvGeometry geometry) {
        Tensor out = value.unfoldColumns(geometry);
        int h = value.size(-2), w = value.size(-1);
        return Node.record("unfoldColumns", out, in(this), (g, o, n) -> in(g.foldColumns(geometry, h, w)));
    }

    /** (C·kH·kW, N·L) summed back into (N, C, height, width); the backward is {@link #unfoldColumns}. */
    public Variable foldColumns(ConvGeometry geometry, int height, int width) {
        return Node.record("foldColumns", value.foldColumns(geometry, height, width), in(this),
                (g, o, n) -> in(g.unfoldColumns(geometry)));
    }

    // ---------------------------------------------------------------- matmul

    /**
     * Matrix product with NumPy semantics (batched, broadcast batch axes, 1-D operands promoted).
     * For C = A B: ∂A = G Bᵀ and ∂B = Aᵀ G, each summed over the batch axes it was broadcast along.
     *
     * <p>Each gradient is produced in its operand's layout: for an operand stored transposed (a weight used as
     * {@code W.mT()}, as a linear layer does) the product is formed as {@code (Gᵀ A)ᵀ}, so the weight's gradient
     * arrives contiguous instead of being copied out of a transposed view.
     */
    public Variable matmul(Variable b) {
        Variable a = this;
        if (a.value.rank() == 1 && b.value.rank() == 1) return a.unsqueeze(0).matmul(b.unsqueeze(1)).reshape();
        if (a.value.rank() == 1) return a.unsqueeze(0).matmul(b).squeeze(-2);
        if (b.value.rank() == 1) return a.matmul(b.unsqueeze(1)).squeeze(-1);
        return Node.record("matmul", a.value.matmul(b.value), in(a, b), (g, o, n) -> in(
                !n[0] ? null : (storedTransposed(a.value) ? b.matmul(g.mT()).mT() : g.matmul(b.mT()))
                        .sumTo(a.value.shape()),
                !n[1] ? null : (storedTransposed(b.value) ? g.mT().matmul(a).mT() : a.mT().matmul(g))
                        .sumTo(b.value.shape())));
    }

    /** Whether the last two axes of {@code t} are laid out column-major (the transpose of a row-major matrix). */
    private static boolean storedTransposed(Tensor t) {
        int[] st = t.strides();
        int r = st.length;
        return t.size(-2) > 1 && t.size(-1) > 1 && st[r - 2] == 1 && st[r - 1] >= t.size(-2);
    }

    @Override
    public String toString() {
        return "Variable(" + value + (node != null ? ", op=" + node.op() : requiresGrad ? ", leaf" : "") + ")";
    }
}
