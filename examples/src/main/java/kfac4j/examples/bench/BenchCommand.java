package kfac4j.examples.bench;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import kfac4j.examples.cli.Command;
import kfac4j.examples.cli.Options;

/**
 * {@code bench}: times the standard workloads and prints one JSON line each, {@code {"workload": NAME,
 * "median_ms": T, "gflops": G}}, the format of {@code shared/bench/torch_ref.py}. Each workload first runs until the
 * JIT has settled (at least {@value #WARMUP_RUNS} runs and {@value #WARMUP_SECONDS} s), then {@code --reps} timed runs;
 * the median is reported.
 */
public final class BenchCommand implements Command {
    static final int WARMUP_RUNS = 3;
    static final double WARMUP_SECONDS = 1.0;

    private final List<Workload> workloads;

    public BenchCommand() {
        this(StandardWorkloads.all());
    }

    BenchCommand(List<Workload> workloads) {
        this.workloads = workloads;
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
    static double medianMillis(Runnable run, int reps) {
        long start = System.nanoTime();
        for (int i = 0; i < WARMUP_RUNS || System.nanoTime() - start < WARMUP_SECONDS * 1e9; i++) run.run();
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t = System.nanoTime();
            run.run();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        return reps % 2 == 1 ? ms[reps / 2] : (ms[reps / 2 - 1] + ms[reps / 2]) / 2;
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
