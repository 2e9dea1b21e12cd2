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
 * Square GEMM, C = A·B, the {@code gemm_*} workloads of the bench command (GFLOP/s = 2n³ / time).
 * The shape parameter is {@code <dtype>_<n>}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-XX:Tier3DelayOn=100000"})
public class GemmBenchmark {
    @Param({"f32_256", "f32_512", "f32_1024", "f32_2048", "f64_1024"})
    public String shape;

    private Tensor a, b;

    @Setup
    public void setup() {
        String[] p = shape.split("_");
        DType dtype = DType.valueOf(p[0].toUpperCase(java.util.Locale.ROOT));
        int n = Integer.parseInt(p[1]);
        Rng rng = new Rng(0);
        a = rng.uniform(dtype, 0, 1, n, n);
        b = rng.uniform(dtype, 0, 1, n, n);
    }

    @Benchmark
    public Tensor matmul() {
        return a.matmul(b);
    }
}
