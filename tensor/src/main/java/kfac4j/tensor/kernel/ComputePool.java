package kfac4j.tensor.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The threads that parallel kernels share: the number of available processors, or the system property
 * {@code kfac4j.threads}, counting the thread that asks for the work. Kernels split work into a number of parts that
 * they choose; the pool only decides which thread runs which part, so a kernel whose parts do not interact gives the
 * same bits on any number of threads.
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
                // The thread that calls run() works too, so the pool holds one thread fewer than the parallelism.
                pool = new ForkJoinPool(Math.max(1, parallelism - 1), fjp -> {
                    ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(fjp);
                    t.setName("kfac4j-compute-" + t.getPoolIndex());
                    t.setDaemon(true);
                    return t;
                }, null, true);
            }
            return pool;
        }
    }

    /**
     * Runs {@code part.accept(i)} for every i in [0, parts) and returns when all are done. The calling thread takes
     * parts itself, and pool threads join in as they come; whoever is free claims the next part. So a busy machine,
     * where a pool thread may not run for milliseconds, costs at most the part that thread holds, and a call never
     * waits for a thread to start. With one part or one thread, the parts run in order on the calling thread.
     */
    static void run(int parts, IntConsumer part) {
        int threads = parallelism;
        if (parts <= 1 || threads == 1) {
            for (int i = 0; i < parts; i++) part.accept(i);
            return;
        }
        Job job = new Job(parts, part, Thread.currentThread());
        ForkJoinPool p = pool();
        for (int h = Math.min(threads, parts) - 1; h > 0; h--) p.execute(job::work);
        job.work();
        job.awaitDone();
    }

    /** Parts handed out by a counter; the caller parks until the last one finishes. */
    private static final class Job {
        private final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        private final int parts;
        private final IntConsumer part;
        private final Thread caller;
        private volatile Throwable failure;

        Job(int parts, IntConsumer part, Thread caller) {
            this.parts = parts;
            this.part = part;
            this.caller = caller;
        }

        void work() {
            for (int i; (i = next.getAndIncrement()) < parts; ) {
                try {
                    if (failure == null) part.accept(i);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    if (done.incrementAndGet() == parts) LockSupport.unpark(caller);
                }
            }
        }

        void awaitDone() {
            for (int spins = 0; done.get() < parts; spins++) {
                if (spins < 1000) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            Throwable t = failure;
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        }
    }
}
