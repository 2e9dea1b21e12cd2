package kfac4j.tensor.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;

/** How the pool hands out the parts of jobs, including jobs started from inside a part of another. */
class ComputePoolTest {
    /**
     * On two threads, part 0 of an outer job starts a nested job whose parts wait until part 1 of the outer job has
     * started. Only the worker can start it (the caller is inside part 0), so the worker must still find the outer job
     * after the nested one was posted; a pool that showed idle workers only the job posted last would send the worker
     * into a nested part, and both threads would wait for good (here: until the latch's time limit).
     */
    @Test
    void aJobPostedFromInsideAPartDoesNotHideTheRestOfTheOuterJob() {
        int before = ComputePool.parallelism();
        try {
            ComputePool.setParallelism(2);
            for (int round = 0; round < 20; round++) {
                CountDownLatch secondStarted = new CountDownLatch(1);
                AtomicIntegerArray nestedWaited = new AtomicIntegerArray(2);
                ComputePool.run(2, i -> {
                    if (i == 1) {
                        secondStarted.countDown();
                        return;
                    }
                    ComputePool.run(2, j -> {
                        try {
                            nestedWaited.set(j, secondStarted.await(10, TimeUnit.SECONDS) ? 1 : -1);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                });
                assertThat(nestedWaited.get(0)).as("round %d, nested part 0 saw outer part 1 start", round).isEqualTo(1);
                assertThat(nestedWaited.get(1)).as("round %d, nested part 1 saw outer part 1 start", round).isEqualTo(1);
            }
        } finally {
            ComputePool.setParallelism(before);
        }
    }

    /** Every part of nested jobs runs exactly once, on any thread count, and a failing part fails its own job. */
    @Test
    void nestedJobsRunEveryPartOnceAndReportTheirOwnFailures() {
        int before = ComputePool.parallelism();
        try {
            for (int threads : new int[]{1, 2, 4}) {
                ComputePool.setParallelism(threads);
                int outer = 7, inner = 5;
                AtomicIntegerArray runs = new AtomicIntegerArray(outer * inner);
                ComputePool.run(outer, i -> ComputePool.run(inner, j -> runs.incrementAndGet(i * inner + j)));
                for (int t = 0; t < outer * inner; t++) {
                    assertThat(runs.get(t)).as("%d threads, part %d of %d", threads, t, outer * inner).isEqualTo(1);
                }
                assertThatThrownBy(() -> ComputePool.run(outer, i -> ComputePool.run(inner, j -> {
                    if (i == 3 && j == 2) throw new IllegalStateException("part 3.2 failed");
                }))).isInstanceOf(IllegalStateException.class).hasMessage("part 3.2 failed");
            }
        } finally {
            ComputePool.setParallelism(before);
        }
    }
}
