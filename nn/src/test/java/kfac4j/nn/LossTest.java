package kfac4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.List;

import org.junit.jupiter.api.Test;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

class LossTest {
    private static final Tensor LOGITS = Tensor.of(new double[][]{{1, 2, 3}, {1, 1, 1}});
    private static final Tensor LABELS = Tensor.of(2, 0);

    @Test
    void crossEntropyMatchesHandComputedValues() {
        // Term 1: logsumexp(1,2,3) − 3 = log(1 + e⁻¹ + e⁻²); term 2: log 3.
        double t1 = Math.log(1 + Math.exp(-1) + Math.exp(-2)), t2 = Math.log(3);
        assertThat(value(new CrossEntropyLoss(Reduction.SUM), LOGITS, LABELS)).isCloseTo(t1 + t2, offset(1e-15));
        assertThat(value(new CrossEntropyLoss(Reduction.MEAN), LOGITS, LABELS)).isCloseTo((t1 + t2) / 2, offset(1e-15));
        // Smoothing ε: ℓ = (1 − ε)·nll + ε·mean_c(−log p_c); term 1 gains ε·(3 − mean(1,2,3)) = ε, term 2 is unchanged.
        double eps = 0.1;
        assertThat(value(new CrossEntropyLoss(Reduction.SUM, eps), LOGITS, LABELS))
                .isCloseTo(t1 + eps + t2, offset(1e-14));
    }

    @Test
    void crossEntropyOverLeadingAxesEqualsTheFlattenedTerms() {
        Rng rng = new Rng(1);
        Tensor f = rng.normal(DType.F64, 0, 2, 2, 3, 5);
        Tensor y = Tensor.of(0, 4, 2, 1, 1, 3).reshape(2, 3);
        for (Reduction r : Reduction.values()) {
            CrossEntropyLoss ce = new CrossEntropyLoss(r);
            double flat = value(ce, f.reshape(6, 5), y.reshape(6));
            assertThat(value(ce, f, y)).isCloseTo(flat, offset(1e-14));
            double sum = 0;
            for (int t = 0; t < 6; t++) sum += value(new CrossEntropyLoss(Reduction.SUM), f.reshape(6, 5).narrow(0, t, 1),
                    y.reshape(6).narrow(0, t, 1));
            assertThat(flat).isCloseTo(r == Reduction.SUM ? sum : sum / 6, offset(1e-13));
        }
    }

    @Test
    void mseMatchesHandComputedValues() {
        Tensor f = Tensor.of(new double[][]{{1, 2}, {3, 5}}), y = Tensor.of(new double[][]{{0, 2}, {1, 1}});
        assertThat(value(new MSELoss(Reduction.SUM), f, y)).isEqualTo(1 + 0 + 4 + 16);
        assertThat(value(new MSELoss(Reduction.MEAN), f, y)).isEqualTo(21 / 4.0);
    }

    private static double value(Loss loss, Tensor f, Tensor y) {
        return loss.apply(Variable.leaf(f), y).value().item();
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Rng rng = new Rng(2);
        Tensor labels = Tensor.of(0, 3, 2, 3, 1, 0).reshape(2, 3);
        for (Reduction r : Reduction.values()) {
            for (double eps : new double[]{0, 0.2}) {
                Variable f = FiniteDifferences.randomLeaf(rng, 2, 3, 4);
                CrossEntropyLoss ce = new CrossEntropyLoss(r, eps);
                FiniteDifferences.check(() -> ce.apply(f, labels), List.of(f));
            }
            Variable f = FiniteDifferences.randomLeaf(rng, 3, 4);
            Tensor y = rng.normal(DType.F64, 0, 1, 3, 4);
            FiniteDifferences.check(() -> new MSELoss(r).apply(f, y), List.of(f));
        }
    }

    @Test
    void crossEntropyDoubleBackwardGivesTheHessianVectorProduct() {
        Rng rng = new Rng(3);
        Variable f = FiniteDifferences.randomLeaf(rng, 2, 4);
        Tensor y = Tensor.of(1, 3);
        Tensor v = rng.normal(DType.F64, 0, 1, 2, 4);
        CrossEntropyLoss ce = new CrossEntropyLoss(Reduction.MEAN, 0.1);
        Variable g = Grad.grad(ce.apply(f, y), Tensor.scalar(DType.F64, 1), List.of(f), true, true).get(0);
        Tensor hv = Grad.grad(g.mul(Variable.constant(v)).sum(), Tensor.scalar(DType.F64, 1), List.of(f), false, false)
                .get(0).value();
        // ρ (diag(p) − p pᵀ) v per term, ρ = 1/2.
        double[] fv = f.value().toDoubleArray(), vv = v.toDoubleArray(), hvv = hv.toDoubleArray();
        for (int t = 0; t < 2; t++) {
            double[] p = softmax(fv, t * 4, 4);
            double pv = 0;
            for (int j = 0; j < 4; j++) pv += p[j] * vv[t * 4 + j];
            for (int j = 0; j < 4; j++) {
                assertThat(hvv[t * 4 + j]).isCloseTo(0.5 * (p[j] * vv[t * 4 + j] - p[j] * pv), offset(1e-14));
            }
        }
    }

    private static double[] softmax(double[] x, int from, int c) {
        double max = Double.NEGATIVE_INFINITY, z = 0;
        for (int j = 0; j < c; j++) max = Math.max(max, x[from + j]);
        double[] p = new double[c];
        for (int j = 0; j < c; j++) z += p[j] = Math.exp(x[from + j] - max);
        for (int j = 0; j < c; j++) p[j] /= z;
        return p;
    }

    @Test
    void lossesRecordALossNodeThatRemembersPredictionTargetAndLoss() {
        Variable f = Variable.leaf(LOGITS);
        CrossEntropyLoss ce = new CrossEntropyLoss();
        Variable l = ce.apply(f, LABELS);
        assertThat(l.node()).isInstanceOf(LossNode.class);
        LossNode node = (LossNode) l.node();
        assertThat(node.prediction()).isSameAs(f);
        assertThat(node.target()).isSameAs(LABELS);
        assertThat(node.loss()).isSameAs(ce);
        MSELoss mse = new MSELoss();
        assertThat(mse.apply(f, LOGITS).node()).isInstanceOfSatisfying(LossNode.class,
                n -> assertThat(n.loss()).isSameAs(mse));
        assertThat(ce.apply(Variable.constant(LOGITS), LABELS).node()).isNull();
    }

    @Test
    void scaleIsOneForSumAndOneOverTermsOrElementsForMean() {
        assertThat(new CrossEntropyLoss(Reduction.SUM).scale(new int[]{4, 3, 5})).isEqualTo(1);
        assertThat(new CrossEntropyLoss(Reduction.MEAN).scale(new int[]{4, 3, 5})).isEqualTo(1 / 12.0);
        assertThat(new MSELoss(Reduction.MEAN).scale(new int[]{4, 3, 5})).isEqualTo(1 / 60.0);
        assertThat(new MSELoss(Reduction.SUM).scale(new int[]{4, 3, 5})).isEqualTo(1);
    }

    @Test
    void hessianSqrtFactorsTheTermHessian() {
        Rng rng = new Rng(4);
        Tensor f = rng.normal(DType.F64, 0, 1, 2, 3, 4);
        Tensor y = Tensor.of(0, 1, 2, 3, 0, 1).reshape(2, 3);
        Tensor lam = new CrossEntropyLoss(Reduction.MEAN, 0.1).hessianSqrt(f, y);
        assertThat(lam.shape()).containsExactly(4, 2, 3, 4);
        double[] fv = f.toDoubleArray(), l = lam.toDoubleArray();
        for (int t = 0; t < 6; t++) {
            double[] p = softmax(fv, t * 4, 4);
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    double s = 0;
                    for (int c = 0; c < 4; c++) s += l[c * 24 + t * 4 + i] * l[c * 24 + t * 4 + j];
                    assertThat(s).isCloseTo((i == j ? p[i] : 0) - p[i] * p[j], offset(1e-15));
                }
            }
        }
        Tensor g = rng.normal(DType.F64, 0, 1, 3, 2);
        Tensor mlam = new MSELoss().hessianSqrt(g, g);
        assertThat(mlam.shape()).containsExactly(2, 3, 2);
        double r2 = Math.sqrt(2);
        assertThat(mlam.toDoubleArray()).containsExactly(r2, 0, r2, 0, r2, 0, 0, r2, 0, r2, 0, r2);
    }

    @Test
    void sampledTermGradientIsTheGradientAtTheSampledTarget() {
        // One softmax for the draw and the gradient: the same draws and, to the bit, the same vector as the two steps.
        Tensor f = new Rng(8).normal(DType.F64, 0, 2, 6, 5, 7);
        for (Loss loss : new Loss[]{new CrossEntropyLoss(), new CrossEntropyLoss(Reduction.MEAN, 0.1), new MSELoss()}) {
            Tensor twoSteps = loss.termGradient(f, loss.sampleTarget(f, new Rng(9)));
            assertThat(loss.sampledTermGradient(f, new Rng(9)).toDoubleArray()).containsExactly(twoSteps.toDoubleArray());
        }
    }

    @Test
    void termGradientIsTheSumLossGradient() {
        Rng rng = new Rng(5);
        Tensor f = rng.normal(DType.F64, 0, 1, 3, 5);
        Tensor y = Tensor.of(4, 0, 2);
        for (Loss loss : new Loss[]{new CrossEntropyLoss(Reduction.SUM, 0.3), new MSELoss(Reduction.SUM)}) {
            Tensor target = loss instanceof MSELoss ? rng.normal(DType.F64, 0, 1, 3, 5) : y;
            Variable fv = Variable.leaf(f);
            loss.apply(fv, target).backward();
            assertThat(loss.termGradient(f, target).allClose(fv.grad(), 0, 1e-15)).isTrue();
        }
    }

    @Test
    void sampledTargetsFollowThePredictiveDistribution() {
        int n = 40000;
        Tensor f = Tensor.of(DType.F32, 0, 1, 2).reshape(1, 3).expand(n, 3).contiguous();
        Tensor drawn = new CrossEntropyLoss().sampleTarget(f, new Rng(6));
        assertThat(drawn.shape()).containsExactly(n);
        assertThat(drawn.dtype()).isEqualTo(DType.F32);
        double[] counts = new double[3];
        for (double v : drawn.toDoubleArray()) counts[(int) v]++;
        double[] p = softmax(new double[]{0, 1, 2}, 0, 3);
        for (int c = 0; c < 3; c++) assertThat(counts[c] / n).isCloseTo(p[c], offset(0.01));

        Tensor g = Tensor.full(DType.F64, 3.0, n);
        double[] s = new MSELoss().sampleTarget(g, new Rng(7)).toDoubleArray();
        double mean = 0, var = 0;
        for (double v : s) mean += v / n;
        for (double v : s) var += (v - mean) * (v - mean) / n;
        assertThat(mean).isCloseTo(3.0, offset(0.02));
        assertThat(var).isCloseTo(0.5, offset(0.02));
    }

    @Test
    void badTargetsAreRejectedWithTheirShapesOrValues() {
        CrossEntropyLoss ce = new CrossEntropyLoss();
        assertThatThrownBy(() -> ce.apply(Variable.leaf(LOGITS), Tensor.of(0, 1, 2)))
                .hasMessageContaining("target of shape [3]").hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> ce.apply(Variable.leaf(LOGITS), Tensor.of(0, 3)))
                .hasMessageContaining("target element 1 = 3.0 is not a class index in [0, 3)");
        assertThatThrownBy(() -> ce.apply(Variable.leaf(LOGITS), Tensor.of(0.5, 1)))
                .hasMessageContaining("target element 0 = 0.5");
        assertThatThrownBy(() -> new MSELoss().apply(Variable.leaf(LOGITS), Tensor.of(1, 2)))
                .hasMessageContaining("[2, 3]").hasMessageContaining("[2]");
    }
}
