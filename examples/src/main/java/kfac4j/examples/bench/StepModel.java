package kfac4j.examples.bench;

import kfac4j.autograd.Variable;
import kfac4j.examples.tasks.ConvNetTask;
import kfac4j.nn.CrossEntropyLoss;
import kfac4j.nn.Linear;
import kfac4j.nn.Module;
import kfac4j.nn.ReLU;
import kfac4j.nn.Sequential;
import kfac4j.nn.TransformerLM;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * The three models and batches of the training-step workloads, shape for shape as {@code shared/bench/torch_ref.py}
 * builds them (DESIGN.md §7): inputs from a standard normal (token ids uniform), class targets uniform, F32.
 */
enum StepModel {
    /** 784-512-256-10 ReLU MLP, batch 128. */
    MLP("mlp"),
    /** conv 3→32 (pad 1), 32→64 and 64→64 (stride 2, pad 1), ReLU, global mean pool, linear 64→10; batch 64 of 3×32×32. */
    CNN("cnn"),
    /** Causal transformer LM: vocab 64, width 128, 4 heads, MLP 512, 2 pre-LN GELU blocks; batch 32 of 64 tokens. */
    LM("lm");

    private final String prefix;

    StepModel(String prefix) {
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    /** A fresh model, its batch and the loss over it (cross-entropy, mean over every prediction). */
    Instance build(long seed) {
        Rng rng = new Rng(seed);
        return switch (this) {
            case MLP -> new Instance(new Sequential(new Linear(784, 512, rng), new ReLU(), new Linear(512, 256, rng), new ReLU(),
                    new Linear(256, 10, rng)), rng.normal(DType.F32, 0, 1, 128, 784), classes(rng, 10, 128));
            case CNN -> new Instance(ConvNetTask.network(3, 32, 10, rng), rng.normal(DType.F32, 0, 1, 64, 3, 32, 32),
                    classes(rng, 10, 64));
            case LM -> new Instance(new TransformerLM(64, 128, 4, 512, 2, 64, DType.F32, rng), classes(rng, 64, 32, 64),
                    classes(rng, 64, 32, 64));
        };
    }

    /** Uniform class ids in [0, classes) as an F32 tensor of the given shape. */
    private static Tensor classes(Rng rng, int classes, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        double[] ids = new double[n];
        for (int i = 0; i < n; i++) ids[i] = rng.nextInt(classes);
        return Tensor.fromArray(ids, shape).to(DType.F32);
    }

    /** A model with its fixed batch. */
    record Instance(Module model, Tensor x, Tensor y) {
        private static final CrossEntropyLoss LOSS = new CrossEntropyLoss();

        /** The forward pass and the loss, with the graph recorded. */
        Variable loss() {
            return LOSS.apply(model.forward(Variable.constant(x)), y);
        }
    }
}
