package kfac4j.examples.train;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import kfac4j.examples.cli.Command;
import kfac4j.examples.cli.Options;
import kfac4j.examples.plot.Figure;
import kfac4j.examples.plot.LineChart;
import kfac4j.examples.progress.MetricsLog;
import kfac4j.examples.progress.ProgressBar;
import kfac4j.examples.tasks.Recipe;
import kfac4j.examples.tasks.Task;
import kfac4j.examples.tasks.TaskOptions;

/**
 * {@code train --task T --optimizer O}: trains one of the laptop-scale experiments with one optimizer, shows progress,
 * and writes to {@code --out} the validation curve ({@code metrics.csv}, a row per evaluation as the run goes), the
 * run's settings and result ({@code summary.json}, one JSON object) and a plot ({@code curves.png}). The same seed
 * gives the same curve.
 */
public final class TrainCommand implements Command {
    private static final String TASK_DEFAULT = "task";

    @Override
    public String name() {
        return "train";
    }

    @Override
    public String summary() {
        return "train a laptop-scale experiment (lm, vit, cnn, gnn-node, gnn-graph, mlp) with sgd, adam or K-FAC";
    }

    @Override
    public Options options() {
        return new Options()
                .value("task", "T", null, "the experiment", Task.NAMES.toArray(String[]::new))
                .value("optimizer", "O", null, "the optimizer", OptimizerChoice.labels().toArray(String[]::new))
                .value("steps", "N", TASK_DEFAULT, "training steps (task: the task's default)")
                .value("batch-size", "B", TASK_DEFAULT, "examples per batch (task: the task's default)")
                .value("lr", "RATE", TASK_DEFAULT, "learning rate (task: the rate tuned for this task and optimizer)")
                .value("damping", "LAMBDA", TASK_DEFAULT, "K-FAC's Tikhonov damping (task: the task's default)")
                .value("seed", "S", "0", "seed of the data, the initial weights, the batch order and K-FAC's sampling")
                .value("data", "PATH", null, "train on this file or directory instead of the built-in synthetic data")
                .value("out", "DIR", null, "where to write metrics.csv, summary.json and curves.png [default: runs/TASK-OPTIMIZER]")
                .value("eval-every", "N", "0", "steps between validation evaluations (0: about 40 per run)")
                .value("scale", "S", "laptop", "model and data sizes", "laptop", "tiny");
    }

    @Override
    public int run(Options.Parsed args, PrintStream out) throws IOException {
        String taskName = args.string("task");
        OptimizerChoice optimizer = OptimizerChoice.of(args.string("optimizer"));
        long seed = args.integer("seed");
        TaskOptions.Scale scale = args.string("scale").equals("tiny") ? TaskOptions.Scale.TINY : TaskOptions.Scale.LAPTOP;
        int batchArg = orTaskDefault(args, "batch-size") ? 0 : positiveInteger(args, "batch-size");
        String data = args.stringOrNull("data");
        Task task = Task.create(taskName, new TaskOptions(seed, batchArg, data == null ? null : Path.of(data), scale));
        Recipe recipe = task.recipe();
        int steps = orTaskDefault(args, "steps") ? recipe.steps() : positiveInteger(args, "steps");
        int batchSize = task.batchSize();
        double lr = orTaskDefault(args, "lr") ? optimizer.learningRate(recipe) : positiveReal(args, "lr");
        double damping = orTaskDefault(args, "damping") ? recipe.damping() : positiveReal(args, "damping");
        int evalEvery = args.integer("eval-every");
        if (evalEvery < 0) throw new Options.UsageException("train: --eval-every must be ≥ 0, got " + evalEvery);
        if (evalEvery == 0) evalEvery = Math.max(1, steps / 40);
        Path dir = Path.of(args.stringOrNull("out") != null ? args.stringOrNull("out") : "runs/" + taskName + "-" + optimizer.label());

        out.println("task      " + taskName + ": " + task.description());
        out.println("setting   K-FAC-" + task.setting().name().toLowerCase(Locale.ROOT) + " (the paper's flavour for this task)");
        out.printf(Locale.ROOT, "optimizer %s, lr %g%s, %d steps, batch size %d, seed %d%n", optimizer.label(), lr,
                optimizer.isKfac() ? String.format(Locale.ROOT, ", damping %g", damping) : "", steps, batchSize, seed);
        Curve curve;
        try (OptimizerStep step = optimizer.build(task.model(), recipe, lr, damping, seed, optimizer.isKfac() ? out : null);
             MetricsLog metrics = MetricsLog.open(dir.resolve("metrics.csv"), Curve.COLUMNS.toArray(String[]::new));
             ProgressBar bar = ProgressBar.create(taskName + " " + optimizer.label(), steps, out).metricName("val acc")) {
            curve = Training.run(task, step, new Training.Plan(steps, evalEvery, Double.NaN), new Training.Listener() {
                @Override
                public void onStep(int s, int total, double loss, Curve.Point last) {
                    bar.update(s, loss, last.validationAccuracy());
                }

                @Override
                public void onEvaluation(Curve.Point point) {
                    try {
                        metrics.append(point.row());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
        }
        Curve.Point last = curve.last();
        if (curve.diverged()) {
            out.printf(Locale.ROOT, "the loss became non-finite after step %d: try a smaller --lr%s%n", last.step(),
                    optimizer.isKfac() ? " or a larger --damping" : "");
        }
        out.printf(Locale.ROOT, "step %d: validation loss %.4f, accuracy %.4f, %.1f s of training%n", last.step(),
                last.validationLoss(), last.validationAccuracy(), last.seconds());
        try (MetricsLog summary = MetricsLog.open(dir.resolve("summary.json"), "task", "description", "optimizer",
                "steps_planned", "steps_taken", "batch_size", "learning_rate", "damping", "seed", "training_seconds",
                "val_loss", "val_accuracy", "diverged")) {
            summary.append(taskName, task.description(), optimizer.label(), steps, last.step(), batchSize, lr,
                    optimizer.isKfac() ? damping : Double.NaN, seed, last.seconds(), last.validationLoss(),
                    last.validationAccuracy(), curve.diverged());
        }
        plot(taskName + " with " + optimizer.label(), curve, dir.resolve("curves.png"));
        out.println("wrote " + dir.resolve("metrics.csv") + ", " + dir.resolve("summary.json") + ", " + dir.resolve("curves.png"));
        return curve.diverged() ? 1 : 0;
    }

    /** Validation accuracy, and training and validation loss, against steps. */
    static void plot(String title, Curve curve, Path file) throws IOException {
        List<Curve.Point> p = curve.points();
        double[] step = p.stream().mapToDouble(Curve.Point::step).toArray();
        LineChart accuracy = new LineChart("accuracy", "step", "accuracy").yRange(0, 1)
                .add("validation", step, p.stream().mapToDouble(Curve.Point::validationAccuracy).toArray());
        LineChart loss = new LineChart("loss", "step", "cross-entropy (nats)").logY(true)
                .add("validation", step, p.stream().mapToDouble(Curve.Point::validationLoss).toArray())
                .add("training", step, p.stream().mapToDouble(Curve.Point::trainLoss).toArray());
        Figure.of(accuracy, loss).title(title).writePng(file, 1200, 500);
    }

    private static boolean orTaskDefault(Options.Parsed args, String name) {
        return args.string(name).equals(TASK_DEFAULT);
    }

    private static int positiveInteger(Options.Parsed args, String name) {
        int v = args.integer(name);
        if (v < 1) throw new Options.UsageException("train: --" + name + " must be ≥ 1 (or '" + TASK_DEFAULT + "'), got " + v);
        return v;
    }

    private static double positiveReal(Options.Parsed args, String name) {
        double v = args.real(name);
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new Options.UsageException("train: --" + name + " must be a positive number (or '" + TASK_DEFAULT + "'), got " + v);
        }
        return v;
    }
}
