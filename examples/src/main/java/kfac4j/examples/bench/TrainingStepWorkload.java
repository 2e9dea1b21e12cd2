package kfac4j.examples.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import kfac4j.autograd.Variable;
import kfac4j.kfac.Approximation;
import kfac4j.kfac.DampingMode;
import kfac4j.kfac.FallbackRule;
import kfac4j.kfac.FisherType;
import kfac4j.kfac.KfacOptimizer;
import kfac4j.nn.Adam;
import kfac4j.nn.Optimizer;
import kfac4j.nn.SGD;

/**
 * One training step of a {@link StepModel} on its fixed batch: forward, loss, backward and update.
 * <ul>
 *   <li>{@code mlp_step}, {@code cnn_step}, {@code lm_step}: SGD at lr 1e-3, as {@code torch_ref.py} times them;</li>
 *   <li>{@code <model>_adam_step}: the same with Adam, the first-order step K-FAC is weighed against;</li>
 *   <li>{@code <model>_kfac_<flavour>_step}: a K-FAC step that updates the factors and recomputes the inverses
 *       (the MC Fisher's extra backward pass, the Kronecker statistics, the Cholesky factors of π-damping, the
 *       preconditioned update with momentum; LayerNorm and embeddings by Adam);</li>
 *   <li>{@code <model>_kfac_<flavour>_step_amortised}: the per-step cost with statistics every step and inverses every
 *       ten, timed as runs of ten steps (one with the inverses) divided by ten.</li>
 * </ul>
 */
record TrainingStepWorkload(StepModel model, Rule rule) implements Workload {
    /** How the step updates the weights. */
    enum Rule {
        SGD(""), ADAM("_adam"),
        KFAC_EXPAND("_kfac_expand"), KFAC_REDUCE("_kfac_reduce"),
        KFAC_EXPAND_AMORTISED("_kfac_expand"), KFAC_REDUCE_AMORTISED("_kfac_reduce");

        private final String infix;

        Rule(String infix) {
            this.infix = infix;
        }

        boolean amortised() {
            return this == KFAC_EXPAND_AMORTISED || this == KFAC_REDUCE_AMORTISED;
        }
    }

    static final double LEARNING_RATE = 1e-3, DAMPING = 1e-3;
    /** K-FAC's inverse interval in the amortised workloads, and so the steps in one of their runs. */
    static final int INVERSE_EVERY = 10;

    /** Every step workload: the three plain steps first, in torch_ref.py's order, then Adam and K-FAC for cnn and lm. */
    static List<Workload> all() {
        List<Workload> w = new ArrayList<>();
        for (StepModel m : StepModel.values()) w.add(new TrainingStepWorkload(m, Rule.SGD));
        for (StepModel m : List.of(StepModel.CNN, StepModel.LM)) {
            for (Rule r : Rule.values()) if (r != Rule.SGD) w.add(new TrainingStepWorkload(m, r));
            w.add(new KfacFactorsWorkload(m, Approximation.EXPAND));
            w.add(new KfacFactorsWorkload(m, Approximation.REDUCE));
        }
        return w;
    }

    @Override
    public String name() {
        return model.prefix() + rule.infix + "_step" + (rule.amortised() ? "_amortised" : "");
    }

    @Override
    public double flops() {
        return 0;
    }

    @Override
    public int stepsPerRun() {
        return rule.amortised() ? INVERSE_EVERY : 1;
    }

    @Override
    public Runnable prepare() {
        return prepare(model.build(0));
    }

    /** The step on a given model and batch. */
    Runnable prepare(StepModel.Instance m) {
        return switch (rule) {
            case SGD -> firstOrder(m, new SGD(m.model().parameters(), LEARNING_RATE));
            case ADAM -> firstOrder(m, new Adam(m.model().parameters(), LEARNING_RATE));
            case KFAC_EXPAND, KFAC_REDUCE -> kfac(m, rule == Rule.KFAC_EXPAND ? Approximation.EXPAND : Approximation.REDUCE, 1);
            case KFAC_EXPAND_AMORTISED, KFAC_REDUCE_AMORTISED ->
                    kfac(m, rule == Rule.KFAC_EXPAND_AMORTISED ? Approximation.EXPAND : Approximation.REDUCE, INVERSE_EVERY);
        };
    }

    private static Runnable firstOrder(StepModel.Instance m, Optimizer opt) {
        return () -> {
            opt.zeroGrad();
            Variable loss = m.loss();
            loss.backward();
            opt.step();
            Sink.keep(loss);
        };
    }

    /** K-FAC as {@code train} runs it, with inverses every {@code inverseEvery} steps; a run is that many steps. */
    private static Runnable kfac(StepModel.Instance m, Approximation a, int inverseEvery) {
        KfacOptimizer opt = KfacOptimizer.builder(m.model()).approximation(a).fisher(FisherType.MC).seed(0)
                .learningRate(LEARNING_RATE).damping(DAMPING).dampingMode(DampingMode.FACTORED).momentum(0.9)
                .statsEvery(1).inverseEvery(inverseEvery).fallback(FallbackRule.ADAM, LEARNING_RATE).log(null).build();
        return () -> {
            for (int i = 0; i < inverseEvery; i++) Sink.keep(opt.step(m.loss()));
        };
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s (%s)", name(), rule);
    }
}
