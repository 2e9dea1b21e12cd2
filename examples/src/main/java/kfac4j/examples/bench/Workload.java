package kfac4j.examples.bench;

/**
 * One standard workload of the {@code bench} command (DESIGN.md §7): named exactly as in
 * {@code shared/bench/torch_ref.py}, so the two outputs compare line by line.
 */
public interface Workload {
    /** The name printed in the {@code "workload"} field, for example {@code gemm_f32_1024}. */
    String name();

    /** Floating-point operations in one run, for GFLOP/s; 0 where a rate does not apply. */
    double flops();

    /** Builds the inputs (not timed) and returns one run of the work (timed, many times). */
    Runnable prepare();

    /** The steps one run takes; the reported time is per step (amortised workloads run a whole cycle of steps). */
    default int stepsPerRun() {
        return 1;
    }
}
