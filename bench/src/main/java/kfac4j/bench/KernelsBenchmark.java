package kfac4j.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import kfac4j.tensor.kernel.BinaryOp;
import kfac4j.tensor.kernel.Kernels;
import kfac4j.tensor.kernel.UnaryOp;
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
 * The array kernels themselves, scalar reference against the kernels selected at start-up (the vector ones when the
 * incubator module is present), on 2¹⁶ F32 values (256 KiB per array, in L2) and one 256² GEMM.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-XX:Tier3DelayOn=100000"})
public class KernelsBenchmark {
    @Param({"scalar", "active"})
    public String kernels;

    private static final int N = 1 << 16, G = 256;
    private Kernels k;
    private final float[] x = new float[N], y = new float[N], z = new float[N];
    private final float[] a = new float[G * G], b = new float[G * G], c = new float[G * G];

    @Setup
    public void setup() {
        k = kernels.equals("scalar") ? Kernels.scalar() : Kernels.active();
        Random r = new Random(0);
        for (int i = 0; i < N; i++) {
            x[i] = (float) r.nextGaussian();
            y[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < G * G; i++) {
            a[i] = r.nextFloat();
            b[i] = r.nextFloat();
        }
    }

    @Benchmark
    public float[] add() {
        k.binary(BinaryOp.ADD, x, 0, 1, y, 0, 1, z, 0, N);
        return z;
    }

    @Benchmark
    public float[] mulScalar() {
        k.binary(BinaryOp.MUL, x, 0, 1, y, 0, 0, z, 0, N);
        return z;
    }

    @Benchmark
    public float[] relu() {
        k.unary(UnaryOp.RELU, x, 0, z, 0, N);
        return z;
    }

    @Benchmark
    public float[] exp() {
        k.unary(UnaryOp.EXP, x, 0, z, 0, N);
        return z;
    }

    @Benchmark
    public float[] axpy() {
        k.axpy(N, 1e-3, x, 0, z, 0);
        return z;
    }

    @Benchmark
    public double sum() {
        return k.sum(x, 0, N);
    }

    @Benchmark
    public double max() {
        return k.max(x, 0, N);
    }

    @Benchmark
    public double dot() {
        return k.dot(x, 0, y, 0, N);
    }

    @Benchmark
    public float[] gemm256() {
        k.gemm(G, G, G, a, 0, G, 1, b, 0, G, 1, c, 0, G, false);
        return c;
    }
}
