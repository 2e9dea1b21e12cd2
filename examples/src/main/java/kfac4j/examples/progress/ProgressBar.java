package kfac4j.examples.progress;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of a loop of known length: step/total, loss, one metric, steps per second and the estimated time left.
 * On a terminal it redraws one line in place ({@code \r}), at most ten times a second; elsewhere (a CI log, a file)
 * it prints a plain line at every tenth of the way and at least every 30 seconds, so logs stay short but alive.
 *
 * <pre>{@code
 * try (ProgressBar bar = ProgressBar.create("adam", steps, System.err).metricName("val acc")) {
 *     for (int step = 1; step <= steps; step++) { ...; bar.update(step, loss, accuracy); }
 * }
 * }</pre>
 */
public final class ProgressBar implements AutoCloseable {
    private static final int BAR_WIDTH = 24;
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final long QUIET_LIMIT_NANOS = 30_000_000_000L;

    private final String label;
    private final long total;
    private final PrintStream out;
    private final boolean interactive;
    private final LongSupplier clock;
    private final long start;
    private String metricName = "metric";
    private long lastDraw;
    private boolean drawn;
    private long nextFraction = 1;
    private long printedStep = -1;
    private int drawnWidth;
    private long step;
    private double loss = Double.NaN, metric = Double.NaN;
    private boolean finished;

    /**
     * @param interactive redraw in place (a terminal) or print plain lines (a log)
     * @param clock       nanosecond time source ({@link System#nanoTime} outside tests)
     */
    public ProgressBar(String label, long total, PrintStream out, boolean interactive, LongSupplier clock) {
        if (total < 1) throw new IllegalArgumentException("ProgressBar: total must be ≥ 1, got " + total);
        this.label = label;
        this.total = total;
        this.out = out;
        this.interactive = interactive;
        this.clock = clock;
        this.start = clock.getAsLong();
        this.lastDraw = start;
    }

    /** A bar on {@code out}, redrawn in place when {@code out} is the console's terminal, plain lines otherwise. */
    public static ProgressBar create(String label, long total, PrintStream out) {
        Console console = System.console();
        boolean terminal = console != null && console.isTerminal() && (out == System.out || out == System.err);
        return new ProgressBar(label, total, out, terminal, System::nanoTime);
    }

    /** The name shown before the metric value (default "metric"). */
    public ProgressBar metricName(String name) {
        this.metricName = name;
        return this;
    }

    public void update(long step, double loss) {
        update(step, loss, metric);
    }

    /** Records that {@code step} of {@code total} is done, with the latest loss and metric (NaN: not shown). */
    public void update(long step, double loss, double metric) {
        if (step < 0 || step > total) throw new IllegalArgumentException("ProgressBar: step " + step + " outside [0, " + total + "]");
        this.step = step;
        this.loss = loss;
        this.metric = metric;
        long now = clock.getAsLong();
        if (interactive) {
            if (!drawn || step == total || now - lastDraw >= REDRAW_NANOS) redraw(now);
        } else {
            boolean milestone = step * 10 >= nextFraction * total;
            if (milestone || step == total || now - lastDraw >= QUIET_LIMIT_NANOS) {
                while (nextFraction <= 10 && step * 10 >= nextFraction * total) nextFraction++;
                out.println(line(now));
                out.flush();
                lastDraw = now;
                printedStep = step;
            }
        }
    }

    /** Prints a message on its own line without breaking the bar (it is redrawn below the message). */
    public void message(String text) {
        if (interactive && drawnWidth > 0) {
            out.print("\r" + " ".repeat(drawnWidth) + "\r");
            drawnWidth = 0;
        }
        out.println(text);
        if (interactive) redraw(clock.getAsLong());
        out.flush();
    }

    /** Ends the bar: the final state stays visible, and the terminal line is closed. */
    @Override
    public void close() {
        if (finished) return;
        finished = true;
        long now = clock.getAsLong();
        if (interactive) {
            redraw(now);
            out.println();
        } else if (step != printedStep) {
            out.println(line(now)); // a loop that stopped early (a target reached) still logs where it ended
        }
        out.flush();
    }

    private void redraw(long now) {
        String text = line(now);
        int pad = Math.max(0, drawnWidth - text.length());
        out.print("\r" + text + " ".repeat(pad));
        out.flush();
        drawnWidth = text.length();
        lastDraw = now;
        drawn = true;
    }

    /** The status text at time {@code now}. */
    String line(long now) {
        double seconds = (now - start) / 1e9;
        StringBuilder sb = new StringBuilder();
        sb.append(label).append("  ");
        if (interactive) {
            int filled = (int) (BAR_WIDTH * step / total);
            sb.append('[').append("=".repeat(filled));
            if (filled < BAR_WIDTH) sb.append(step == 0 ? ' ' : '>').append(" ".repeat(BAR_WIDTH - filled - 1));
            sb.append("]  ");
        }
        String width = Long.toString(total);
        sb.append(String.format(Locale.ROOT, "%" + width.length() + "d/%s (%3d%%)", step, width, 100 * step / total));
        if (!Double.isNaN(loss)) sb.append("  loss ").append(number(loss));
        if (!Double.isNaN(metric)) sb.append("  ").append(metricName).append(' ').append(number(metric));
        double rate = seconds > 0 ? step / seconds : Double.NaN;
        if (step > 0 && Double.isFinite(rate)) {
            sb.append(String.format(Locale.ROOT, "  %s steps/s", rate >= 100 ? String.format(Locale.ROOT, "%.0f", rate)
                    : String.format(Locale.ROOT, "%.3g", rate)));
            sb.append(step == total ? "  took " + duration(seconds) : "  ETA " + duration((total - step) / rate));
        }
        return sb.toString();
    }

    private static String number(double v) {
        if (!Double.isFinite(v)) return Double.toString(v).toLowerCase(Locale.ROOT);
        double a = Math.abs(v);
        return a != 0 && (a < 1e-3 || a >= 1e5) ? String.format(Locale.ROOT, "%.3e", v) : String.format(Locale.ROOT, "%.4f", v);
    }

    /** h:mm:ss, or m:ss under an hour. */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds)) return "?";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
