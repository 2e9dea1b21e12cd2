package kfac4j.examples.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import kfac4j.examples.progress.MetricsLog;
import kfac4j.examples.train.Curve;

/**
 * Runs of several optimizers toward one validation target, compared with the first run (the baseline): how many steps
 * and seconds each needed to reach the target, and those as fractions of the baseline's.
 */
public final class Comparison {
    /** One optimizer's run: its name, the learning rate it used, and its validation curve. */
    public record Run(String name, double learningRate, Curve curve) {
    }

    /**
     * Where a curve first reached the target: the step and training seconds of its first evaluation at or above it.
     * Steps are known to within the evaluation interval; the first point at or above the target is the honest count
     * (the run had not been seen to reach it earlier).
     */
    public record Reached(int steps, double seconds) {
        public static java.util.Optional<Reached> of(Curve curve, double target) {
            for (Curve.Point p : curve.points()) {
                if (p.validationAccuracy() >= target) return java.util.Optional.of(new Reached(p.step(), p.seconds()));
            }
            return java.util.Optional.empty();
        }
    }

    private final double target;
    private final List<Run> runs = new ArrayList<>();

    public Comparison(double target) {
        this.target = target;
    }

    public double target() {
        return target;
    }

    public Comparison add(Run run) {
        runs.add(run);
        return this;
    }

    public List<Run> runs() {
        return List.copyOf(runs);
    }

    /** Steps of {@code run} to the target over the baseline's, NaN when either did not reach it. */
    public double stepRatio(Run run) {
        var r = Reached.of(run.curve(), target);
        var b = Reached.of(runs.getFirst().curve(), target);
        return r.isPresent() && b.isPresent() ? (double) r.get().steps() / b.get().steps() : Double.NaN;
    }

    /** Seconds of {@code run} to the target over the baseline's, NaN when either did not reach it. */
    public double secondsRatio(Run run) {
        var r = Reached.of(run.curve(), target);
        var b = Reached.of(runs.getFirst().curve(), target);
        return r.isPresent() && b.isPresent() ? r.get().seconds() / b.get().seconds() : Double.NaN;
    }

    /** The run that reached the target in the fewest steps (the first of equals), empty when none reached it. */
    public java.util.Optional<Run> fastest() {
        Run best = null;
        int bestSteps = Integer.MAX_VALUE;
        for (Run r : runs) {
            var reached = Reached.of(r.curve(), target);
            if (reached.isPresent() && reached.get().steps() < bestSteps) {
                best = r;
                bestSteps = reached.get().steps();
            }
        }
        return java.util.Optional.ofNullable(best);
    }

    /** The table the demo prints: one row per run, the baseline first. */
    public String table() {
        String baseline = runs.getFirst().name();
        StringBuilder sb = new StringBuilder();
        String header = String.format(Locale.ROOT, "%-12s %9s %15s %17s %15s %17s", "optimizer", "lr", "steps to target",
                "seconds to target", "steps / " + baseline, "seconds / " + baseline);
        sb.append(header).append('\n').append("-".repeat(header.length())).append('\n');
        for (Run r : runs) {
            var reached = Reached.of(r.curve(), target);
            String steps = reached.map(x -> Integer.toString(x.steps())).orElse("not reached");
            String seconds = reached.map(x -> String.format(Locale.ROOT, "%.1f", x.seconds())).orElse("-");
            sb.append(String.format(Locale.ROOT, "%-12s %9.3g %15s %17s %15s %17s%n", r.name(), r.learningRate(), steps, seconds,
                    ratio(stepRatio(r)), ratio(secondsRatio(r))));
        }
        return sb.toString();
    }

    private static String ratio(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    /** Every run's curve in one CSV: an {@code optimizer} column, then {@link Curve#COLUMNS}. */
    public void writeCsv(Path file) throws IOException {
        List<String> columns = new ArrayList<>(List.of("optimizer"));
        columns.addAll(Curve.COLUMNS);
        try (MetricsLog log = MetricsLog.open(file, MetricsLog.Format.CSV, columns.toArray(String[]::new))) {
            for (Run r : runs) {
                for (Curve.Point p : r.curve().points()) {
                    Object[] row = p.row(), named = new Object[row.length + 1];
                    named[0] = r.name();
                    System.arraycopy(row, 0, named, 1, row.length);
                    log.append(named);
                }
            }
        }
    }
}
