package kfac4j.tensor.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The start-up choice of kernels and its configuration errors. */
class KernelSelectionTest {

    @Test
    void scalarIsTheReferenceAndVectorIsTheDefaultWhenTheModuleIsPresent() {
        assertThat(KernelSelection.choose("scalar")).isSameAs(Kernels.scalar());
        assertThat(Kernels.scalar().name()).isEqualTo("scalar");
        assertThat(Kernels.active().name()).startsWith("vector " + VectorWidth.PREFERRED_BITS + "-bit");
    }

    @Test
    void anUnknownChoiceIsRejectedWithTheValidOnes() {
        assertThatThrownBy(() -> KernelSelection.choose("simd"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kfac4j.kernels=simd")
                .hasMessageContaining("scalar, vector, vector128, vector256, vector512");
        assertThatThrownBy(() -> VectorWidth.requestedBits("vector1024"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kfac4j.kernels=vector1024");
        assertThat(VectorWidth.requestedBits("vector256")).isEqualTo(256);
        assertThat(VectorWidth.requestedBits("vector")).isEqualTo(VectorWidth.PREFERRED_BITS);
    }

    @Test
    void threadCountMustBeAPositiveWholeNumber() {
        assertThat(ComputePool.parallelismFrom("3")).isEqualTo(3);
        assertThat(ComputePool.parallelismFrom(null)).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThatThrownBy(() -> ComputePool.parallelismFrom("0")).hasMessageContaining("kfac4j.threads=0");
        assertThatThrownBy(() -> ComputePool.parallelismFrom("two")).hasMessageContaining("kfac4j.threads=two");
    }

    /** In a JVM without the incubator module the tensor kernels still load, as the scalar reference. */
    @Test
    void withoutTheVectorModuleTheScalarKernelsAreChosen() throws Exception {
        assertThat(runProbe(false, "vector")).isEqualTo("scalar");
        assertThat(runProbe(true, "vector128")).startsWith("vector 128-bit");
    }

    private static String runProbe(boolean withModule, String kernels) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (withModule) cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        cmd.addAll(List.of("-Xshare:auto", "-XX:TieredStopAtLevel=1", "-D" + KernelSelection.PROPERTY + "=" + kernels,
                "-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    /** Prints the name of the kernels chosen at start-up. */
    static final class Probe {
        public static void main(String[] args) {
            System.out.println(Kernels.active().name());
        }
    }
}
