package kfac4j.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * The exact curvature references, each checked against something computed another way: Jacobians against a closed
 * form and central differences, GGN products against finite-difference Jacobian-vector products, loss Hessians and
 * network Hessians against double backward and differences of gradients, and the deep-linear identity
 * (diagonal Hessian blocks equal GGN blocks).
 */
class ExactCurvatureTest {
    private final Rng rng = new Rng(11);

    private Tensor randn(int... shape) {
        return rng.normal(DType.F64, 0, 1, shape);
    }

    private static Variable c(Tensor t) {
        return Variable.constant(t);
    }

    /** Relative Frobenius error ‖a − b‖ / ‖b‖. */
    private static double relError(Tensor a, Tensor b) {
        return a.sub(b).norm() / b.norm();
    }

    /** A dense network over the last axis: layers (W_l, b_l), activation between layers (none after the last). */
    private static final class Mlp {
        final List<Variable> params = new ArrayList<>();
        final UnaryOperator<Variable> activation;

        Mlp(Rng rng, UnaryOperator<Variable> activation, int... widths) {
            this.activation = activation;
            for (int l = 0; l + 1 < widths.length; l++) {
                params.add(Variable.leaf(rng.normal(DType.F64, 0, 1 / Math.sqrt(widths[l]), widths[l + 1], widths[l])));
                params.add(Variable.leaf(rng.normal(DType.F64, 0, 0.1, widths[l + 1])));
            }
        }

        Variable forward(Tensor x) {
            Variable h = c(x);
            for (int l = 0; l < params.size() / 2; l++) {
                if (l > 0) h = activation.apply(h);
                h = h.matmul(params.get(2 * l).mT()).add(params.get(2 * l + 1));
            }
            return h;
        }
    }

    private static Variable mseTerms(Variable out, Tensor target) {
        return out.sub(c(target)).square().sum(new int[]{-1}, false);
    }

    private static Variable crossEntropyTerms(Variable logits, Tensor oneHot) {
        return logits.logSoftmax(-1).mul(c(oneHot)).sum(new int[]{-1}, false).neg();
    }

    private Tensor oneHot(int terms, int classes) {
        double[] v = new double[terms * classes];
        for (int t = 0; t < terms; t++) v[t * classes + rng.nextInt(classes)] = 1;
        return Tensor.fromArray(v, terms, classes);
    }

    // ---------------------------------------------------------------- Jacobian and parameter order

    @Test
    void jacobianOfALinearLayerFollowsPyTorchsRowMajorParameterOrder() {
        // y = W x + b for one example: ∂y_o / ∂W_{o', i} = δ_{o o'} x_i at column o'·D_in + i; ∂y_o / ∂b_{o'} = δ_{o o'}.
        int dOut = 2, dIn = 3;
        Variable w = Variable.leaf(randn(dOut, dIn)), b = Variable.leaf(randn(dOut));
        Tensor x = randn(dIn);
        Tensor j = ExactCurvature.jacobian(w.matmul(c(x)).add(b), List.of(w, b));
        assertThat(j.shape()).containsExactly(dOut, dOut * dIn + dOut);
        for (int o = 0; o < dOut; o++) {
            for (int oo = 0; oo < dOut; oo++) {
                for (int i = 0; i < dIn; i++) {
                    assertThat(j.get(o, oo * dIn + i)).isEqualTo(o == oo ? x.get(i) : 0.0);
                }
                assertThat(j.get(o, dOut * dIn + oo)).isEqualTo(o == oo ? 1.0 : 0.0);
            }
        }
        assertThat(ExactCurvature.jointWeightBiasOrder(2, 3)).containsExactly(0, 1, 2, 6, 3, 4, 5, 7);
    }

    @Test
    void jacobianMatchesCentralDifferences() {
        Mlp net = new Mlp(rng, Variable::tanh, 3, 4, 2);
        Tensor x = randn(5, 3);
        Tensor j = ExactCurvature.jacobian(net.forward(x), net.params);
        int p = ExactCurvature.dimension(net.params);
        assertThat(j.shape()).containsExactly(10, p);
        // Column by column: perturb one parameter entry and difference the outputs.
        int col = 0;
        double worst = 0;
        for (Variable param : net.params) {
            Tensor original = param.value().copy();
            for (int i = 0; i < original.numel(); i++, col++) {
                double[] v = original.toDoubleArray();
                double h = 1e-6;
                v[i] += h;
                param.value().copyFromInPlace(Tensor.fromArray(v, original.shape()));
                double[] plus = net.forward(x).value().toDoubleArray();
                v[i] -= 2 * h;
                param.value().copyFromInPlace(Tensor.fromArray(v, original.shape()));
                double[] minus = net.forward(x).value().toDoubleArray();
                param.value().copyFromInPlace(original);
                for (int r = 0; r < plus.length; r++) {
                    worst = Math.max(worst, Math.abs(j.get(r, col) - (plus[r] - minus[r]) / (2 * h)));
                }
            }
        }
        assertThat(worst).isLessThan(1e-8);
        // The functional form gives the same matrix.
        Tensor jf = ExactCurvature.jacobian(ps -> ps.get(0).matmul(c(x.mT())).tanh(), List.of(net.params.get(0).value()));
        assertThat(jf.shape()).containsExactly(4 * 5, 4 * 3);
    }

    // ---------------------------------------------------------------- loss Hessians

    @Test
    void lossHessiansMatchDoubleBackwardOfTheLosses() {
        Tensor f = randn(3, 4), y = randn(3, 4), labels = oneHot(3, 4);
        Variable out = Variable.leaf(f);
        Tensor mse = ExactCurvature.hessian(mseTerms(out, y).sum(), List.of(out));
        Tensor ce = ExactCurvature.hessian(crossEntropyTerms(out, labels).sum(), List.of(out));
        Tensor lamMse = LossHessian.mse().perTerm(f), lamCe = LossHessian.softmaxCrossEntropy().perTerm(f);
        assertThat(lamCe.shape()).containsExactly(3, 4, 4);
        // The summed loss's Hessian is block diagonal with the per-term Λ_t on the diagonal.
        for (int t = 0; t < 3; t++) {
            for (int a = 0; a < 4; a++) {
                for (int b = 0; b < 4; b++) {
                    assertThat(lamMse.get(t, a, b)).isEqualTo(mse.get(t * 4 + a, t * 4 + b));
                    assertThat(lamCe.get(t, a, b)).isCloseTo(ce.get(t * 4 + a, t * 4 + b),
                            org.assertj.core.data.Offset.offset(1e-15));
                }
            }
        }
        assertThat(LossHessian.mse().meanScale(new int[]{3, 4})).isEqualTo(1.0 / 12);
        assertThat(LossHessian.softmaxCrossEntropy().meanScale(new int[]{2, 3, 4})).isEqualTo(1.0 / 6);
    }

    // ---------------------------------------------------------------- GGN

    @Test
    void ggnTimesAVectorEqualsJacobianTransposeLambdaJacobianByDifferences() {
        // G v = ρ Jᵀ Λ (J v): J v by central differences along v, then Jᵀ by one seeded backward pass.
        for (String loss : List.of("mse", "ce")) {
            for (boolean mean : List.of(false, true)) {
                Mlp net = new Mlp(rng, Variable::tanh, 3, 5, 4);
                Tensor x = randn(2, 3, 3);                                    // N = 2, T = 3 per-token terms
                LossHessian lambda = loss.equals("mse") ? LossHessian.mse() : LossHessian.softmaxCrossEntropy();
                Variable out = net.forward(x);
                double rho = mean ? lambda.meanScale(out.shape()) : 1;
                Tensor g = ExactCurvature.ggn(out, net.params, lambda, rho);
                int p = ExactCurvature.dimension(net.params);
                Tensor v = randn(p);
                Tensor jv = directionalDifference(net, x, v, 1e-5);              // (2, 3, 4)
                Tensor u = lambda.perTerm(out.value()).matmul(jv.reshape(6, 4, 1)).reshape(2, 3, 4).mul(rho);
                Tensor expected = ExactCurvature.flatten(
                        Grad.grad(net.forward(x), u, net.params, false, false).stream().map(Variable::value).toList());
                assertThat(relError(g.matmul(v), expected)).as("%s mean=%s", loss, mean).isLessThan(1e-8);
                assertThat(relError(g, g.mT())).isEqualTo(0.0);
            }
        }
    }

    /** (f(θ + h v) − f(θ − h v)) / 2h, θ the network's parameters in the documented order. */
    private static Tensor directionalDifference(Mlp net, Tensor x, Tensor v, double h) {
        List<Tensor> originals = new ArrayList<>();
        for (Variable p : net.params) originals.add(p.value().copy());
        Tensor[] sides = new Tensor[2];
        for (int s = 0; s < 2; s++) {
            int at = 0;
            for (int k = 0; k < net.params.size(); k++) {
                Tensor piece = v.narrow(0, at, originals.get(k).numel()).reshape(originals.get(k).shape());
                net.params.get(k).value().copyFromInPlace(originals.get(k).add(piece.mul(s == 0 ? h : -h)));
                at += originals.get(k).numel();
            }
            sides[s] = net.forward(x).value();
        }
        for (int k = 0; k < net.params.size(); k++) net.params.get(k).value().copyFromInPlace(originals.get(k));
        return sides[0].sub(sides[1]).div(2 * h);
    }

    @Test
    void deepLinearNetworkHasDiagonalHessianBlocksEqualToItsGgnBlocks() {
        // f is linear in each layer's parameters when the others are fixed, so ∂²f/∂θ_l² = 0 and the l-th diagonal
        // block of the Hessian is exactly J_lᵀ Λ J_l; off-diagonal blocks differ by the residual term.
        for (String loss : List.of("mse", "ce")) {
            for (boolean mean : List.of(false, true)) {
                Mlp net = new Mlp(rng, h -> h, 3, 4, 3, 2);
                Tensor x = randn(4, 2, 3);
                Tensor target = loss.equals("mse") ? randn(4, 2, 2) : oneHot(8, 2).reshape(4, 2, 2);
                LossHessian lambda = loss.equals("mse") ? LossHessian.mse() : LossHessian.softmaxCrossEntropy();
                Variable out = net.forward(x);
                double rho = mean ? lambda.meanScale(out.shape()) : 1;
                Variable terms = loss.equals("mse") ? mseTerms(out, target) : crossEntropyTerms(out, target);
                Tensor ggn = ExactCurvature.ggn(out, net.params, lambda, rho);
                Tensor hessian = ExactCurvature.hessian(terms.sum().mul(rho), net.params);
                // Layer blocks: the joint (W_l, b_l) parameters.
                int at = 0;
                for (int l = 0; l < 3; l++) {
                    int size = net.params.get(2 * l).value().numel() + net.params.get(2 * l + 1).value().numel();
                    Tensor gb = ggn.narrow(0, at, size).narrow(1, at, size);
                    Tensor hb = hessian.narrow(0, at, size).narrow(1, at, size);
                    assertThat(relError(hb, gb)).as("%s mean=%s layer %d", loss, mean, l).isLessThan(1e-10);
                    at += size;
                }
                // ... while the whole matrices differ (the residual term couples layers).
                assertThat(relError(hessian, ggn)).isGreaterThan(1e-3);
            }
        }
    }

    @Test
    void empiricalFisherIsRhoTimesTheSumOfPerTermGradientOuterProducts() {
        Mlp net = new Mlp(rng, Variable::sigmoid, 3, 4, 3);
        Tensor x = randn(5, 3), labels = oneHot(5, 3);
        double rho = 1.0 / 5;
        Tensor fisher = ExactCurvature.empiricalFisher(crossEntropyTerms(net.forward(x), labels), net.params, rho);
        int p = ExactCurvature.dimension(net.params);
        Tensor expected = Tensor.zeros(DType.F64, p, p);
        for (int n = 0; n < 5; n++) {
            // Each term's loss built on its own, from its own example.
            Tensor xn = x.narrow(0, n, 1), yn = labels.narrow(0, n, 1);
            Tensor g = ExactCurvature.gradient(crossEntropyTerms(net.forward(xn), yn).sum(), net.params);
            expected = expected.add(g.unsqueeze(1).matmul(g.unsqueeze(0)).mul(rho));
        }
        assertThat(relError(fisher, expected)).isLessThan(1e-13);
    }

    // ---------------------------------------------------------------- Hessian: double backward against differences

    @Test
    void doubleBackwardHessianOfAnMlpLossEqualsDifferencesOfGradients() {
        for (UnaryOperator<Variable> act : List.<UnaryOperator<Variable>>of(Variable::tanh, Variable::gelu, Variable::sigmoid)) {
            Mlp net = new Mlp(rng, act, 3, 4, 3);
            Tensor x = randn(6, 3), labels = oneHot(6, 3), y = randn(6, 3);
            java.util.function.Supplier<Variable> ce = () -> crossEntropyTerms(net.forward(x), labels).mean();
            java.util.function.Supplier<Variable> mse = () -> mseTerms(net.forward(x), y).mean();
            for (var loss : List.of(ce, mse)) {
                Tensor h = ExactCurvature.hessian(loss.get(), net.params);
                Tensor fd = ExactCurvature.hessianByDifferences(loss, net.params, 1e-5);
                assertThat(relError(h, fd)).isLessThan(1e-8);
                assertThat(relError(h, h.mT())).isLessThan(1e-14);
            }
        }
        // The parameters are restored exactly.
        Mlp net = new Mlp(rng, Variable::tanh, 2, 2);
        Tensor before = net.params.get(0).value().copy();
        ExactCurvature.hessianByDifferences(() -> net.forward(randn(1, 2)).sum(), net.params, 1e-5);
        assertThat(net.params.get(0).value().toDoubleArray()).containsExactly(before.toDoubleArray());
    }

    @Test
    void hessianVectorProductsAreTheDenseHessianTimesTheVector() {
        Mlp net = new Mlp(rng, Variable::tanh, 3, 4, 2);
        Tensor x = randn(5, 3), y = randn(5, 2);
        Variable loss = mseTerms(net.forward(x), y).mean();
        Tensor h = ExactCurvature.hessian(loss, net.params);
        List<Tensor> v = new ArrayList<>();
        for (Variable p : net.params) v.add(randn(p.shape()));
        Tensor hv = ExactCurvature.flatten(Grad.hessianVectorProduct(loss, net.params, v));
        assertThat(relError(hv, h.matmul(ExactCurvature.flatten(v)))).isLessThan(1e-13);
        assertThatThrownBy(() -> Grad.hessianVectorProduct(loss, net.params, v.subList(0, 1)))
                .hasMessageContaining("1 vector pieces for 4 parameters");
    }

    @Test
    void blocksAndReorderingsPickTheDocumentedEntries() {
        Variable w = Variable.leaf(randn(2, 3)), b = Variable.leaf(randn(2));
        Tensor m = Tensor.arange(DType.F64, 64).reshape(8, 8);
        Tensor wb = ExactCurvature.block(m, List.of(w, b), 0, 1);
        assertThat(wb.shape()).containsExactly(6, 2);
        assertThat(wb.get(0, 0)).isEqualTo(6.0);
        Tensor joint = ExactCurvature.reorder(m, ExactCurvature.jointWeightBiasOrder(2, 3));
        assertThat(joint.get(3, 3)).isEqualTo(m.get(6, 6));                  // (o=0, bias) ← b_0
        assertThat(joint.get(4, 0)).isEqualTo(m.get(3, 0));                  // (o=1, i=0) ← W_10
        assertThatThrownBy(() -> ExactCurvature.block(m, List.of(w), 0, 0)).hasMessageContaining("(6, 6)");
        assertThatThrownBy(() -> ExactCurvature.hessian(w.mul(2), List.of(w))).hasMessageContaining("single element");
        assertThatThrownBy(() -> ExactCurvature.ggn(w.mul(2), List.of(w), out -> Tensor.zeros(DType.F64, 1, 1, 1), 1))
                .hasMessageContaining("(2, 3, 3)");
    }
}
