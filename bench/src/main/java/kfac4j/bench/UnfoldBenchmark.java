package kfac4j.bench;

import java.util.concurrent.TimeUnit;

import kfac4j.tensor.ConvGeometry;
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
 * im2col of the cnn_step convolutions (DESIGN.md §7): a batch of 64 images, 3×3 windows. The shape parameter is
 * {@code channels x size / stride}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-XX:Tier3DelayOn=100000"})
public class UnfoldBenchmark {
    @Param({"3x32/1", "32x32/2", "64x16/2"})
    public String input;

    private Tensor x;
    private ConvGeometry geometry;

    @Setup
    public void setup() {
        String[] p = input.split("[x/]");
        int channels = Integer.parseInt(p[0]), size = Integer.parseInt(p[1]), stride = Integer.parseInt(p[2]);
        x = new Rng(0).normal(DType.F32, 0, 1, 64, channels, size, size);
        geometry = ConvGeometry.square(3, stride, 1, 1);
    }

    @Benchmark
    public Tensor unfold() {
        return x.unfold(geometry);
    }
}
