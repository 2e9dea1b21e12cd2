package kfac4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

class ModuleTest {

    @Test
    void sequentialNamesChildrenAsPyTorchAndChainsThem() {
        Rng rng = new Rng(0);
        Linear a = new Linear(4, 8, rng), b = new Linear(8, 2, rng);
        Sequential model = new Sequential(a, new ReLU(), b);
        assertThat(model.stateDict().keySet()).containsExactly("0.weight", "0.bias", "2.weight", "2.bias");
        assertThat(model.parameters()).hasSize(4);
        assertThat(b.name()).isEqualTo("2");
        assertThat(model.name()).isEmpty();
        Tensor x = rng.normal(DType.F32, 0, 1, 3, 4);
        Variable expected = b.forward(a.forward(Variable.constant(x)).relu());
        assertThat(model.forward(Variable.constant(x)).value().toDoubleArray())
                .containsExactly(expected.value().toDoubleArray());
    }

    @Test
    void activationsMatchFiniteDifferences() {
        Rng rng = new Rng(1);
        for (Module act : new Module[]{new Tanh(), new Sigmoid(), new GELU(), new GELU(true), new ReLU()}) {
            Variable x = FiniteDifferences.randomLeaf(rng, 3, 5);
            if (act instanceof ReLU) x = Variable.leaf(x.value().add(x.value().sign().mul(0.01))); // away from the kink
            Variable in = x;
            FiniteDifferences.check(() -> act.forward(in), List.of(in));
        }
        Tensor x = Tensor.of(-1, 0.5, 2);
        assertThat(new ReLU().forward(Variable.constant(x)).value().toDoubleArray()).containsExactly(0, 0.5, 2);
        assertThat(new Sigmoid().forward(Variable.constant(Tensor.of(0.0))).value().item()).isEqualTo(0.5);
        assertThat(new GELU().forward(Variable.constant(Tensor.of(1.0))).value().item())
                .isCloseTo(0.8413447460685429, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void forwardHooksSeeAndMayReplaceOutputsOfChildren() {
        Rng rng = new Rng(2);
        Linear lin = new Linear(3, 3, rng);
        Sequential model = new Sequential(lin, new Tanh());
        List<String> seen = new ArrayList<>();
        var handle = lin.registerForwardHook((m, in, out) -> {
            seen.add(m.name() + ":" + java.util.Arrays.toString(out.shape()));
            return out.mul(0);
        });
        Variable y = model.forward(Variable.constant(Tensor.ones(DType.F32, 2, 3)));
        assertThat(seen).containsExactly("0:[2, 3]");
        assertThat(y.value().abs().sum().item()).isZero();
        handle.remove();
        model.forward(Variable.constant(Tensor.ones(DType.F32, 2, 3)));
        assertThat(seen).hasSize(1);
    }

    @Test
    void trainEvalPropagatesAndZeroGradClears() {
        Sequential model = new Sequential(new Linear(2, 2, new Rng(3)), new Sequential(new ReLU()));
        model.eval();
        assertThat(model.namedModules().values()).allSatisfy(m -> assertThat(m.isTraining()).isFalse());
        model.train(true);
        assertThat(model.namedModules().keySet()).containsExactly("", "0", "1", "1.0");
        assertThat(model.namedModules().values()).allSatisfy(m -> assertThat(m.isTraining()).isTrue());
        model.forward(Variable.constant(Tensor.ones(DType.F32, 1, 2))).sum().backward();
        assertThat(model.parameters()).allSatisfy(p -> assertThat(p.grad()).isNotNull());
        model.zeroGrad();
        assertThat(model.parameters()).allSatisfy(p -> assertThat(p.grad()).isNull());
    }

    @Test
    void loadStateDictCopiesValuesAndNamesEveryMismatch() {
        Sequential a = new Sequential(new Linear(3, 4, new Rng(4)), new Linear(4, 2, new Rng(5)));
        Sequential b = new Sequential(new Linear(3, 4, new Rng(6)), new Linear(4, 2, new Rng(7)));
        b.loadStateDict(a.stateDict());
        for (String k : a.stateDict().keySet()) {
            assertThat(b.stateDict().get(k).toDoubleArray()).containsExactly(a.stateDict().get(k).toDoubleArray());
        }
        Map<String, Tensor> bad = new LinkedHashMap<>(a.stateDict());
        bad.remove("1.bias");
        bad.put("0.weight", Tensor.zeros(DType.F32, 4, 4));
        bad.put("2.weight", Tensor.zeros(DType.F32, 1));
        Tensor before = b.stateDict().get("1.weight").copy();
        assertThatThrownBy(() -> b.loadStateDict(bad))
                .hasMessageContaining("missing keys [1.bias]")
                .hasMessageContaining("unexpected keys [2.weight]")
                .hasMessageContaining("mis-shaped keys [0.weight (expected [4, 3], got [4, 4])]");
        assertThat(b.stateDict().get("1.weight").toDoubleArray()).as("nothing loaded").containsExactly(before.toDoubleArray());
        // Not strict: missing and unexpected keys are skipped, the rest is loaded.
        Sequential c = new Sequential(new Linear(3, 4, new Rng(9)), new Linear(4, 2, new Rng(10)));
        Tensor ownBias = c.stateDict().get("1.bias").copy();
        bad.put("0.weight", a.stateDict().get("0.weight"));
        c.loadStateDict(bad, false);
        assertThat(c.stateDict().get("1.bias").toDoubleArray()).containsExactly(ownBias.toDoubleArray());
        assertThat(c.stateDict().get("1.weight").toDoubleArray()).containsExactly(a.stateDict().get("1.weight").toDoubleArray());
    }

    @Test
    void theTenLineTrainingLoopLearnsASmallClassificationTask() {
        // Three Gaussian blobs in 8 dimensions.
        Rng data = new Rng(8);
        int n = 96;
        Tensor centres = data.normal(DType.F32, 0, 2, 3, 8);
        double[] labels = new double[n];
        for (int i = 0; i < n; i++) labels[i] = i % 3;
        Tensor noise = data.normal(DType.F32, 0, 0.5, n, 8);
        double[] xv = noise.toDoubleArray(), cv = centres.toDoubleArray();
        for (int i = 0; i < n; i++) for (int j = 0; j < 8; j++) xv[i * 8 + j] += cv[(int) labels[i] * 8 + j];
        Tensor x = Tensor.fromArray(xv, n, 8).to(DType.F32), y = Tensor.of(DType.F32, labels);

        var rng = new Rng(0);
        var model = new Sequential(new Linear(8, 32, rng), new ReLU(), new Linear(32, 3, rng));
        var loss = new CrossEntropyLoss(Reduction.MEAN);
        var opt = new Adam(model.parameters(), 1e-2);
        double first = 0, last = 0;
        for (int step = 0; step < 60; step++) {
            opt.zeroGrad();
            Variable l = loss.apply(model.forward(Variable.constant(x)), y);
            l.backward();
            opt.step();
            if (step == 0) first = l.value().item();
            last = l.value().item();
        }
        assertThat(last).isLessThan(first / 10);
        Tensor predicted = model.forward(Variable.constant(x)).value().argmax(-1, false);
        int correct = 0;
        for (int i = 0; i < n; i++) if (predicted.get(i) == labels[i]) correct++;
        assertThat(correct).isEqualTo(n);
    }

    @Test
    void everyLayerNamesItselfAndTheShapesInShapeErrors() {
        Rng rng = new Rng(11);
        class Model extends Module {
            final Sequential features = registerModule("features", new Sequential(new Conv2d(3, 4, 3, rng), new MaxPool2d(2),
                    new AvgPool2d(2), new GlobalMeanPool(), new PatchEmbedding(3, 2, 8, rng)));
            final Sequential blocks = registerModule("blocks", new Sequential(new TransformerBlock(8, 2, 16, true, rng)));
            final MultiHeadSelfAttention attn = registerModule("attn", new MultiHeadSelfAttention(8, 2, false, rng));
            final LayerNorm ln = registerModule("ln", new LayerNorm(8));
            final Linear fc1 = registerModule("fc1", new Linear(8, 4, rng));
            final ClassToken cls = registerModule("cls_token", new ClassToken(8, DType.F32, rng));
            final PositionalEmbedding pos = registerModule("pos_embed", new PositionalEmbedding(4, 8, DType.F32, rng));
            final GCNConv gcn = registerModule("gcn", new GCNConv(8, 4, rng));
            final GraphReadout readout = registerModule("readout", new GraphReadout(GraphReadout.Mode.MEAN));
            final TransformerLM lm = registerModule("lm", new TransformerLM(10, 8, 2, 16, 1, 4, DType.F32, rng));
        }
        Model m = new Model();
        Variable image = Variable.constant(Tensor.zeros(DType.F32, 2, 5, 6, 6));
        Variable tokens = Variable.constant(Tensor.zeros(DType.F32, 2, 3, 7));
        GraphBatch graphs = GraphBatch.of(new int[]{2}, new int[]{0}, new int[]{1});
        Map<String, Runnable> calls = new LinkedHashMap<>();
        Variable flat = image.reshape(2, 5, 36);
        calls.put("features.0", () -> m.features.get(0).forward(image));
        calls.put("features.1", () -> m.features.get(1).forward(flat));
        calls.put("features.2", () -> m.features.get(2).forward(flat));
        calls.put("features.3", () -> m.features.get(3).forward(flat));
        calls.put("features.4", () -> m.features.get(4).forward(image));
        calls.put("blocks.0", () -> m.blocks.get(0).forward(tokens));
        calls.put("attn", () -> m.attn.forward(tokens));
        calls.put("ln", () -> m.ln.forward(tokens));
        calls.put("fc1", () -> m.fc1.forward(tokens));
        calls.put("cls_token", () -> m.cls.forward(tokens));
        calls.put("pos_embed", () -> m.pos.forward(tokens));
        calls.put("gcn", () -> m.gcn.forward(tokens.reshape(6, 7), graphs));
        calls.put("readout", () -> m.readout.forward(tokens.reshape(6, 7), graphs));
        calls.put("lm", () -> m.lm.forward(Variable.constant(Tensor.zeros(DType.F32, 2, 5))));
        for (Map.Entry<String, Runnable> e : calls.entrySet()) {
            assertThatThrownBy(e.getValue()::run).as(e.getKey()).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + e.getKey() + "'").hasMessageContaining("expected input of shape (")
                    .hasMessageContaining(", got [");
        }
    }
}
