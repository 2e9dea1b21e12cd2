package kfac4j.examples.train;

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

class TrainCommandTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void aRunWritesItsCurveSummaryAndPlot() throws Exception {
        int code = run("train", "--task", "mlp", "--optimizer", "kfac-expand", "--scale", "tiny", "--steps", "4",
                "--eval-every", "2", "--out", dir.toString());
        assertThat(code).as(err.toString()).isZero();
        List<String> csv = Files.readAllLines(dir.resolve("metrics.csv"));
        assertThat(csv.get(0)).isEqualTo(String.join(",", Curve.COLUMNS));
        assertThat(csv).hasSize(4);
        assertThat(csv.get(3)).startsWith("4,");
        String json = Files.readString(dir.resolve("summary.json"));
        assertThat(json).contains("\"task\": \"mlp\"").contains("\"optimizer\": \"kfac-expand\"").contains("\"steps_taken\": 4")
                .contains("\"diverged\": false");
        byte[] png = Files.readAllBytes(dir.resolve("curves.png"));
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
        assertThat(out.toString()).contains("K-FAC-expand").contains("4/4 (100%)");
    }

    @Test
    void unknownOptionsAndValuesListTheValidOnes() {
        assertThat(run("train", "--task", "mlp", "--optimiser", "adam")).isEqualTo(2);
        assertThat(err.toString()).contains("--optimiser").contains("--optimizer").contains("--batch-size");
        err.reset();
        assertThat(run("train", "--task", "resnet", "--optimizer", "adam")).isEqualTo(2);
        assertThat(err.toString()).contains("lm, vit, cnn, gnn-node, gnn-graph, mlp");
        err.reset();
        assertThat(run("train", "--task", "mlp", "--optimizer", "lbfgs")).isEqualTo(2);
        assertThat(err.toString()).contains("sgd, adam, kfac-expand, kfac-reduce");
        err.reset();
        assertThat(run("train", "--task", "mlp", "--optimizer", "adam", "--lr", "-1")).isEqualTo(2);
        assertThat(err.toString()).contains("--lr");
    }

    @Test
    void helpListsEveryOption() {
        assertThat(run("train", "--help")).isZero();
        assertThat(out.toString()).contains("--task").contains("--optimizer").contains("--steps").contains("--batch-size")
                .contains("--lr").contains("--damping").contains("--seed").contains("--data").contains("--out");
    }
}
