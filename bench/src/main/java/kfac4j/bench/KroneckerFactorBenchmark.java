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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The product behind every K-FAC factor update, aᵀa for the (N·R) × D matrix of layer inputs (DESIGN.md §5.2):
 * a tall-skinny GEMM whose left operand is a transposed view. Counted as 2·D²·N·R flops, the full product's, although
 * the kernels compute only the tiles on or below the diagonal and mirror them ({@link #gram}); {@link #fullProduct}
 * multiplies a copy of aᵀ by a, the same bits the long way, for comparison.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-XX:Tier3DelayOn=100000"})
public class KroneckerFactorBenchmark {
    @Param({"8192x512"})
    public String shape;

    @Param({"F32"})
    public DType dtype;

    private Tensor a, aT;

    @Setup
    public void setup() {
        String[] p = shape.split("x");
        a = new Rng(0).normal(dtype, 0, 1, Integer.parseInt(p[0]), Integer.parseInt(p[1]));
        aT = a.mT().contiguous();
    }

    @Benchmark
    public Tensor gram() {
        return a.mT().matmul(a);
    }

    @Benchmark
    public Tensor fullProduct() {
        return aT.matmul(a);
    }
}
