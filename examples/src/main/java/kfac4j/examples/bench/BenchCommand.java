package kfac4j.examples.bench;

import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import kfac4j.examples.cli.Command;
import kfac4j.examples.cli.Options;

/**
 * {@code bench}: times the standard workloads and prints one JSON line each, {@code {"workload": NAME,
 * "median_ms": T, "gflops": G}}, the format of {@code shared/bench/torch_ref.py}. Each workload first runs until the
 * JIT has settled (see {@link #warmUp}), then {@code --reps} timed runs; the median is reported.
 */
public final class BenchCommand implements Command {
    static final int WARMUP_RUNS = 5;
    static final double WARMUP_SECONDS = 2.0;
    static final double WARMUP_MAX_SECONDS = 20.0;

    private final List<Workload> workloads;
    private final double warmupSeconds, warmupMaxSeconds;

    public BenchCommand() {
        this(StandardWorkloads.all(), WARMUP_SECONDS, WARMUP_MAX_SECONDS);
    }

    BenchCommand(List<Workload> workloads, double warmupSeconds, double warmupMaxSeconds) {
        this.workloads = workloads;
        this.warmupSeconds = warmupSeconds;
        this.warmupMaxSeconds = warmupMaxSeconds;
    }

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "time the standard workloads (GEMM, ...) and print one JSON line each";
    }

    @Override
    public Options options() {
        return new Options()
                .value("only", "SUBSTRING", "", "run only the workloads whose name contains SUBSTRING")
                .value("reps", "N", "20", "timed repetitions per workload (the median is reported)");
    }

    @Override
    public int run(Options.Parsed args, PrintStream out) {
        String only = args.string("only");
        int reps = args.integer("reps");
        if (reps < 1) throw new Options.UsageException("bench: --reps must be at least 1, got " + reps);
        List<Workload> chosen = workloads.stream().filter(w -> w.name().contains(only)).toList();
        if (chosen.isEmpty()) {
            throw new Options.UsageException("bench: no workload name contains '" + only + "'; the workloads are: "
                    + String.join(", ", workloads.stream().map(Workload::name).toList()));
        }
        for (Workload w : chosen) out.println(json(w, medianMillis(w.prepare(), reps) / w.stepsPerRun()));
        return 0;
    }

    /** Median wall time of {@code reps} runs, in milliseconds, after the warm-up. */
    double medianMillis(Runnable run, int reps) {
        warmUp(run);
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) ms[i] = timeMillis(run);
        return median(ms);
    }

    /**
     * Runs the work until the JIT has settled: batches of at least {@value #WARMUP_RUNS} runs and a tenth of the
     * minimum warm-up time, for at least that time, until a batch passes with no compilation going on and a median
     * within 3% of the batch before (the big kernels take a while to compile, much longer on a busy machine), or the
     * maximum time has passed. A batch of a few runs of a short step (a few milliseconds) easily fell between two
     * compilations: mlp_step was measured at 2.7-2.9 ms that way, while the same step settles at 2.3 ms after about
     * three seconds.
     */
    void warmUp(Runnable run) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime(), batchNanos = (long) (warmupSeconds / 10 * 1e9);
        double previous = Double.POSITIVE_INFINITY;
        long compiled = jitTimed ? jit.getTotalCompilationTime() : 0;
        while (true) {
            double[] batch = new double[WARMUP_RUNS];
            int runs = 0;
            long batchStart = System.nanoTime();
            for (; runs < WARMUP_RUNS || System.nanoTime() - batchStart < batchNanos; runs++) {
                if (runs == batch.length) batch = Arrays.copyOf(batch, 2 * runs);
                batch[runs] = timeMillis(run);
            }
            double m = median(Arrays.copyOf(batch, runs)), elapsed = (System.nanoTime() - start) / 1e9;
            long nowCompiled = jitTimed ? jit.getTotalCompilationTime() : 0;
            boolean settled = nowCompiled == compiled && Math.abs(m - previous) <= 0.03 * previous;
            if (elapsed >= warmupMaxSeconds || elapsed >= warmupSeconds && settled) return;
            previous = m;
            compiled = nowCompiled;
        }
    }

    private static double timeMillis(Runnable run) {
        long t = System.nanoTime();
        run.run();
        return (System.nanoTime() - t) / 1e6;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    static String json(Workload w, double medianMs) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\"workload\": \"").append(w.name()).append("\", \"median_ms\": ").append(round3(medianMs));
        if (w.flops() > 0) sb.append(", \"gflops\": ").append(round3(w.flops() / (medianMs * 1e-3) / 1e9));
        return sb.append('}').toString();
    }

    private static String round3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
