package kfac4j.examples.train;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

import kfac4j.autograd.Variable;
import kfac4j.examples.tasks.Recipe;
import kfac4j.kfac.Approximation;
import kfac4j.kfac.DampingMode;
import kfac4j.kfac.FallbackRule;
import kfac4j.kfac.FisherType;
import kfac4j.kfac.KfacOptimizer;
import kfac4j.nn.Adam;
import kfac4j.nn.Module;
import kfac4j.nn.Optimizer;
import kfac4j.nn.SGD;

/** The optimizers {@code train} and {@code demo} compare, by their command-line names. */
public enum OptimizerChoice {
    SGD("sgd"),
    ADAM("adam"),
    /** K-FAC with every weight-sharing layer in the expand flavour (KFC for convolutions). */
    KFAC_EXPAND("kfac-expand"),
    /** K-FAC with every weight-sharing layer in the reduce flavour. */
    KFAC_REDUCE("kfac-reduce");

    /** Momentum of SGD and of K-FAC's update. */
    public static final double MOMENTUM = 0.9;
    /** K-FAC's statistics and inverse intervals (the usual ones; DESIGN.md §5.4). */
    public static final int STATS_EVERY = 1, INVERSE_EVERY = 10;

    private final String label;

    OptimizerChoice(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public boolean isKfac() {
        return this == KFAC_EXPAND || this == KFAC_REDUCE;
    }

    public static List<String> labels() {
        return Arrays.stream(values()).map(OptimizerChoice::label).toList();
    }

    public static OptimizerChoice of(String label) {
        for (OptimizerChoice c : values()) if (c.label.equals(label)) return c;
        throw new IllegalArgumentException("unknown optimizer '" + label + "'; the optimizers are: " + String.join(", ", labels()));
    }

    /** The task's tuned learning rate for this optimizer. */
    public double learningRate(Recipe recipe) {
        return switch (this) {
            case SGD -> recipe.sgdLearningRate();
            case ADAM -> recipe.adamLearningRate();
            case KFAC_EXPAND, KFAC_REDUCE -> recipe.kfacLearningRate();
        };
    }

    /**
     * Builds the optimizer over {@code model}. K-FAC uses the MC Fisher (one sampled label per term, seeded by
     * {@code seed}), factored π-damping, momentum 0.9, statistics every step and inverses every ten; parameters outside
     * the Kronecker blocks get Adam at the recipe's Adam rate. {@code log} (or null) receives K-FAC's layer table.
     */
    public OptimizerStep build(Module model, Recipe recipe, double learningRate, double damping, long seed, PrintStream log) {
        return switch (this) {
            case SGD -> firstOrder(new SGD(model.parameters(), learningRate).momentum(MOMENTUM));
            case ADAM -> firstOrder(new Adam(model.parameters(), learningRate));
            case KFAC_EXPAND, KFAC_REDUCE -> kfac(KfacOptimizer.builder(model)
                    .approximation(this == KFAC_EXPAND ? Approximation.EXPAND : Approximation.REDUCE)
                    .fisher(FisherType.MC).seed(seed)
                    .learningRate(learningRate).damping(damping).dampingMode(DampingMode.FACTORED).momentum(MOMENTUM)
                    .statsEvery(STATS_EVERY).inverseEvery(INVERSE_EVERY)
                    .fallback(FallbackRule.ADAM, recipe.adamLearningRate())
                    .log(log).build());
        };
    }

    private static OptimizerStep firstOrder(Optimizer optimizer) {
        return loss -> {
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
        };
    }

    private static OptimizerStep kfac(KfacOptimizer optimizer) {
        return new OptimizerStep() {
            @Override
            public void step(Variable loss) {
                optimizer.step(loss);
            }

            @Override
            public void close() {
                optimizer.close();
            }
        };
    }
}
