package kfac4j.kfac;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import kfac4j.autograd.Variable;
import kfac4j.nn.CrossEntropyLoss;
import kfac4j.nn.GCNConv;
import kfac4j.nn.GraphBatch;
import kfac4j.nn.GraphReadout;
import kfac4j.nn.Loss;
import kfac4j.nn.MSELoss;
import kfac4j.nn.Module;
import kfac4j.nn.Reduction;
import kfac4j.nn.TransformerLM;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * K-FAC on the weight-sharing layers of modern architectures (DESIGN.md §4): graph convolutions over ragged graph
 * batches, where the last layer is exact in the flavour of its setting, and a transformer language model, whose
 * attention and MLP projections get Kronecker blocks and whose embeddings and LayerNorms fall back.
 */
class ArchitecturesTest {

    /** Two linear graph convolutions (2 → 3 → 2), then per-node outputs or a mean readout per graph. */
    static final class LinearGcn extends Module {
        final GCNConv first, last;
        final GraphReadout readout;

        LinearGcn(Rng rng, boolean readoutMean) {
            first = registerModule("gc1", new GCNConv(2, 3, true, DType.F64, rng));
            last = registerModule("gc2", new GCNConv(3, 2, true, DType.F64, rng));
            readout = readoutMean ? new GraphReadout(GraphReadout.Mode.MEAN) : null;
        }

        Variable forward(Variable x, GraphBatch g) {
            Variable h = last.forward(first.forward(x, g), g);
            return readout == null ? h : readout.forward(h, g);
        }
    }

    static GraphBatch graphs() {
        // Three graphs of 3, 4 and 2 nodes: a path, a star and an edge.
        return GraphBatch.of(new int[]{3, 4, 2}, new int[]{0, 1, 3, 3, 3, 7}, new int[]{1, 2, 4, 5, 6, 8});
    }

    static double[] errors(LinearGcn model, Supplier<Variable> prediction, Loss loss, Tensor y, Approximation approx) {
        KfacCurvature k = KfacCurvature.overLosses(model, List.of(() -> loss.apply(prediction.get(), y)))
                .approximation(approx).fisher(FisherType.TYPE2).compute();
        Variable f = prediction.get();
        double[] out = new double[2];
        GCNConv[] layers = {model.first, model.last};
        String[] names = {"gc1", "gc2"};
        for (int i = 0; i < 2; i++) {
            KroneckerFactors kf = k.factors(names[i]);
            out[i] = Dense.relativeError(Dense.kron(Dense.of(kf.g()), Dense.of(kf.a())), Reference.ggn(f, loss, layers[i]));
        }
        return out;
    }

    @Test
    void lastGraphConvolutionIsExactWithExpandForNodeLevelLosses() {
        Rng rng = new Rng(1);
        LinearGcn model = new LinearGcn(rng, false);
        GraphBatch g = graphs();
        Tensor x = rng.normal(DType.F64, 0, 1, 9, 2), y = rng.normal(DType.F64, 0, 1, 9, 2);
        Loss loss = new MSELoss(Reduction.MEAN);
        double[] expand = errors(model, () -> model.forward(Variable.constant(x), g), loss, y, Approximation.EXPAND);
        double[] reduce = errors(model, () -> model.forward(Variable.constant(x), g), loss, y, Approximation.REDUCE);
        assertThat(expand[1]).isLessThanOrEqualTo(1e-10);
        assertThat(reduce[1]).isGreaterThan(1e-3);
        // The first layer's rows are mixed by the second aggregation: exact in neither flavour.
        assertThat(expand[0]).isGreaterThan(1e-3);
    }

    @Test
    void lastGraphConvolutionIsExactWithReduceForGraphLevelLosses() {
        Rng rng = new Rng(2);
        LinearGcn model = new LinearGcn(rng, true);
        GraphBatch g = graphs();
        Tensor x = rng.normal(DType.F64, 0, 1, 9, 2), y = rng.normal(DType.F64, 0, 1, 3, 2);
        Loss loss = new MSELoss(Reduction.SUM);
        double[] reduce = errors(model, () -> model.forward(Variable.constant(x), g), loss, y, Approximation.REDUCE);
        double[] expand = errors(model, () -> model.forward(Variable.constant(x), g), loss, y, Approximation.EXPAND);
        assertThat(reduce[1]).isLessThanOrEqualTo(1e-10);
        assertThat(expand[1]).isGreaterThan(1e-3);
    }

    @Test
    void transformerProjectionsGetBlocksAndTrainingLowersThePerTokenLoss() {
        Rng rng = new Rng(3);
        TransformerLM lm = new TransformerLM(7, 8, 2, 16, 1, 6, DType.F32, rng);
        // A deterministic sequence task: the next token is (token + 1) mod 7.
        double[] ids = new double[4 * 6], next = new double[4 * 6];
        for (int n = 0; n < 4; n++) {
            for (int t = 0; t < 6; t++) {
                ids[n * 6 + t] = (n + 2 * t) % 7;
                next[n * 6 + t] = (ids[n * 6 + t] + 1) % 7;
            }
        }
        Tensor x = Tensor.fromArray(ids, 4, 6), y = Tensor.fromArray(next, 4, 6);
        Loss loss = new CrossEntropyLoss();
        KfacOptimizer opt = KfacOptimizer.builder(lm).learningRate(0.05).damping(1e-2).log(null).build();
        assertThat(opt.layers()).extracting(KfacLayer::name).contains("head").anyMatch(n -> n.startsWith("blocks.0."));
        assertThat(opt.fallbackParameters()).contains("emb.weight", "pos", "ln.weight", "ln.bias");
        double first = 0, last = 0;
        for (int step = 0; step < 30; step++) {
            Variable l = loss.apply(lm.forward(Variable.constant(x)), y);
            if (step == 0) first = l.value().item();
            last = l.value().item();
            assertThat(opt.step(l).skipped()).isFalse();
        }
        assertThat(last).isLessThan(0.5 * first);
        for (KfacLayer l : opt.layers()) {
            KroneckerFactors f = opt.factors(l.name());
            assertThat(f.a().shape()).containsExactly(l.inputDim(), l.inputDim());
            assertThat(f.g().shape()).containsExactly(l.outputDim(), l.outputDim());
        }
    }

    @Test
    void visionTransformerGetsAReduceBlockForItsPatchEmbeddingAndEveryProjection() {
        Rng rng = new Rng(4);
        kfac4j.nn.VisionTransformer vit = new kfac4j.nn.VisionTransformer(8, 4, 3, 16, 1, 2, 32, 5,
                kfac4j.nn.VisionTransformer.Pooling.MEAN, DType.F64, rng);
        Tensor images = rng.normal(DType.F64, 0, 1, 3, 3, 8, 8);
        Tensor labels = Tensor.of(0, 3, 4);
        KfacCurvature k = KfacCurvature.over(vit, new CrossEntropyLoss(), List.of(new KfacCurvature.Batch(images, labels)))
                .approximation(Approximation.REDUCE).fisher(FisherType.TYPE2).compute();
        assertThat(k.layers()).contains("patch_embed", "head").anyMatch(n -> n.startsWith("blocks.0."));
        // A patch is 3 channels × 4 × 4 pixels, plus the homogeneous coordinate.
        assertThat(k.factors("patch_embed").a().shape()).containsExactly(49, 49);
        assertThat(k.factors("patch_embed").g().shape()).containsExactly(16, 16);
        for (String name : k.layers()) assertThat(k.block(name).isFinite()).as(name).isTrue();
    }
}
