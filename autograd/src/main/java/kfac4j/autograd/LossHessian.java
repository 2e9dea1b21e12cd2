package kfac4j.autograd;

import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

/**
 * The Hessians {@code Λ_t = ∇²_f ℓ(f_t, y_t)} of a loss's terms with respect to the model output (DESIGN.md §5.1),
 * unscaled by the reduction's ρ: what {@link ExactCurvature#ggn} puts between the Jacobians.
 *
 * <p>The terms are the rows of the output's last axis: an output of shape (N, C) has N terms, one of shape
 * (N, T, C) has N·T (per-token terms). Put the axis the loss reduces over last before asking (for a per-pixel loss on
 * (N, C, H, W), permute to (N, H, W, C)).
 */
@FunctionalInterface
public interface LossHessian {
    /** Λ_t for every term of this output: shape (T, C, C), T = output elements / C, C = the last axis's size. */
    Tensor perTerm(Tensor output);

    /**
     * The scale ρ of the {@code mean} reduction for an output of this shape (DESIGN.md §5.1): by default 1 over the
     * number of terms. ({@code sum} has ρ = 1.)
     */
    default double meanScale(int[] outputShape) {
        int c = outputShape.length == 0 ? 1 : outputShape[outputShape.length - 1];
        long n = 1;
        for (int s : outputShape) n *= s;
        return (double) c / n;
    }

    /**
     * Squared error {@code ℓ_t = Σ_c (f_{t,c} − y_{t,c})²}: Λ_t = 2I for every term. Its {@code mean} divides by the
     * number of elements, as PyTorch's {@code MSELoss}.
     */
    static LossHessian mse() {
        return new LossHessian() {
            @Override
            public Tensor perTerm(Tensor output) {
                int c = lastAxis(output);
                int t = output.numel() / Math.max(1, c);
                return Tensor.eye(DType.F64, c).mul(2).unsqueeze(0).expand(t, c, c).contiguous();
            }

            @Override
            public double meanScale(int[] outputShape) {
                long n = 1;
                for (int s : outputShape) n *= s;
                return 1.0 / n;
            }
        };
    }

    /**
     * Cross-entropy of softmax over the last axis against a class label: Λ_t = diag(p_t) − p_t p_tᵀ with
     * p_t = softmax(f_t), whatever the label. Its {@code mean} divides by the number of terms, as PyTorch's
     * {@code CrossEntropyLoss}.
     */
    static LossHessian softmaxCrossEntropy() {
        return output -> {
            int c = lastAxis(output);
            int t = output.numel() / Math.max(1, c);
            Tensor p = output.to(DType.F64).reshape(t, c).softmax(-1);
            Tensor diag = Tensor.eye(DType.F64, c).mul(p.unsqueeze(1));       // (T, C, C): p_i on the diagonal
            return diag.sub(p.unsqueeze(2).mul(p.unsqueeze(1)));              // − p pᵀ
        };
    }

    private static int lastAxis(Tensor output) {
        return output.rank() == 0 ? 1 : output.size(-1);
    }
}
