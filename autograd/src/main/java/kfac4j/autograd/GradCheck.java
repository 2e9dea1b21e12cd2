package kfac4j.autograd;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * Checks the gradients autograd computes against central finite differences, in F64 (DESIGN.md §8).
 *
 * <p>A function of several tensors with an output of any shape is reduced to a scalar {@code s = Σ w ⊙ f(x)} with
 * fixed random weights w (1 for a one-element output), so one backward pass gives the vector-Jacobian product that
 * every rule computes, and each input element's partial derivative is compared with
 * {@code (s(x + h e_i) − s(x − h e_i)) / 2h}, {@code h = step · max(1, |x_i|)}.
 *
 * <p>The error for an input is {@code max_i |analytic_i − numeric_i| / max(‖analytic‖∞, ‖numeric‖∞, 1e-8)}: relative
 * to the gradient's scale, so entries near zero do not blow it up; the result is the worst over all inputs. With
 * {@code step = 1e-6} and inputs of order one, rounding and truncation keep honest rules near 1e-9.
 *
 * <pre>{@code
 * GradCheck.check(v -> v.get(0).matmul(v.get(1)).tanh(), a, b);   // throws AssertionError beyond 1e-6
 * }</pre>
 */
public final class GradCheck {
    /** The finite-difference step relative to max(1, |x_i|). */
    public static final double DEFAULT_STEP = 1e-6;
    /** The relative error {@link #check} accepts. */
    public static final double DEFAULT_TOLERANCE = 1e-6;
    private static final double ZERO_SCALE = 1e-8;

    private GradCheck() {
    }

    /** The worst relative error found, and the input and element (row-major) where it occurred. */
    public record Result(double maxRelativeError, int input, int element, double analytic, double numeric) {
        public boolean passes(double tolerance) {
            return maxRelativeError <= tolerance;
        }

        @Override
        public String toString() {
            return "relative error " + maxRelativeError + " at input " + input + ", element " + element
                    + " (analytic " + analytic + ", numeric " + numeric + ")";
        }
    }

    /** Throws an {@link AssertionError} when the first derivatives of {@code f} at {@code inputs} are off by more than 1e-6. */
    public static void check(Function<List<Variable>, Variable> f, Tensor... inputs) {
        Result r = compare(f, List.of(inputs), DEFAULT_STEP);
        if (!r.passes(DEFAULT_TOLERANCE)) throw new AssertionError("gradient check failed: " + r);
    }

    /**
     * Throws an {@link AssertionError} when the second derivatives (gradients of the gradient, i.e. double backward)
     * of {@code f} at {@code inputs} are off by more than 1e-6.
     */
    public static void checkSecondOrder(Function<List<Variable>, Variable> f, Tensor... inputs) {
        Result r = compareSecondOrder(f, List.of(inputs), DEFAULT_STEP);
        if (!r.passes(DEFAULT_TOLERANCE)) throw new AssertionError("second-order gradient check failed: " + r);
    }

    /** Compares the backward pass of {@code f} at {@code inputs} (all F64) with central differences of step {@code step}. */
    public static Result compare(Function<List<Variable>, Variable> f, List<Tensor> inputs, double step) {
        for (int k = 0; k < inputs.size(); k++) {
            if (inputs.get(k).dtype() != DType.F64) {
                throw new IllegalArgumentException("GradCheck: input " + k + " is " + inputs.get(k).dtype()
                        + "; finite differences need F64 inputs");
            }
        }
        List<Variable> leaves = new ArrayList<>();
        for (Tensor t : inputs) leaves.add(Variable.leaf(t));
        Variable out = f.apply(leaves);
        Tensor w = weights(out.value().shape());
        List<Tensor> analytic = new ArrayList<>();
        if (out.requiresGrad()) {
            for (Variable g : Grad.grad(out, w, leaves, false, false)) analytic.add(g.value());
        } else {
            for (Tensor t : inputs) analytic.add(t.zerosLike());
        }
        double[] wv = w.toDoubleArray();
        Result worst = new Result(0, -1, -1, 0, 0);
        for (int k = 0; k < inputs.size(); k++) {
            Tensor x = inputs.get(k);
            double[] values = x.toDoubleArray();
            double[] a = analytic.get(k).toDoubleArray();
            double[] num = new double[values.length];
            for (int i = 0; i < values.length; i++) {
                double xi = values[i];
                double h = step * Math.max(1, Math.abs(xi));
                double plus = xi + h, minus = xi - h;
                values[i] = plus;
                double fp = project(f, inputs, k, Tensor.fromArray(values, x.shape()), wv);
                values[i] = minus;
                double fm = project(f, inputs, k, Tensor.fromArray(values, x.shape()), wv);
                values[i] = xi;
                num[i] = (fp - fm) / (plus - minus); // the steps actually taken, after rounding
            }
            double scale = ZERO_SCALE;
            for (int i = 0; i < a.length; i++) scale = Math.max(scale, Math.max(Math.abs(a[i]), Math.abs(num[i])));
            for (int i = 0; i < a.length; i++) {
                double err = Math.abs(a[i] - num[i]) / scale;
                if (err > worst.maxRelativeError() || worst.input() < 0) worst = new Result(err, k, i, a[i], num[i]);
            }
        }
        return worst;
    }

    /**
     * Compares second derivatives: the function {@code u ↦ Σ_k ⟨u_k, ∇_k Σ w ⊙ f⟩} (its gradients recorded with
     * {@code createGraph}, for fixed random u_k) is itself gradient-checked, which exercises every rule's own
     * backward (double backward).
     */
    public static Result compareSecondOrder(Function<List<Variable>, Variable> f, List<Tensor> inputs, double step) {
        Rng rng = new Rng(7);
        List<Tensor> directions = new ArrayList<>();
        for (Tensor t : inputs) directions.add(rng.normal(DType.F64, 0, 1, t.shape()));
        Function<List<Variable>, Variable> directional = xs -> {
            Variable out = f.apply(xs);
            Variable total = Variable.constant(Tensor.scalar(DType.F64, 0));
            if (!out.requiresGrad()) return total;
            List<Variable> grads = Grad.grad(out, weights(out.value().shape()), xs, true, true);
            for (int k = 0; k < grads.size(); k++) {
                total = total.add(grads.get(k).mul(Variable.constant(directions.get(k))).sum());
            }
            return total;
        };
        return compare(directional, inputs, step);
    }

    /** Fixed pseudo-random weights that reduce an output of this shape to a scalar (1 for a one-element output). */
    private static Tensor weights(int[] shape) {
        int n = 1;
        for (int s : shape) n *= s;
        if (n == 1) return Tensor.ones(DType.F64, shape);
        return new Rng(12345).normal(DType.F64, 0, 1, shape);
    }

    /** Σ w ⊙ f(inputs with input k replaced), summed with compensation so rounding stays below the differences. */
    private static double project(Function<List<Variable>, Variable> f, List<Tensor> inputs, int k, Tensor replaced,
                                  double[] w) {
        List<Variable> xs = new ArrayList<>();
        for (int j = 0; j < inputs.size(); j++) xs.add(Variable.leaf(j == k ? replaced : inputs.get(j)));
        double[] out = f.apply(xs).value().toDoubleArray();
        double sum = 0, carry = 0;
        for (int i = 0; i < out.length; i++) {
            double y = out[i] * w[i] - carry;
            double t = sum + y;
            carry = (t - sum) - y;
            sum = t;
        }
        return sum;
    }
}
