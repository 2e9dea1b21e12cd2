package kfac4j.bench;

import java.util.concurrent.TimeUnit;

import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Softmax over the last axis of lm_step's attention scores: (batch 32, heads 4, 64 × 64), F32. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-XX:Tier3DelayOn=100000"})
public class SoftmaxBenchmark {
    private Tensor scores;

    @Setup
    public void setup() {
        scores = new Rng(0).normal(DType.F32, 0, 1, 32, 4, 64, 64);
    }

    @Benchmark
    public Tensor softmax() {
        return scores.softmax(-1);
    }
}
