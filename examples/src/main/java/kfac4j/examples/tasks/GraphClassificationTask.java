package kfac4j.examples.tasks;

import java.util.ArrayList;
import java.util.List;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Variable;
import kfac4j.examples.data.DataLoader;
import kfac4j.examples.data.GraphDataset;
import kfac4j.examples.data.GraphMiniBatch;
import kfac4j.examples.data.Split;
import kfac4j.examples.data.SyntheticGraphFamilies;
import kfac4j.kfac.Approximation;
import kfac4j.nn.CrossEntropyLoss;
import kfac4j.nn.GCNConv;
import kfac4j.nn.GraphBatch;
import kfac4j.nn.GraphReadout;
import kfac4j.nn.Linear;
import kfac4j.nn.Module;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * {@code gnn-graph}: graph classification with a three-layer GCN, a mean readout per graph and a linear head, on
 * ragged batches of graphs with different node counts — the paper's K-FAC-reduce setting for graphs (Eschenhagen et
 * al., Sec. 3.2: the nodes of a graph are the shared axis, reduced by the readout before the loss; R_n differs per
 * graph). Trains on the built-in synthetic graph families (rings, trees, grids, two communities, told apart by
 * structure alone).
 */
public final class GraphClassificationTask implements Task {
    static final Recipe RECIPE = new Recipe(500, 64, 0.1, 3e-3, 0.1, 1e-2);

    /** Three GCN layers with ReLU, the mean over each graph's nodes, a linear head. */
    static final class Network extends Module {
        private final GCNConv conv1, conv2, conv3;
        private final GraphReadout readout;
        private final Linear head;

        Network(int features, int hidden, int classes, Rng rng) {
            conv1 = registerModule("conv1", new GCNConv(features, hidden, rng));
            conv2 = registerModule("conv2", new GCNConv(hidden, hidden, rng));
            conv3 = registerModule("conv3", new GCNConv(hidden, hidden, rng));
            readout = registerModule("readout", new GraphReadout(GraphReadout.Mode.MEAN));
            head = registerModule("head", new Linear(hidden, classes, rng));
        }

        /** Node features (M, F) of a batch of graphs to class scores (G, C). */
        Variable forward(Variable x, GraphBatch graphs) {
            Variable h = conv1.forward(x, graphs).relu();
            h = conv2.forward(h, graphs).relu();
            h = conv3.forward(h, graphs).relu();
            return head.call(readout.forward(h, graphs));
        }
    }

    private final Network model;
    private final DataLoader<GraphMiniBatch> loader;
    private final List<GraphMiniBatch> validation = new ArrayList<>();
    private final CrossEntropyLoss loss = new CrossEntropyLoss();
    private final String description;

    public GraphClassificationTask(TaskOptions options) {
        if (options.data() != null) {
            throw new IllegalArgumentException("gnn-graph trains on the built-in synthetic graph families; it reads no --data"
                    + " (gnn-node reads graphs from edges, features and labels files)");
        }
        int count = options.tiny() ? 40 : 2000;
        GraphDataset all = SyntheticGraphFamilies.generate(new SyntheticGraphFamilies.Config(count, options.seed()));
        Split<GraphDataset> parts = all.split(0.2, options.seed());
        int hidden = options.tiny() ? 4 : 64;
        this.model = new Network(all.featureDim(), hidden, all.numClasses(), new Rng(options.seed()));
        this.loader = DataLoader.training(parts.train(), options.batchSize(RECIPE, parts.train().size()), options.seed());
        for (GraphMiniBatch b : DataLoader.sequential(parts.validation(), 256).epoch(0)) validation.add(b);
        this.description = "GCN " + all.featureDim() + "-" + hidden + "-" + hidden + "-" + hidden + " + mean readout + linear on "
                + count + " synthetic graphs of " + all.numClasses() + " families (" + parts.train().size() + " training / "
                + parts.validation().size() + " validation)";
    }

    @Override
    public String name() {
        return "gnn-graph";
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public Approximation setting() {
        return Approximation.REDUCE;
    }

    @Override
    public Recipe recipe() {
        return RECIPE;
    }

    @Override
    public Module model() {
        return model;
    }

    @Override
    public int batchSize() {
        return loader.batchSize();
    }

    private Variable scores(GraphMiniBatch b) {
        return model.forward(Variable.constant(b.x()), GraphBatch.of(b.nodeCounts(), b.src(), b.dst()));
    }

    @Override
    public Variable nextLoss() {
        GraphMiniBatch b = loader.next();
        return loss.apply(scores(b), b.y());
    }

    @Override
    public Evaluation evaluate() {
        model.train(false);
        try (var off = Grad.disabled()) {
            double lossSum = 0;
            long hits = 0, count = 0;
            for (GraphMiniBatch b : validation) {
                Tensor s = scores(b).value();
                lossSum += loss.apply(Variable.constant(s), b.y()).value().item() * b.numGraphs();
                hits += Evaluation.correct(s, b.y());
                count += b.numGraphs();
            }
            return new Evaluation(lossSum / count, (double) hits / count);
        } finally {
            model.train(true);
        }
    }
}
