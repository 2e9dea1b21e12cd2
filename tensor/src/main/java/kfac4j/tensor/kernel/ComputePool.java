package kfac4j.tensor.kernel;

import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
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

    /**
     * How long an idle worker keeps looking for the next job before it parks. Waking a parked thread takes tens of
     * microseconds (measured median 40 µs, 90th percentile ~100 µs), as long as a 256³ product takes on one core;
     * kernels of a training step follow each other within a few microseconds, so a worker that waits a little longer
     * than that is there when the next one starts.
     */
    static final long SPIN_NANOS = 200_000;

    private static volatile Workers workers;
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

    /** Changes the number of threads; later calls get fresh workers of that size. For tests and the bench command. */
    static synchronized void setParallelism(int threads) {
        if (threads < 1) throw new IllegalArgumentException("ComputePool: threads must be ≥ 1, got " + threads);
        if (threads == parallelism) return;
        Workers old = workers;
        workers = null;
        parallelism = threads;
        if (old != null) old.stop();
    }

    private static Workers workers() {
        Workers w = workers;
        if (w != null) return w;
        synchronized (ComputePool.class) {
            // The thread that calls run() works too, so there is one worker fewer than the parallelism.
            if (workers == null) workers = new Workers(Math.max(1, parallelism - 1));
            return workers;
        }
    }

    /**
     * Runs {@code part.accept(i)} for every i in [0, parts) and returns when all are done. The calling thread takes
     * parts itself, and the workers join in as they come; whoever is free claims the next part. So a busy machine,
     * where a worker may not run for milliseconds, costs at most the part that thread holds, and a call never
     * waits for a thread to start. With one part or one thread, the parts run in order on the calling thread.
     */
    static void run(int parts, IntConsumer part) {
        int threads = parallelism;
        if (parts <= 1 || threads == 1) {
            for (int i = 0; i < parts; i++) part.accept(i);
            return;
        }
        Job job = new Job(parts, part, Thread.currentThread());
        Workers w = workers();
        w.post(job);
        try {
            job.work();
            job.awaitDone(w);
        } finally {
            w.retract(job);
        }
    }

    /**
     * Daemon threads that run the parts of the open jobs. An idle worker takes a part of the oldest job that has one
     * left; with none, it spins for {@link #SPIN_NANOS} looking for one, then parks until a job is posted. A job
     * posted while another runs (a kernel called from inside a part, or from a second user thread) joins the list
     * behind it, so the parts of the job posted first are never hidden from a worker that has not seen them yet:
     * when one slot held the last job posted, a worker woken for a convolution's images could find the product that
     * the first image's part had already posted in its place, and then helped only with products while the calling
     * thread ran every image (the input gradient of a 32 → 64-channel layer ran 1.3 times as fast on two threads as
     * on one). Every caller also works on its own job, so each job finishes even if no worker ever sees it.
     */
    private static final class Workers {
        /** The jobs posted and not yet finished, oldest first. */
        private final ConcurrentLinkedDeque<Job> open = new ConcurrentLinkedDeque<>();
        private final Thread[] threads;
        private final AtomicIntegerArray parked;
        private volatile boolean stopped;

        Workers(int count) {
            threads = new Thread[count];
            parked = new AtomicIntegerArray(count);
            for (int i = 0; i < count; i++) {
                int index = i;
                Thread t = new Thread(() -> loop(index), "kfac4j-compute-" + i);
                t.setDaemon(true);
                threads[i] = t;
                t.start();
            }
        }

        void post(Job job) {
            open.addLast(job);
            for (int i = 0; i < threads.length; i++) if (parked.get(i) == 1) LockSupport.unpark(threads[i]);
        }

        /** Drops the finished job, so that it and what its parts captured can be collected. */
        void retract(Job job) {
            open.remove(job);
        }

        /** The oldest open job with a part left to take, or null. */
        Job oldestWithParts() {
            for (Job j : open) if (j.hasParts()) return j;
            return null;
        }

        /** The newest open job posted after {@code job} with a part left to take, or null. */
        Job newerWithParts(Job job) {
            for (Iterator<Job> it = open.descendingIterator(); it.hasNext(); ) {
                Job j = it.next();
                if (j.id <= job.id) return null;
                if (j.hasParts()) return j;
            }
            return null;
        }

        void stop() {
            stopped = true;
            for (Thread t : threads) LockSupport.unpark(t);
        }

        private void loop(int index) {
            long idleSince = System.nanoTime();
            while (!stopped) {
                Job job = oldestWithParts();
                if (job != null) {
                    job.work();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    // Announce the park, then look once more: post() either sees the flag and unparks, or this
                    // thread sees the job it posted.
                    parked.set(index, 1);
                    if (oldestWithParts() == null && !stopped) LockSupport.park(this);
                    parked.set(index, 0);
                    idleSince = System.nanoTime();
                }
            }
        }
    }

    /** Parts handed out by a counter; the caller parks until the last one finishes. */
    private static final class Job {
        private static final AtomicLong IDS = new AtomicLong();
        final long id = IDS.getAndIncrement();
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

        /** Whether a part is left to take. */
        boolean hasParts() {
            return next.get() < parts;
        }

        /**
         * Waits for the parts other threads still hold, taking meanwhile the parts of jobs posted after this one,
         * newest first (most often the product that such a part has started, and waits for in turn). Never those of
         * an older job: one of its parts can be long (a whole layer's share of K-FAC's work), and this job's caller
         * waits behind it. Helping any open job made the transformer's amortised K-FAC-reduce step 4–7 ms slower
         * (92–94 against 87–88 ms); helping only newer ones left it unchanged. The caller spins for up to
         * {@link #SPIN_NANOS} before it parks: the last part of a short product usually ends within microseconds, and
         * being woken from a park would cost tens of them.
         */
        void awaitDone(Workers w) {
            long start = System.nanoTime();
            while (done.get() < parts) {
                Job other = w.newerWithParts(this);
                if (other != null) {
                    other.work();
                    start = System.nanoTime();
                } else if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            Throwable t = failure;
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        }
    }
}
