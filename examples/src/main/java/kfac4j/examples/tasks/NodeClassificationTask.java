package kfac4j.examples.tasks;

import java.io.IOException;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Variable;
import kfac4j.examples.data.GraphFiles;
import kfac4j.examples.data.NodeClassification;
import kfac4j.examples.data.StochasticBlockModel;
import kfac4j.kfac.Approximation;
import kfac4j.nn.CrossEntropyLoss;
import kfac4j.nn.GCNConv;
import kfac4j.nn.GraphBatch;
import kfac4j.nn.Module;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * {@code gnn-node}: transductive node classification with a two-layer GCN (Kipf and Welling) — the paper's
 * K-FAC-expand setting for graphs (Eschenhagen et al., Sec. 3.1: the GCN's linear map is shared over the nodes and the
 * loss has a term per node). Trains on a synthetic stochastic-block-model graph, or on a directory of
 * {@code edges}, {@code features} and {@code labels} files ({@code --data DIR}, see {@link GraphFiles}). Every step
 * propagates over the whole graph; the loss takes a batch of training nodes (by default all of them, full-batch as in
 * the GCN paper).
 */
public final class NodeClassificationTask implements Task {
    static final Recipe RECIPE = new Recipe(200, 400, 0.1, 3e-3, 0.1, 1e-2);

    /** σ(Â σ(Â X W₁ᵀ + b₁) W₂ᵀ + b₂) with σ = ReLU inside; children {@code conv1}, {@code conv2}. */
    static final class Network extends Module {
        private final GCNConv conv1, conv2;

        Network(int features, int hidden, int classes, Rng rng) {
            conv1 = registerModule("conv1", new GCNConv(features, hidden, rng));
            conv2 = registerModule("conv2", new GCNConv(hidden, classes, rng));
        }

        /** Node features (V, F) to class scores (V, C). */
        Variable forward(Variable x, GraphBatch graph) {
            return conv2.forward(conv1.forward(x, graph).relu(), graph);
        }
    }

    private final NodeClassification data;
    private final Network model;
    private final GraphBatch graph;
    private final Variable features;
    private final int[] trainNodes, validationNodes;
    private final int batchSize;
    private final Rng batchOrder;
    private final CrossEntropyLoss loss = new CrossEntropyLoss();
    private final String description;
    private int[] order;
    private int cursor;

    public NodeClassificationTask(TaskOptions options) throws IOException {
        this.data = options.data() != null ? GraphFiles.loadDirectory(options.data(), options.seed())
                : StochasticBlockModel.generate(new StochasticBlockModel.Config(options.tiny() ? 60 : 2000, options.seed()));
        int v = data.graph().numNodes();
        this.graph = GraphBatch.of(new int[]{v}, data.graph().src(), data.graph().dst());
        this.features = Variable.constant(data.features(DType.F32));
        this.trainNodes = data.trainNodes();
        this.validationNodes = data.validationNodes();
        if (trainNodes.length == 0 || validationNodes.length == 0) {
            throw new IllegalArgumentException("gnn-node: the graph needs training and validation nodes, got " + trainNodes.length
                    + " and " + validationNodes.length);
        }
        int hidden = options.tiny() ? 4 : 32;
        this.model = new Network(data.graph().featureDim(), hidden, data.numClasses(), new Rng(options.seed()));
        this.batchSize = options.batchSize(RECIPE, trainNodes.length);
        this.batchOrder = new Rng(options.seed() + 1);
        this.order = trainNodes.clone();
        this.cursor = order.length;
        this.description = "GCN " + data.graph().featureDim() + "-" + hidden + "-" + data.numClasses() + " on "
                + (options.data() == null ? "a stochastic block model" : options.data().toString()) + " (" + v + " nodes, "
                + data.graph().numEdges() + " edges, " + trainNodes.length + " training / " + validationNodes.length
                + " validation nodes)";
    }

    @Override
    public String name() {
        return "gnn-node";
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public Approximation setting() {
        return Approximation.EXPAND;
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
        return batchSize;
    }

    @Override
    public Variable nextLoss() {
        int[] nodes = nextNodes();
        Variable scores = model.forward(features, graph).indexSelect(0, nodes);
        return loss.apply(scores, data.targets(nodes, DType.F32));
    }

    /** The next {@code batchSize} training nodes of a seeded shuffle, reshuffled after each pass (all nodes: in order). */
    private int[] nextNodes() {
        if (batchSize == trainNodes.length) return trainNodes;
        if (cursor + batchSize > order.length) {
            int[] p = batchOrder.permutation(trainNodes.length);
            for (int i = 0; i < p.length; i++) order[i] = trainNodes[p[i]];
            cursor = 0;
        }
        int[] nodes = java.util.Arrays.copyOfRange(order, cursor, cursor + batchSize);
        cursor += batchSize;
        return nodes;
    }

    @Override
    public Evaluation evaluate() {
        model.train(false);
        try (var off = Grad.disabled()) {
            Tensor scores = model.forward(features, graph).value().indexSelect(0, validationNodes);
            Tensor targets = data.targets(validationNodes, DType.F32);
            double l = loss.apply(Variable.constant(scores), targets).value().item();
            return new Evaluation(l, (double) Evaluation.correct(scores, targets) / validationNodes.length);
        } finally {
            model.train(true);
        }
    }
}
