package kfac4j.examples.tasks;

import java.util.ArrayList;
import java.util.List;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Variable;
import kfac4j.examples.data.Batch;
import kfac4j.examples.data.DataLoader;
import kfac4j.examples.data.Dataset;
import kfac4j.nn.CrossEntropyLoss;
import kfac4j.nn.Module;
import kfac4j.tensor.Tensor;

/**
 * What the tensor-batch tasks share (images and token windows): shuffled training batches from a seeded loader,
 * a fixed validation set evaluated in batches, and cross-entropy with PyTorch's mean reduction over every prediction
 * (one per example, or one per token when the targets have a sequence axis).
 */
abstract class BatchTask implements Task {
    private static final int EVALUATION_BATCH = 256;

    private final Module model;
    private final DataLoader<Batch> loader;
    private final List<Batch> validation;
    private final CrossEntropyLoss loss = new CrossEntropyLoss();

    /** {@code validationLimit} caps the validation examples (the first ones), to keep evaluation cheap. */
    BatchTask(Module model, Dataset<Batch> train, Dataset<Batch> validation, int batchSize, int validationLimit, long seed) {
        if (train.size() == 0 || validation.size() == 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": needs training and validation examples, got "
                    + train.size() + " and " + validation.size());
        }
        this.model = model;
        this.loader = DataLoader.training(train, Math.min(batchSize, train.size()), seed);
        this.validation = new ArrayList<>();
        int n = Math.min(validation.size(), validationLimit);
        for (int start = 0; start < n; start += EVALUATION_BATCH) {
            int[] idx = new int[Math.min(EVALUATION_BATCH, n - start)];
            for (int i = 0; i < idx.length; i++) idx[i] = start + i;
            this.validation.add(validation.batch(idx));
        }
    }

    @Override
    public final Module model() {
        return model;
    }

    @Override
    public final int batchSize() {
        return loader.batchSize();
    }

    @Override
    public final Variable nextLoss() {
        Batch b = loader.next();
        return loss.apply(model.forward(Variable.constant(b.x())), b.y());
    }

    @Override
    public final Evaluation evaluate() {
        model.train(false);
        try (var off = Grad.disabled()) {
            double lossSum = 0;
            long hits = 0, count = 0;
            for (Batch b : validation) {
                Tensor scores = model.forward(Variable.constant(b.x())).value();
                long terms = b.y().numel();
                lossSum += loss.apply(Variable.constant(scores), b.y()).value().item() * terms;
                hits += Evaluation.correct(scores, b.y());
                count += terms;
            }
            return new Evaluation(lossSum / count, (double) hits / count);
        } finally {
            model.train(true);
        }
    }
}
