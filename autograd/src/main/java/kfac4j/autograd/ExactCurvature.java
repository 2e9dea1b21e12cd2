package kfac4j.autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

/**
 * Dense curvature matrices of small networks, computed exactly by repeated backward passes (DESIGN.md §3, §5.1): the
 * references K-FAC is verified against, meant for F64 and a few hundred parameters.
 *
 * <p><b>Parameter order.</b> Every matrix here is indexed by the parameters in the order of the list passed in, each
 * flattened row-major and the pieces concatenated: for a weight W of shape (D_out, D_in), entry (o, i) has index
 * {@code o·D_in + i} within its piece, PyTorch's {@code W.flatten()}. A list {@code [W, b]} therefore gives
 * {@code [vec W; b]}; K-FAC's joint order {@code vec([W b])} (the bias as a last column) is
 * {@link #reorder reorder}{@code (m, }{@link #jointWeightBiasOrder}{@code (D_out, D_in))}.
 *
 * <p>Output elements (the rows of a Jacobian) are likewise the output flattened row-major.
 *
 * <pre>{@code
 * Variable out = model.forward(x);                                  // (N, C), parameters W1, b1, W2, b2
 * Tensor ggn = ExactCurvature.ggn(out, List.of(w1, b1, w2, b2),
 *         LossHessian.softmaxCrossEntropy(), 1.0 / n);              // ρ Σ_n J_nᵀ Λ_n J_n, (P, P), F64
 * }</pre>
 */
public final class ExactCurvature {
    private ExactCurvature() {
    }

    /** The number of parameter entries, P: the side of every curvature matrix over {@code params}. */
    public static int dimension(List<Variable> params) {
        int p = 0;
        for (Variable v : params) p += v.value().numel();
        return p;
    }

    /** Tensors flattened row-major and concatenated, in F64: the vector in the parameter order above. */
    public static Tensor flatten(List<Tensor> tensors) {
        int n = 0;
        for (Tensor t : tensors) n += t.numel();
        double[] out = new double[n];
        int at = 0;
        for (Tensor t : tensors) {
            double[] v = t.toDoubleArray();
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return Tensor.fromArray(out, n);
    }

    /** ∇_θ of a one-element {@code loss}, flattened in the parameter order (P). The graph is kept. */
    public static Tensor gradient(Variable loss, List<Variable> params) {
        requireScalar("gradient", loss);
        if (!loss.requiresGrad()) return Tensor.zeros(DType.F64, dimension(params));
        return values(Grad.grad(loss, loss.value().onesLike(), params, true, false));
    }

    /**
     * The Jacobian of {@code output} with respect to {@code params}: shape (output elements, P), row r holding
     * ∂output_r/∂θ, computed by one backward pass per row seeded with e_r (the graph is kept throughout).
     */
    public static Tensor jacobian(Variable output, List<Variable> params) {
        int m = output.value().numel(), p = dimension(params);
        double[] j = new double[m * p];
        if (output.requiresGrad()) {
            for (int r = 0; r < m; r++) {
                double[] row = values(Grad.grad(output, unit(output.value(), r), params, true, false)).toDoubleArray();
                System.arraycopy(row, 0, j, r * p, p);
            }
        }
        return Tensor.fromArray(j, m, p);
    }

    /** The Jacobian of {@code f} at the parameter values {@code at} (each becomes a leaf). */
    public static Tensor jacobian(Function<List<Variable>, Variable> f, List<Tensor> at) {
        List<Variable> leaves = new ArrayList<>();
        for (Tensor t : at) leaves.add(Variable.leaf(t));
        return jacobian(f.apply(leaves), leaves);
    }

    /**
     * The generalised Gauss-Newton matrix {@code ρ Σ_t J_tᵀ Λ_t J_t} (DESIGN.md §5.1): J_t the Jacobian of output row
     * t (the last axis) with respect to {@code params}, Λ_t its loss Hessian from {@code lossHessian}, ρ the
     * reduction's scale (1 for {@code sum}, {@code lossHessian.meanScale(shape)} for {@code mean}). Shape (P, P),
     * symmetrised.
     */
    public static Tensor ggn(Variable output, List<Variable> params, LossHessian lossHessian, double rho) {
        int[] shape = output.value().shape();
        int m = output.value().numel(), p = dimension(params);
        int c = shape.length == 0 ? 1 : shape[shape.length - 1];
        int t = c == 0 ? 0 : m / c;
        Tensor lambda = lossHessian.perTerm(output.value()).to(DType.F64);
        if (lambda.rank() != 3 || lambda.size(0) != t || lambda.size(1) != c || lambda.size(2) != c) {
            throw new IllegalArgumentException("ggn: the loss Hessian has shape " + Arrays.toString(lambda.shape())
                    + "; an output of shape " + Arrays.toString(shape) + " needs (" + t + ", " + c + ", " + c + ")");
        }
        Tensor j = jacobian(output, params);
        Tensor lambdaJ = lambda.matmul(j.reshape(t, c, p)).reshape(m, p);      // Λ_t J_t, term by term
        return symmetric(j.mT().matmul(lambdaJ).mul(rho));                      // Σ_t J_tᵀ (Λ_t J_t)
    }

    /**
     * The empirical Fisher {@code ρ Σ_t ∇_θ ℓ_t ∇_θ ℓ_tᵀ} (DESIGN.md §5.1: λ = ∇_f ℓ(f, y) with the true label, scaled
     * by ρ as the GGN, not ρ²). {@code termLosses} holds the unscaled loss of every term, one element each (for MSE
     * the squared error summed over an output row). Shape (P, P), symmetrised.
     */
    public static Tensor empiricalFisher(Variable termLosses, List<Variable> params, double rho) {
        Tensor j = jacobian(termLosses, params);                                // row t: ∇_θ ℓ_t
        return symmetric(j.mT().matmul(j).mul(rho));
    }

    /**
     * The Hessian of a one-element {@code loss} by double backward: the gradient is recorded ({@code createGraph}),
     * then row i is the gradient of its entry i. Shape (P, P), not symmetrised (so its symmetry can be checked).
     */
    public static Tensor hessian(Variable loss, List<Variable> params) {
        requireScalar("hessian", loss);
        int p = dimension(params);
        double[] h = new double[p * p];
        if (loss.requiresGrad()) {
            List<Variable> grads = Grad.grad(loss, loss.value().onesLike(), params, true, true);
            int r = 0;
            for (Variable g : grads) {
                for (int i = 0; i < g.value().numel(); i++, r++) {
                    if (!g.requiresGrad()) continue; // a gradient that does not depend on θ: a zero row
                    double[] row = values(Grad.grad(g, unit(g.value(), i), params, true, false)).toDoubleArray();
                    System.arraycopy(row, 0, h, r * p, p);
                }
            }
        }
        return Tensor.fromArray(h, p, p);
    }

    /**
     * The Hessian by central differences of gradients, independent of double backward: column j is
     * {@code (∇L(θ + h e_j) − ∇L(θ − h e_j)) / 2h}, {@code h = step · max(1, |θ_j|)}. {@code loss} recomputes the loss
     * from the current parameter values (a model's forward and loss); each parameter is perturbed in place and
     * restored exactly afterwards. Shape (P, P), not symmetrised. Use F64 parameters and a step near 1e-5.
     */
    public static Tensor hessianByDifferences(Supplier<Variable> loss, List<Variable> params, double step) {
        int p = dimension(params);
        double[] h = new double[p * p];
        int col = 0;
        for (Variable param : params) {
            Tensor v = param.value();
            Tensor original = v.copy();
            double[] values = original.toDoubleArray();
            try {
                for (int i = 0; i < values.length; i++, col++) {
                    double xi = values[i], d = step * Math.max(1, Math.abs(xi));
                    values[i] = xi + d;
                    v.copyFromInPlace(Tensor.fromArray(values, v.shape()));
                    double plus = v.toDoubleArray()[i];                     // as stored, after any rounding
                    double[] gp = gradient(loss.get(), params).toDoubleArray();
                    values[i] = xi - d;
                    v.copyFromInPlace(Tensor.fromArray(values, v.shape()));
                    double minus = v.toDoubleArray()[i];
                    double[] gm = gradient(loss.get(), params).toDoubleArray();
                    values[i] = xi;
                    for (int r = 0; r < p; r++) h[r * p + col] = (gp[r] - gm[r]) / (plus - minus);
                }
            } finally {
                v.copyFromInPlace(original);
            }
        }
        return Tensor.fromArray(h, p, p);
    }

    /** The sub-matrix of a curvature matrix over {@code params} for parameters {@code row} and {@code col}. */
    public static Tensor block(Tensor matrix, List<Variable> params, int row, int col) {
        int p = dimension(params);
        if (matrix.rank() != 2 || matrix.size(0) != p || matrix.size(1) != p) {
            throw new IllegalArgumentException("block: matrix of shape " + Arrays.toString(matrix.shape())
                    + " is not (" + p + ", " + p + ") for these parameters");
        }
        return matrix.narrow(0, offset(params, row), params.get(row).value().numel())
                .narrow(1, offset(params, col), params.get(col).value().numel()).contiguous();
    }

    /**
     * For a weight (D_out, D_in) and bias (D_out) listed as {@code [W, b]}: {@code order[j]} is the index in
     * {@code [vec W; b]} of entry j of {@code vec([W b])}, the row-major joint order K-FAC's {@code G ⊗ A} uses.
     */
    public static int[] jointWeightBiasOrder(int outFeatures, int inFeatures) {
        int[] order = new int[outFeatures * (inFeatures + 1)];
        for (int o = 0; o < outFeatures; o++) {
            for (int i = 0; i < inFeatures; i++) order[o * (inFeatures + 1) + i] = o * inFeatures + i;
            order[o * (inFeatures + 1) + inFeatures] = outFeatures * inFeatures + o;
        }
        return order;
    }

    /** The matrix with rows and columns permuted: {@code out[i][j] = m[order[i]][order[j]]}. */
    public static Tensor reorder(Tensor matrix, int[] order) {
        int n = order.length;
        if (matrix.rank() != 2 || matrix.size(0) != n || matrix.size(1) != n) {
            throw new IllegalArgumentException("reorder: matrix of shape " + Arrays.toString(matrix.shape())
                    + " does not match an order of length " + n);
        }
        double[] m = matrix.toDoubleArray(), out = new double[n * n];
        for (int i = 0; i < n; i++) {
            if (order[i] < 0 || order[i] >= n) {
                throw new IndexOutOfBoundsException("reorder: order[" + i + "] = " + order[i] + " is outside [0, " + n + ")");
            }
            for (int j = 0; j < n; j++) out[i * n + j] = m[order[i] * n + order[j]];
        }
        return Tensor.fromArray(out, n, n);
    }

    private static int offset(List<Variable> params, int index) {
        int at = 0;
        for (int k = 0; k < index; k++) at += params.get(k).value().numel();
        return at;
    }

    private static Tensor values(List<Variable> grads) {
        List<Tensor> t = new ArrayList<>(grads.size());
        for (Variable g : grads) t.add(g.value());
        return flatten(t);
    }

    /** e_r in the shape and dtype of {@code like}. */
    private static Tensor unit(Tensor like, int r) {
        double[] e = new double[like.numel()];
        e[r] = 1;
        return Tensor.fromArray(e, like.shape()).to(like.dtype());
    }

    private static Tensor symmetric(Tensor m) {
        return m.add(m.mT()).mul(0.5);
    }

    private static void requireScalar(String op, Variable loss) {
        if (loss.value().numel() != 1) {
            throw new IllegalArgumentException(op + ": the loss has shape " + Arrays.toString(loss.shape())
                    + "; it must have a single element");
        }
    }
}
