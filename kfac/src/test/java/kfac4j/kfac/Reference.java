package kfac4j.kfac;

import java.util.List;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Variable;
import kfac4j.nn.CrossEntropyLoss;
import kfac4j.nn.Loss;
import kfac4j.nn.MSELoss;
import kfac4j.nn.Reduction;
import kfac4j.nn.WeightSharingLinear;
import kfac4j.tensor.Tensor;

/**
 * Exact curvature blocks for the tests, computed the slow, obvious way: the Jacobian of the model output with respect
 * to a layer's {@code vec([W b])} (row-major, as the K-FAC block), one backward pass per output element, then
 * {@code ρ Σ_t J_tᵀ Λ_t J_t} with the loss Hessians Λ written out here (MSE: 2I; cross-entropy: diag p − p pᵀ), and
 * the loss scale ρ worked out here from the reduction. Nothing of the K-FAC code or of the losses' Fisher hooks is used.
 */
final class Reference {
    private Reference() {
    }

    /** d f / d vec([W b]): one row per element of the prediction (row-major). The graph is kept. */
    static double[][] jacobian(Variable prediction, WeightSharingLinear layer) {
        Tensor f = prediction.value();
        int p = f.numel();
        boolean bias = layer.bias() != null;
        List<Variable> params = bias ? List.of(layer.weight().variable(), layer.bias().variable())
                : List.of(layer.weight().variable());
        double[][] j = new double[p][];
        for (int i = 0; i < p; i++) {
            double[] seed = new double[p];
            seed[i] = 1;
            List<Variable> g = Grad.grad(prediction, Tensor.fromArray(seed, f.shape()).to(f.dtype()), params, true, false);
            j[i] = joined(g.get(0).value(), bias ? g.get(1).value() : null);
        }
        return j;
    }

    /** Row-major vec([W b]). */
    static double[] joined(Tensor w, Tensor b) {
        int rows = w.size(0), cols = w.size(1), width = cols + (b == null ? 0 : 1);
        double[] wv = w.toDoubleArray(), bv = b == null ? null : b.toDoubleArray();
        double[] out = new double[rows * width];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(wv, i * cols, out, i * width, cols);
            if (bv != null) out[i * width + cols] = bv[i];
        }
        return out;
    }

    /** ρ as PyTorch's reductions define it: SUM 1; MSE MEAN 1/elements; cross-entropy MEAN 1/terms. */
    static double rho(Loss loss, int[] predictionShape) {
        if (loss.reduction() == Reduction.SUM) return 1;
        long n = 1;
        for (int s : predictionShape) n *= s;
        if (loss instanceof MSELoss) return 1.0 / n;
        if (loss instanceof CrossEntropyLoss) return 1.0 / (n / predictionShape[predictionShape.length - 1]);
        throw new IllegalArgumentException("unknown loss " + loss);
    }

    /** The exact GGN block of one layer: ρ Σ_t J_tᵀ Λ_t J_t, terms being rows along the last axis. */
    static double[][] ggn(Variable prediction, Loss loss, WeightSharingLinear layer) {
        double[][] j = jacobian(prediction, layer);
        Tensor f = prediction.value();
        int c = f.rank() < 2 ? 1 : f.size(-1), terms = f.numel() / c, dim = j[0].length;
        double[] values = f.toDoubleArray();
        double rho = rho(loss, f.shape());
        double[][] out = new double[dim][dim];
        for (int t = 0; t < terms; t++) {
            double[][] lambda = hessian(loss, values, t * c, c);
            // J_tᵀ Λ J_t = Σ_{u,v} Λ_uv J_u J_vᵀ
            for (int u = 0; u < c; u++) {
                for (int v = 0; v < c; v++) {
                    double h = rho * lambda[u][v];
                    if (h == 0) continue;
                    double[] ju = j[t * c + u], jv = j[t * c + v];
                    for (int a = 0; a < dim; a++) {
                        double s = h * ju[a];
                        if (s == 0) continue;
                        for (int b = 0; b < dim; b++) out[a][b] += s * jv[b];
                    }
                }
            }
        }
        return out;
    }

    /**
     * The empirical Fisher block: ρ Σ_n γ_n γ_nᵀ with γ_n = Σ_{t ∈ n} J_tᵀ ∇ℓ_t, the gradient of example n's
     * unscaled loss; {@code exampleOfTerm} groups terms into examples.
     */
    static double[][] empiricalFisher(Variable prediction, Tensor target, Loss loss, WeightSharingLinear layer,
                                      int[] exampleOfTerm, int examples) {
        double[][] j = jacobian(prediction, layer);
        Tensor f = prediction.value();
        int c = f.rank() < 2 ? 1 : f.size(-1), terms = f.numel() / c, dim = j[0].length;
        double[] values = f.toDoubleArray(), y = target.toDoubleArray();
        double rho = rho(loss, f.shape());
        double[][] gamma = new double[examples][dim];
        for (int t = 0; t < terms; t++) {
            double[] grad = termGradient(loss, values, y, t, c);
            for (int u = 0; u < c; u++) {
                for (int a = 0; a < dim; a++) gamma[exampleOfTerm[t]][a] += j[t * c + u][a] * grad[u];
            }
        }
        double[][] out = new double[dim][dim];
        for (double[] g : gamma) {
            for (int a = 0; a < dim; a++) for (int b = 0; b < dim; b++) out[a][b] += rho * g[a] * g[b];
        }
        return out;
    }

    private static double[][] hessian(Loss loss, double[] f, int offset, int c) {
        double[][] h = new double[c][c];
        if (loss instanceof MSELoss) {
            for (int i = 0; i < c; i++) h[i][i] = 2;
            return h;
        }
        double[] p = softmax(f, offset, c);
        for (int i = 0; i < c; i++) {
            for (int k = 0; k < c; k++) h[i][k] = (i == k ? p[i] : 0) - p[i] * p[k];
        }
        return h;
    }

    private static double[] termGradient(Loss loss, double[] f, double[] y, int t, int c) {
        double[] g = new double[c];
        if (loss instanceof MSELoss) {
            for (int i = 0; i < c; i++) g[i] = 2 * (f[t * c + i] - y[t * c + i]);
            return g;
        }
        double[] p = softmax(f, t * c, c);
        for (int i = 0; i < c; i++) g[i] = p[i] - (i == (int) y[t] ? 1 : 0);
        return g;
    }

    private static double[] softmax(double[] f, int offset, int c) {
        double max = Double.NEGATIVE_INFINITY, z = 0;
        for (int i = 0; i < c; i++) max = Math.max(max, f[offset + i]);
        double[] p = new double[c];
        for (int i = 0; i < c; i++) z += p[i] = Math.exp(f[offset + i] - max);
        for (int i = 0; i < c; i++) p[i] /= z;
        return p;
    }
}
