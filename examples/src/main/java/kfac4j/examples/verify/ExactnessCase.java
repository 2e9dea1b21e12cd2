package kfac4j.examples.verify;

import java.util.List;
import java.util.function.BiPredicate;
import java.util.function.Supplier;

import kfac4j.autograd.LossHessian;
import kfac4j.autograd.Variable;
import kfac4j.kfac.Approximation;
import kfac4j.nn.Conv2d;
import kfac4j.nn.CrossEntropyLoss;
import kfac4j.nn.GlobalMeanPool;
import kfac4j.nn.Linear;
import kfac4j.nn.Loss;
import kfac4j.nn.MSELoss;
import kfac4j.nn.Module;
import kfac4j.nn.Reduction;
import kfac4j.nn.Sequential;
import kfac4j.nn.Tanh;
import kfac4j.tensor.ConvGeometry;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * One network of the exactness table (DESIGN.md §5.3), in F64 from a seeded generator: the model, its output on a
 * fixed batch, the loss and its Hessian for the exact GGN, and what the theory of Eschenhagen et al. (2023) says about
 * each layer and flavour.
 *
 * @param theoryExact whether K-FAC in this flavour equals the exact GGN block of this layer (by layer name)
 */
record ExactnessCase(String name, Module model, Supplier<Variable> prediction, Tensor target, Loss loss,
                     LossHessian lossHessian, BiPredicate<String, Approximation> theoryExact) {

    static final int D0 = 4, D1 = 5, D2 = 3, OUT = 2, N = 3, R = 4;

    static List<ExactnessCase> all() {
        return List.of(deepLinear(false), deepLinear(true), raggedDeepLinear(), singleExampleMlp(), conv(false), conv(true));
    }

    private static Linear linear(int in, int out, Rng rng) {
        return new Linear(in, out, true, DType.F64, rng);
    }

    /**
     * Three weight-sharing linear layers with biases over (N, R, D), MSE. Expand setting: a loss term per row, so
     * K-FAC-expand is exact in every layer. Reduce setting: mean over the R rows before the loss, so K-FAC-reduce is.
     */
    static ExactnessCase deepLinear(boolean pooled) {
        Rng rng = new Rng(pooled ? 2 : 1);
        Sequential model = pooled
                ? new Sequential(linear(D0, D1, rng), linear(D1, D2, rng), linear(D2, OUT, rng), GlobalMeanPool.overTokens())
                : new Sequential(linear(D0, D1, rng), linear(D1, D2, rng), linear(D2, OUT, rng));
        Tensor x = rng.normal(DType.F64, 0, 1, N, R, D0);
        Tensor y = pooled ? rng.normal(DType.F64, 0, 1, N, OUT) : rng.normal(DType.F64, 0, 1, N, R, OUT);
        Approximation exact = pooled ? Approximation.REDUCE : Approximation.EXPAND;
        return new ExactnessCase(pooled ? "deep-linear-reduce" : "deep-linear-expand", model,
                () -> model.forward(Variable.constant(x)), y, new MSELoss(Reduction.MEAN), LossHessian.mse(),
                (layer, approx) -> approx == exact);
    }

    /** The deep linear net over a ragged batch: example n has R_n rows (1, 4, 2, 3), one loss term per row. */
    static ExactnessCase raggedDeepLinear() {
        Rng rng = new Rng(3);
        RaggedStack model = new RaggedStack(linear(D0, D1, rng), linear(D1, D2, rng), linear(D2, OUT, rng));
        int[] exampleOfRow = {0, 1, 1, 1, 1, 2, 2, 3, 3, 3};
        Tensor x = rng.normal(DType.F64, 0, 1, exampleOfRow.length, D0);
        Tensor y = rng.normal(DType.F64, 0, 1, exampleOfRow.length, OUT);
        return new ExactnessCase("deep-linear-ragged-expand", model,
                () -> model.forward(Variable.constant(x), exampleOfRow, 4), y, new MSELoss(Reduction.MEAN),
                LossHessian.mse(), (layer, approx) -> approx == Approximation.EXPAND);
    }

    /** A tanh MLP with cross-entropy on one example: no weight sharing, so both flavours are K-FAC and exact. */
    static ExactnessCase singleExampleMlp() {
        Rng rng = new Rng(4);
        Sequential model = new Sequential(linear(D0, D1, rng), new Tanh(), linear(D1, D1, rng), new Tanh(), linear(D1, 3, rng));
        Tensor x = rng.normal(DType.F64, 0, 1, 1, D0);
        Tensor y = Tensor.of(2);
        return new ExactnessCase("single-example-mlp", model, () -> model.forward(Variable.constant(x)), y,
                new CrossEntropyLoss(Reduction.MEAN), LossHessian.softmaxCrossEntropy(), (layer, approx) -> true);
    }

    /**
     * Two 3×3 convolutions (padding 1) and a linear head, no activations, MSE. Expand setting: the head is applied
     * at every position (a loss term per position), so the last convolution and the head are exact with expand.
     * Reduce setting: global mean pooling before the head, so the last convolution is exact with reduce and the head
     * (one row per example) with both. The first convolution's rows reach several terms: exact in neither.
     */
    static ExactnessCase conv(boolean pooled) {
        Rng rng = new Rng(pooled ? 6 : 5);
        ConvNet model = new ConvNet(rng, pooled);
        Tensor x = rng.normal(DType.F64, 0, 1, 2, 2, 4, 3);
        Tensor y = pooled ? rng.normal(DType.F64, 0, 1, 2, OUT) : rng.normal(DType.F64, 0, 1, 2, 4, 3, OUT);
        BiPredicate<String, Approximation> theory = pooled
                ? (layer, approx) -> layer.equals("head") || (layer.equals("conv2") && approx == Approximation.REDUCE)
                : (layer, approx) -> !layer.equals("conv1") && approx == Approximation.EXPAND;
        return new ExactnessCase(pooled ? "conv-reduce" : "conv-expand", model, () -> model.forward(Variable.constant(x)), y,
                new MSELoss(Reduction.MEAN), LossHessian.mse(), theory);
    }

    /** Linear layers applied to ragged rows, as a graph network applies them to the nodes of graphs of any size. */
    static final class RaggedStack extends Module {
        private final List<Linear> layers;

        RaggedStack(Linear... layers) {
            this.layers = List.of(layers);
            for (int i = 0; i < layers.length; i++) registerModule(Integer.toString(i), layers[i]);
        }

        Variable forward(Variable rows, int[] exampleOfRow, int numExamples) {
            for (Linear l : layers) rows = l.forward(rows, exampleOfRow, numExamples);
            return rows;
        }
    }

    /** conv1 (2→3) → conv2 (3→4) → head (4→2), per position (channels last) or after global mean pooling. */
    static final class ConvNet extends Module {
        private final Conv2d conv1, conv2;
        private final Linear head;
        private final boolean pooled;

        ConvNet(Rng rng, boolean pooled) {
            this.pooled = pooled;
            conv1 = registerModule("conv1", new Conv2d(2, 3, ConvGeometry.square(3, 1, 1, 1), true, DType.F64, rng));
            conv2 = registerModule("conv2", new Conv2d(3, 4, ConvGeometry.square(3, 1, 1, 1), true, DType.F64, rng));
            head = registerModule("head", linear(4, OUT, rng));
        }

        @Override
        public Variable forward(Variable x) {
            Variable h = conv2.forward(conv1.forward(x));
            return pooled ? head.forward(h.mean(new int[]{2, 3}, false)) : head.forward(h.permute(0, 2, 3, 1));
        }
    }
}
