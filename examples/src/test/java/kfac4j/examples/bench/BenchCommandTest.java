package kfac4j.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import kfac4j.examples.cli.Options;
import kfac4j.tensor.DType;
import org.junit.jupiter.api.Test;

class BenchCommandTest {

    /** A workload whose runs are counted rather than timed. */
    private record Counting(String name, double flops, AtomicInteger runs) implements Workload {
        @Override
        public Runnable prepare() {
            return runs::incrementAndGet;
        }
    }

    private static String run(BenchCommand c, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Options.Parsed parsed = c.options().parse("bench", List.of(args));
        assertThat(c.run(parsed, new PrintStream(bytes, true, StandardCharsets.UTF_8))).isZero();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void printsOneJsonLinePerMatchingWorkloadAfterAWarmUp() {
        AtomicInteger a = new AtomicInteger(), b = new AtomicInteger();
        BenchCommand c = new BenchCommand(List.of(new Counting("gemm_x", 2e9, a), new Counting("step_y", 0, b)), 0.01, 0.05);
        String out = run(c, "--only", "gemm", "--reps", "5");
        assertThat(out.lines().toList()).hasSize(1);
        assertThat(out.strip()).matches("\\{\"workload\": \"gemm_x\", \"median_ms\": [0-9]+\\.[0-9]{3}, \"gflops\": [0-9]+\\.[0-9]{3}}");
        assertThat(a.get()).isGreaterThanOrEqualTo(BenchCommand.WARMUP_RUNS + 5);
        assertThat(b.get()).isZero();
    }

    @Test
    void aWorkloadWithoutFlopsPrintsNoRate() {
        String line = BenchCommand.json(new Counting("lm_step", 0, new AtomicInteger()), 12.3456);
        assertThat(line).isEqualTo("{\"workload\": \"lm_step\", \"median_ms\": 12.346}");
        assertThat(BenchCommand.json(new Counting("g", 2e9, new AtomicInteger()), 10.0))
                .isEqualTo("{\"workload\": \"g\", \"median_ms\": 10.000, \"gflops\": 200.000}");
    }

    @Test
    void anUnmatchedFilterNamesTheWorkloadsAndBadRepsAreRejected() {
        BenchCommand c = new BenchCommand();
        assertThatThrownBy(() -> run(c, "--only", "nothing"))
                .isInstanceOf(Options.UsageException.class)
                .hasMessageContaining("gemm_f32_256").hasMessageContaining("gemm_f64_1024");
        assertThatThrownBy(() -> run(c, "--reps", "0")).hasMessageContaining("--reps must be at least 1");
    }

    @Test
    void gemmWorkloadsAreNamedAndSizedAsTheTorchReference() {
        List<String> names = StandardWorkloads.all().stream().map(Workload::name).toList();
        assertThat(names).startsWith("gemm_f32_256", "gemm_f32_512", "gemm_f32_1024", "gemm_f32_2048", "gemm_f64_1024");
        GemmWorkload g = new GemmWorkload(DType.F64, 3);
        assertThat(g.flops()).isEqualTo(54);
        g.prepare().run();
    }
}
