package kfac4j.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import kfac4j.examples.Main;

class DemoCommandTest {
    @TempDir
    Path dir;

    @Test
    void aTinyDemoRacesTheThreeOptimizersAndWritesTheCurvesAndThePlot() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(new String[]{"demo", "--scale", "tiny", "--max-steps", "6", "--eval-every", "3", "--target", "0.99",
                "--out", dir.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).as(err.toString()).isZero();
        String text = out.toString(StandardCharsets.UTF_8);
        List<String> lines = text.lines().toList();
        int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("optimizer ")).findFirst().orElseThrow());
        List<String> rows = lines.subList(header + 2, header + 5);
        assertThat(rows.get(0)).startsWith("adam ");
        assertThat(rows.get(1)).startsWith("kfac-expand ");
        assertThat(rows.get(2)).startsWith("kfac-reduce ");
        // Nobody reaches 99% in six steps: the table says so rather than inventing a ratio.
        assertThat(rows).allSatisfy(r -> assertThat(r).contains("not reached"));
        List<String> csv = Files.readAllLines(dir.resolve("curves.csv"));
        // Evaluations at steps 0, 3 and 6 for each of the three optimizers.
        assertThat(csv).hasSize(1 + 3 * 3);
        assertThat(csv.stream().skip(1).map(l -> l.split(",")[0]).distinct().toList())
                .containsExactly("adam", "kfac-expand", "kfac-reduce");
        assertThat(Files.readAllBytes(dir.resolve("demo.png"))).startsWith(0x89, 'P', 'N', 'G');
    }
}
