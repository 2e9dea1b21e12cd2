package kfac4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import kfac4j.autograd.Variable;
import kfac4j.tensor.ConvGeometry;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/** Embedding, patch embedding, CLS token, positional embedding, the ViT classifier and the transformer LM. */
class SequenceModelTest {

    @Test
    void embeddingLooksUpRowsAndAddsGradientsBack() {
        Embedding emb = new Embedding(5, 3, DType.F64, new Rng(1));
        Tensor ids = Tensor.of(new double[][]{{4, 0}, {4, 2}});
        Variable y = emb.forward(Variable.constant(ids));
        assertThat(y.shape()).containsExactly(2, 2, 3);
        double[] w = emb.weight().value().toDoubleArray();
        assertThat(y.value().select(0, 1).select(0, 0).toDoubleArray()).containsExactly(w[12], w[13], w[14]);
        Tensor c = new Rng(2).normal(DType.F64, 0, 1, 2, 2, 3);
        y.mul(Variable.constant(c)).sum().backward();
        double[] g = emb.weight().grad().toDoubleArray(), cv = c.toDoubleArray();
        for (int j = 0; j < 3; j++) {
            assertThat(g[4 * 3 + j]).isCloseTo(cv[j] + cv[6 + j], offset(1e-15));   // row 4 used twice
            assertThat(g[3 + j]).isZero();                                             // row 1 never used
        }
        assertThatThrownBy(() -> emb.forward(Variable.constant(Tensor.of(1, 5))))
                .hasMessageContaining("index 5.0 at position 1 is not an integer in [0, 5)");
        double var = 0;
        Embedding big = new Embedding(100, 100, new Rng(3));
        for (double v : big.weight().value().toDoubleArray()) var += v * v / 10000;
        assertThat(var).as("N(0, 1) init").isCloseTo(1, offset(0.05));
    }

    @Test
    void patchEmbeddingIsAConvolutionWithStrideEqualToItsKernel() {
        Rng rng = new Rng(4);
        PatchEmbedding pe = new PatchEmbedding(2, 2, 3, DType.F64, rng);
        Sequential convNet = new Sequential(new Conv2d(2, 3, ConvGeometry.square(2, 2, 0, 1), true, DType.F64, rng));
        Sequential peNet = new Sequential(pe);
        assertThat(peNet.stateDict().get("0.weight").shape()).containsExactly(3, 2, 2, 2);
        convNet.loadStateDict(peNet.stateDict());
        Tensor x = rng.normal(DType.F64, 0, 1, 2, 2, 4, 6);
        Tensor tokens = pe.forward(Variable.constant(x)).value();                  // (N, L, D)
        Tensor conv = convNet.forward(Variable.constant(x)).value();               // (N, D, 2, 3)
        assertThat(tokens.shape()).containsExactly(2, 6, 3);
        assertThat(tokens.allClose(conv.reshape(2, 3, 6).transpose(1, 2), 0, 1e-14)).isTrue();

        LinearTest.Recorder rec = new LinearTest.Recorder();
        pe.setCaptureListener(rec);
        pe.forward(Variable.constant(x)).sum().backward();
        SharedRows rows = rec.inputs.get(0).rows();
        assertThat(rows.rows().shape()).containsExactly(12, 8);
        // Row 4 = example 0, patch (row 1, col 1): x[0, c, 2..3, 2..3] in (c, i, j) order.
        double[] expected = new double[8];
        for (int c = 0; c < 2; c++) for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) expected[c * 4 + i * 2 + j] = x.get(0, c, 2 + i, 2 + j);
        assertThat(rows.rows().select(0, 4).toDoubleArray()).containsExactly(expected);
        assertThat(rows.exampleOfRow()).containsExactly(0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1);
        assertThat(rec.grads.get(0).rows().rows().toDoubleArray()).containsOnly(1.0);

        Variable xv = FiniteDifferences.randomLeaf(rng, 1, 2, 4, 4);
        FiniteDifferences.check(() -> pe.forward(xv), List.of(xv, pe.weight().variable(), pe.bias().variable()));
        assertThatThrownBy(() -> pe.forward(Variable.constant(Tensor.zeros(DType.F64, 1, 2, 5, 4))))
                .hasMessageContaining("multiples of 2").hasMessageContaining("[1, 2, 5, 4]");
    }

    @Test
    void classTokenAndPositionsPrependAndAdd() {
        Rng rng = new Rng(5);
        ClassToken cls = new ClassToken(3, DType.F64, rng);
        PositionalEmbedding pos = new PositionalEmbedding(5, 3, DType.F64, rng);
        Variable x = FiniteDifferences.randomLeaf(rng, 2, 4, 3);
        Tensor y = pos.forward(cls.forward(x)).value();
        assertThat(y.shape()).containsExactly(2, 5, 3);
        Tensor p = pos.weight().value(), t = cls.token().value().reshape(3);
        assertThat(y.select(0, 1).select(0, 0).allClose(t.add(p.select(0, 0)), 0, 1e-15)).isTrue();
        assertThat(y.select(0, 1).select(0, 3).allClose(x.value().select(0, 1).select(0, 2).add(p.select(0, 3)), 0, 1e-15)).isTrue();
        FiniteDifferences.check(() -> pos.forward(cls.forward(x)), List.of(x, cls.token().variable(), pos.weight().variable()));
        Variable shorter = FiniteDifferences.randomLeaf(rng, 1, 2, 3);
        FiniteDifferences.check(() -> pos.forward(shorter), List.of(shorter, pos.weight().variable()));
        assertThatThrownBy(() -> pos.forward(Variable.constant(Tensor.zeros(DType.F64, 1, 6, 3)))).hasMessageContaining("T ≤ 5");
    }

    @Test
    void visionTransformerClassifiesWithEitherPoolingAndIsDifferentiable() {
        Rng rng = new Rng(6);
        for (VisionTransformer.Pooling pooling : VisionTransformer.Pooling.values()) {
            VisionTransformer vit = new VisionTransformer(4, 2, 1, 4, 1, 2, 8, 3, pooling, DType.F64, rng);
            assertThat(vit.stateDict()).containsKeys("patch_embed.weight", "pos_embed.weight", "blocks.0.qkv.weight", "ln.weight",
                    "head.bias");
            assertThat(vit.stateDict().containsKey("cls_token.token")).isEqualTo(pooling == VisionTransformer.Pooling.CLS);
            assertThat(vit.stateDict().get("pos_embed.weight").shape()).containsExactly(pooling == VisionTransformer.Pooling.CLS ? 5 : 4, 4);
            Variable x = FiniteDifferences.randomLeaf(rng, 2, 1, 4, 4);
            assertThat(vit.forward(x).shape()).containsExactly(2, 3);
            List<Variable> leaves = new ArrayList<>(List.of(x));
            for (Parameter p : vit.parameters()) leaves.add(p.variable());
            FiniteDifferences.check(() -> vit.forward(x), leaves);
        }
    }

    @Test
    void transformerLmHasTheReferenceNamesAndIsCausal() {
        Rng rng = new Rng(7);
        TransformerLM lm = new TransformerLM(11, 8, 2, 16, 2, 6, DType.F64, rng);
        // PyTorch's order: a module's own parameters before its children's.
        assertThat(lm.stateDict().keySet()).startsWith("pos", "emb.weight", "blocks.0.ln1.weight")
                .contains("blocks.1.fc2.bias", "ln.weight", "ln.bias", "head.weight", "head.bias").hasSize(2 + 2 * 12 + 4);
        // A PyTorch-style zero start for the positions; make them non-zero so they matter below.
        Init.fill(lm.namedParameters().get("pos"), rng.normal(DType.F64, 0, 0.5, 6, 8));
        Tensor tokens = Tensor.of(new double[][]{{1, 2, 3, 4, 5}, {10, 0, 3, 3, 7}});
        Tensor logits = lm.forward(Variable.constant(tokens)).value();
        assertThat(logits.shape()).containsExactly(2, 5, 11);
        Tensor changed = Tensor.of(new double[][]{{1, 2, 3, 9, 9}, {10, 0, 3, 3, 7}});
        Tensor other = lm.forward(Variable.constant(changed)).value();
        assertThat(other.narrow(1, 0, 3).allClose(logits.narrow(1, 0, 3), 0, 1e-13)).as("earlier positions unchanged").isTrue();
        assertThat(other.narrow(1, 3, 1).allClose(logits.narrow(1, 3, 1), 0, 1e-6)).isFalse();

        TransformerLM small = new TransformerLM(5, 4, 2, 8, 1, 3, DType.F64, rng);
        List<Variable> smallLeaves = new ArrayList<>();
        for (Parameter p : small.parameters()) smallLeaves.add(p.variable());
        Tensor y = Tensor.of(new double[][]{{1, 2, 0}});
        FiniteDifferences.check(() -> new CrossEntropyLoss().apply(small.forward(Variable.constant(Tensor.of(new double[][]{{0, 4, 1}}))), y),
                smallLeaves);
    }
}
