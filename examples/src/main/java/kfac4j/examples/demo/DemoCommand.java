package kfac4j.examples.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import kfac4j.examples.cli.Command;
import kfac4j.examples.cli.Options;
import kfac4j.examples.plot.Figure;
import kfac4j.examples.plot.LineChart;
import kfac4j.examples.progress.ProgressBar;
import kfac4j.examples.tasks.Recipe;
import kfac4j.examples.tasks.Task;
import kfac4j.examples.tasks.TaskOptions;
import kfac4j.examples.train.Curve;
import kfac4j.examples.train.OptimizerChoice;
import kfac4j.examples.train.OptimizerStep;
import kfac4j.examples.train.Training;

/**
 * {@code demo}: the same CNN, data and seed trained with tuned Adam, K-FAC-expand (KFC) and K-FAC-reduce until each
 * reaches a validation accuracy; prints steps and seconds to the target and their ratios to Adam, and writes the
 * curves as {@code curves.csv} and {@code demo.png}. Seconds count training steps only (evaluations excluded), after a
 * short warm-up of every optimizer so that no run pays for the JIT compiler.
 */
public final class DemoCommand implements Command {
    static final String TASK = "cnn";
    /** Learning rates of the optional Adam sweep. */
    static final double[] ADAM_SWEEP = {1e-3, 2e-3, 3e-3, 5e-3, 7e-3, 1e-2, 2e-2};
    private static final int WARMUP_STEPS = 10;
    /** The target and seed at which the recipe's Adam learning rate was chosen by the sweep. */
    static final double TUNED_TARGET = 0.9;
    static final long TUNED_SEED = 0;

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String summary() {
        return "train a CNN with Adam, K-FAC-expand and K-FAC-reduce to one target; compare steps and seconds";
    }

    @Override
    public Options options() {
        return new Options()
                .value("target", "ACC", "0.9", "the validation accuracy each optimizer must reach")
                .value("max-steps", "N", "3000", "give up on an optimizer after this many steps")
                .value("eval-every", "N", "10", "steps between validation evaluations")
                .value("seed", "S", "0", "seed of the data, the initial weights, the batch order and K-FAC's sampling")
                .value("out", "DIR", "runs/demo", "where to write curves.csv and demo.png")
                .value("scale", "S", "laptop", "model and data sizes (tiny: a smoke run in seconds)", "laptop", "tiny")
                .flag("sweep", "first sweep Adam's learning rate over " + sweepList() + " and race the best one (about ten minutes)");
    }

    @Override
    public int run(Options.Parsed args, PrintStream out) throws IOException {
        double target = args.real("target");
        if (!(target > 0 && target < 1)) throw new Options.UsageException("demo: --target must be in (0, 1), got " + target);
        int maxSteps = args.integer("max-steps"), evalEvery = args.integer("eval-every");
        if (maxSteps < 1 || evalEvery < 1) throw new Options.UsageException("demo: --max-steps and --eval-every must be ≥ 1");
        long seed = args.integer("seed");
        Path dir = Path.of(args.string("out"));
        TaskOptions options = new TaskOptions(seed, 0, null,
                args.string("scale").equals("tiny") ? TaskOptions.Scale.TINY : TaskOptions.Scale.LAPTOP);

        Task probe = Task.create(TASK, options);
        Recipe recipe = probe.recipe();
        out.println("task     " + probe.description());
        out.printf(Locale.ROOT, "target   validation accuracy %.2f, evaluated every %d steps, at most %d steps%n", target, evalEvery, maxSteps);
        out.printf(Locale.ROOT, "K-FAC    lr %g, MC Fisher, damping %g (factored), momentum %.1f, statistics every %d step,"
                        + " inverses every %d steps%n", recipe.kfacLearningRate(), recipe.damping(), OptimizerChoice.MOMENTUM,
                OptimizerChoice.STATS_EVERY, OptimizerChoice.INVERSE_EVERY);
        if (!args.has("sweep")) {
            out.printf(Locale.ROOT, "Adam     lr %g, tuned: the fewest steps to accuracy %.2f with seed %d among lr %s"
                    + " (--sweep re-tunes it for other settings)%n", recipe.adamLearningRate(), TUNED_TARGET, TUNED_SEED, sweepList());
        }
        warmUp(options, recipe);

        double adamLr = recipe.adamLearningRate();
        if (args.has("sweep")) adamLr = sweepAdam(options, recipe, target, maxSteps, evalEvery, out);
        Comparison comparison = new Comparison(target);
        comparison.add(race(OptimizerChoice.ADAM, adamLr, options, recipe, target, maxSteps, evalEvery, out));
        comparison.add(race(OptimizerChoice.KFAC_EXPAND, recipe.kfacLearningRate(), options, recipe, target, maxSteps, evalEvery, out));
        comparison.add(race(OptimizerChoice.KFAC_REDUCE, recipe.kfacLearningRate(), options, recipe, target, maxSteps, evalEvery, out));

        out.println();
        out.print(comparison.table());
        comparison.writeCsv(dir.resolve("curves.csv"));
        plot(comparison, dir.resolve("demo.png"));
        out.println("\nwrote " + dir.resolve("curves.csv") + " and " + dir.resolve("demo.png"));
        return 0;
    }

    /** A few steps of every optimizer on a throwaway copy of the task, so that the timed runs start compiled. */
    private static void warmUp(TaskOptions options, Recipe recipe) throws IOException {
        for (OptimizerChoice o : List.of(OptimizerChoice.ADAM, OptimizerChoice.KFAC_EXPAND, OptimizerChoice.KFAC_REDUCE)) {
            Task task = Task.create(TASK, options);
            try (OptimizerStep step = o.build(task.model(), recipe, o.learningRate(recipe), recipe.damping(), options.seed(), null)) {
                Training.run(task, step, new Training.Plan(WARMUP_STEPS, WARMUP_STEPS, Double.NaN), null);
            }
        }
    }

    private static Comparison.Run race(OptimizerChoice o, double lr, TaskOptions options, Recipe recipe, double target,
                                       int maxSteps, int evalEvery, PrintStream out) throws IOException {
        Task task = Task.create(TASK, options);
        Curve curve;
        try (OptimizerStep step = o.build(task.model(), recipe, lr, recipe.damping(), options.seed(), null);
             ProgressBar bar = ProgressBar.create(String.format(Locale.ROOT, "%-11s", o.label()), maxSteps, out)
                     .metricName("val acc")) {
            curve = Training.run(task, step, new Training.Plan(maxSteps, evalEvery, target), new Training.Listener() {
                @Override
                public void onStep(int s, int total, double loss, Curve.Point last) {
                    bar.update(s, loss, last.validationAccuracy());
                }
            });
        }
        Curve.Point last = curve.last();
        out.printf(Locale.ROOT, "%-12s lr %-7.3g %s at step %d (accuracy %.3f, %.1f s)%n", o.label(), lr,
                curve.diverged() ? "diverged" : last.validationAccuracy() >= target ? "reached the target" : "stopped",
                last.step(), last.validationAccuracy(), last.seconds());
        return new Comparison.Run(o.label(), lr, curve);
    }

    /** Adam at every rate of {@link #ADAM_SWEEP}; returns the rate that reached the target in the fewest steps. */
    private static double sweepAdam(TaskOptions options, Recipe recipe, double target, int maxSteps, int evalEvery,
                                    PrintStream out) throws IOException {
        out.println("\nAdam learning-rate sweep:");
        Comparison sweep = new Comparison(target);
        for (double lr : ADAM_SWEEP) sweep.add(race(OptimizerChoice.ADAM, lr, options, recipe, target, maxSteps, evalEvery, out));
        double best = sweep.fastest().map(Comparison.Run::learningRate).orElse(recipe.adamLearningRate());
        out.printf(Locale.ROOT, "best Adam learning rate: %g%n%n", best);
        return best;
    }

    /** Validation accuracy against steps and against training seconds, with the target as a dashed line. */
    static void plot(Comparison c, Path file) throws IOException {
        LineChart bySteps = new LineChart("validation accuracy by step", "step", "accuracy").yRange(0, 1);
        LineChart bySeconds = new LineChart("validation accuracy by training time", "seconds", "accuracy").yRange(0, 1);
        for (Comparison.Run r : c.runs()) {
            List<Curve.Point> p = r.curve().points();
            double[] acc = p.stream().mapToDouble(Curve.Point::validationAccuracy).toArray();
            bySteps.add(r.name(), p.stream().mapToDouble(Curve.Point::step).toArray(), acc);
            bySeconds.add(r.name(), p.stream().mapToDouble(Curve.Point::seconds).toArray(), acc);
        }
        String label = String.format(Locale.ROOT, "target %.2f", c.target());
        bySteps.referenceLine(c.target(), label);
        bySeconds.referenceLine(c.target(), label);
        Figure.of(bySteps, bySeconds).title("CNN on synthetic shapes: Adam vs K-FAC-expand vs K-FAC-reduce")
                .writePng(file, 1200, 500);
    }

    private static String sweepList() {
        StringBuilder sb = new StringBuilder();
        for (double lr : ADAM_SWEEP) sb.append(sb.isEmpty() ? "" : ", ").append(lr);
        return sb.toString();
    }
}
