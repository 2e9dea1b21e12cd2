package kfac4j.tensor.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * The one fork/join pool that parallel kernels share. Its size is the number of available processors, or the system
 * property {@code kfac4j.threads}. Kernels split work into a number of parts that they choose; the pool only decides
 * which thread runs which part, so a kernel whose parts do not interact gives the same bits on any number of threads.
 */
final class ComputePool {
    /** System property: the number of threads parallel kernels use (default: the available processors). */
    static final String PROPERTY = "kfac4j.threads";

    private static volatile ForkJoinPool pool;
    private static volatile int parallelism = initialParallelism();

    private ComputePool() {
    }

    private static int initialParallelism() {
        return parallelismFrom(System.getProperty(PROPERTY));
    }

    /** The thread count a value of {@code kfac4j.threads} names (null: the available processors). */
    static int parallelismFrom(String v) {
        if (v == null) return Runtime.getRuntime().availableProcessors();
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(PROPERTY + "=" + v + " must be a whole number ≥ 1");
    }

    /** The number of threads parallel kernels may use. */
    static int parallelism() {
        return parallelism;
    }

    /** Changes the number of threads; later calls get a fresh pool of that size. For tests and the bench command. */
    static synchronized void setParallelism(int threads) {
        if (threads < 1) throw new IllegalArgumentException("ComputePool: threads must be ≥ 1, got " + threads);
        if (threads == parallelism) return;
        ForkJoinPool old = pool;
        pool = null;
        parallelism = threads;
        if (old != null) old.shutdown();
    }

    private static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p != null) return p;
        synchronized (ComputePool.class) {
            if (pool == null) {
                pool = new ForkJoinPool(parallelism, fjp -> {
                    ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(fjp);
                    t.setName("kfac4j-compute-" + t.getPoolIndex());
                    t.setDaemon(true);
                    return t;
                }, null, false);
            }
            return pool;
        }
    }

    /**
     * Runs {@code part.accept(i)} for every i in [0, parts) and returns when all are done. With one part or one thread
     * the parts run in order on the calling thread, with no hand-off at all (small problems pay nothing).
     */
    static void run(int parts, IntConsumer part) {
        if (parts <= 1 || parallelism == 1) {
            for (int i = 0; i < parts; i++) part.accept(i);
            return;
        }
        Range all = new Range(part, 0, parts);
        ForkJoinPool p = pool();
        if (Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == p) {
            all.invoke();        // already inside the pool (a nested parallel kernel): fork from here
        } else {
            p.invoke(all);
        }
    }

    /** Splits [lo, hi) in halves until one part is left, so idle threads steal large ranges first. */
    private static final class Range extends RecursiveAction {
        private final IntConsumer part;
        private final int lo, hi;

        Range(IntConsumer part, int lo, int hi) {
            this.part = part;
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                part.accept(lo);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Range(part, lo, mid), new Range(part, mid, hi));
        }
    }
}
