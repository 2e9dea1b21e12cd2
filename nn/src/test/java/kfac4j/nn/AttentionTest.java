package kfac4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

class AttentionTest {

    /** y[n, t, :] = x[n, t, :] Wᵀ + b, by loops. */
    private static double[][][] linear(double[][][] x, Linear lin) {
        int out = lin.outFeatures(), in = lin.inFeatures();
        double[] w = lin.weight().value().toDoubleArray(), b = lin.bias().value().toDoubleArray();
        double[][][] y = new double[x.length][x[0].length][out];
        for (int n = 0; n < x.length; n++) {
            for (int t = 0; t < x[0].length; t++) {
                for (int o = 0; o < out; o++) {
                    double s = b[o];
                    for (int i = 0; i < in; i++) s += x[n][t][i] * w[o * in + i];
                    y[n][t][o] = s;
                }
            }
        }
        return y;
    }

    private static double[][][] nested(Tensor x) {
        int a = x.size(0), b = x.size(1), c = x.size(2);
        double[] v = x.toDoubleArray();
        double[][][] out = new double[a][b][c];
        for (int i = 0; i < a; i++) for (int j = 0; j < b; j++) for (int k = 0; k < c; k++) out[i][j][k] = v[(i * b + j) * c + k];
        return out;
    }

    /** Attention written head by head, query by query: the reference for the layer. */
    private static double[][][] attentionByLoops(double[][][] qkv, int heads, boolean causal) {
        int n = qkv.length, t = qkv[0].length, d = qkv[0][0].length / 3, dh = d / heads;
        double[][][] out = new double[n][t][d];
        for (int b = 0; b < n; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < t; i++) {
                    double[] score = new double[t];
                    double max = Double.NEGATIVE_INFINITY;
                    int last = causal ? i : t - 1;
                    for (int j = 0; j <= last; j++) {
                        double s = 0;
                        for (int e = 0; e < dh; e++) s += qkv[b][i][h * dh + e] * qkv[b][j][d + h * dh + e];
                        score[j] = s / Math.sqrt(dh);
                        max = Math.max(max, score[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= last; j++) z += score[j] = Math.exp(score[j] - max);
                    for (int e = 0; e < dh; e++) {
                        double acc = 0;
                        for (int j = 0; j <= last; j++) acc += score[j] / z * qkv[b][j][2 * d + h * dh + e];
                        out[b][i][h * dh + e] = acc;
                    }
                }
            }
        }
        return out;
    }

    @Test
    void attentionMatchesAnExplicitPerHeadLoop() {
        Rng rng = new Rng(1);
        for (boolean causal : new boolean[]{false, true}) {
            MultiHeadSelfAttention attn = new MultiHeadSelfAttention(6, 3, causal, DType.F64, rng);
            Tensor x = rng.normal(DType.F64, 0, 1, 2, 5, 6);
            double[][][] expected = linear(attentionByLoops(linear(nested(x), attn.qkv()), 3, causal), attn.proj());
            double[][][] actual = nested(attn.forward(Variable.constant(x)).value());
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < 5; t++) assertThat(actual[b][t]).containsExactly(expected[b][t], offset(1e-13));
            }
        }
    }

    @Test
    void causalAttentionIgnoresLaterTokens() {
        Rng rng = new Rng(2);
        MultiHeadSelfAttention attn = new MultiHeadSelfAttention(4, 2, true, DType.F64, rng);
        Tensor x = rng.normal(DType.F64, 0, 1, 1, 4, 4);
        Tensor changed = x.copy();
        changed.narrow(1, 3, 1).copyFromInPlace(rng.normal(DType.F64, 0, 1, 1, 1, 4));
        Tensor a = attn.forward(Variable.constant(x)).value(), b = attn.forward(Variable.constant(changed)).value();
        assertThat(a.narrow(1, 0, 3).toDoubleArray()).containsExactly(b.narrow(1, 0, 3).toDoubleArray());
        assertThat(a.narrow(1, 3, 1).toDoubleArray()).isNotEqualTo(b.narrow(1, 3, 1).toDoubleArray());
    }

    @Test
    void attentionAndTransformerBlockGradientsMatchFiniteDifferences() {
        Rng rng = new Rng(3);
        MultiHeadSelfAttention attn = new MultiHeadSelfAttention(4, 2, true, DType.F64, rng);
        Variable x = FiniteDifferences.randomLeaf(rng, 2, 3, 4);
        List<Variable> leaves = new ArrayList<>(List.of(x));
        for (Parameter p : attn.parameters()) leaves.add(p.variable());
        FiniteDifferences.check(() -> attn.forward(x), leaves);
        // The gradient is itself differentiable (double backward through the attention node).
        Tensor w = rng.normal(DType.F64, 0, 1, 2, 3, 4);
        FiniteDifferences.check(() -> Grad.grad(attn.forward(x).mul(Variable.constant(w)).sum(), Tensor.scalar(DType.F64, 1),
                List.of(x), true, true).get(0), List.of(x, attn.qkv().weight().variable()), 1e-5);

        TransformerBlock block = new TransformerBlock(4, 2, 8, true, DType.F64, rng);
        for (Parameter p : block.parameters()) Init.fill(p, rng.normal(DType.F64, 0, 0.5, p.shape()));
        List<Variable> all = new ArrayList<>(List.of(x));
        for (Parameter p : block.parameters()) all.add(p.variable());
        FiniteDifferences.check(() -> block.forward(x), all);
    }

    @Test
    void blockParameterNamesFollowThePyTorchReference() {
        Sequential blocks = new Sequential(new TransformerBlock(8, 2, 16, true, new Rng(4)));
        assertThat(blocks.stateDict().keySet()).containsExactly(
                "0.ln1.weight", "0.ln1.bias", "0.ln2.weight", "0.ln2.bias", "0.qkv.weight", "0.qkv.bias",
                "0.proj.weight", "0.proj.bias", "0.fc1.weight", "0.fc1.bias", "0.fc2.weight", "0.fc2.bias");
        assertThat(blocks.stateDict().get("0.qkv.weight").shape()).containsExactly(24, 8);
        assertThat(blocks.stateDict().get("0.fc1.weight").shape()).containsExactly(16, 8);
    }

    @Test
    void blockCaptureSeesTokensAsRowsOfEachExample() {
        TransformerBlock block = new TransformerBlock(4, 2, 8, true, DType.F64, new Rng(5));
        LinearTest.Recorder rec = new LinearTest.Recorder();
        block.fc1().setCaptureListener(rec);
        block.qkv().setCaptureListener(rec);
        block.forward(Variable.constant(new Rng(6).normal(DType.F64, 0, 1, 3, 5, 4))).sum().backward();
        assertThat(rec.inputs).hasSize(2);
        assertThat(rec.grads).hasSize(2);
        for (LinearTest.Recorder.Event e : rec.inputs) {
            assertThat(e.rows().numRows()).isEqualTo(15);
            assertThat(e.rows().numExamples()).isEqualTo(3);
            assertThat(e.rows().exampleOfRow()).containsExactly(0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2);
        }
        assertThat(rec.grads).extracting(e -> e.rows().width()).containsExactlyInAnyOrder(12, 8);
    }

    @Test
    void shapeErrorsNameTheBlock() {
        class Model extends Module {
            final Sequential blocks = registerModule("blocks", new Sequential(new TransformerBlock(8, 2, 16, true, new Rng(0))));
        }
        Model m = new Model();
        assertThatThrownBy(() -> m.blocks.forward(Variable.constant(Tensor.zeros(DType.F32, 2, 3, 6))))
                .hasMessageContaining("TransformerBlock 'blocks.0'").hasMessageContaining("(N, T, 8)")
                .hasMessageContaining("[2, 3, 6]");
        assertThatThrownBy(() -> new MultiHeadSelfAttention(6, 4, false, new Rng(0)))
                .hasMessageContaining("width 6 is not divisible into 4 heads");
    }
}
