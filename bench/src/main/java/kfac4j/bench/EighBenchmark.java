package kfac4j.bench;

import java.util.concurrent.TimeUnit;

import kfac4j.tensor.DType;
import kfac4j.tensor.Linalg;
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
 * Symmetric eigendecomposition of a K-FAC factor (DESIGN.md §5.4, eigen-based damping and EKFAC): a positive
 * semi-definite Gram matrix aᵀa/N of size n.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-XX:Tier3DelayOn=100000"})
public class EighBenchmark {
    @Param({"512", "1024"})
    public int n;

    @Param({"F64", "F32"})
    public DType dtype;

    private Tensor factor;

    @Setup
    public void setup() {
        Tensor a = new Rng(0).normal(dtype, 0, 1, 2 * n, n);
        factor = a.mT().matmul(a).div(2.0 * n);
    }

    @Benchmark
    public Linalg.Eigh eigh() {
        return Linalg.eigh(factor);
    }
}
