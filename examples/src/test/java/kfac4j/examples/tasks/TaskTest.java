package kfac4j.examples.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import kfac4j.autograd.Variable;
import kfac4j.examples.data.GraphFiles;
import kfac4j.examples.data.IdxFile;
import kfac4j.examples.data.StochasticBlockModel;
import kfac4j.kfac.Approximation;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

class TaskTest {
    @TempDir
    Path dir;

    private static TaskOptions tiny(Path data) {
        return new TaskOptions(1, 0, data, TaskOptions.Scale.TINY);
    }

    /** A loss that trains and a validation result that is a proper loss and fraction. */
    private static void assertTrainable(Task task) {
        Variable loss = task.nextLoss();
        assertThat(loss.shape()).isEmpty();
        assertThat(loss.value().item()).isFinite().isPositive();
        Evaluation e = task.evaluate();
        assertThat(e.loss()).isFinite().isPositive();
        assertThat(e.accuracy()).isBetween(0.0, 1.0);
    }

    @Test
    void eachTaskIsThePapersSettingForItsArchitecture() throws Exception {
        assertThat(Task.create("lm", tiny(null)).setting()).isEqualTo(Approximation.EXPAND);
        assertThat(Task.create("gnn-node", tiny(null)).setting()).isEqualTo(Approximation.EXPAND);
        assertThat(Task.create("vit", tiny(null)).setting()).isEqualTo(Approximation.REDUCE);
        assertThat(Task.create("cnn", tiny(null)).setting()).isEqualTo(Approximation.REDUCE);
        assertThat(Task.create("gnn-graph", tiny(null)).setting()).isEqualTo(Approximation.REDUCE);
    }

    @Test
    void anUnknownTaskNamesTheValidOnes() {
        assertThatThrownBy(() -> Task.create("rnn", tiny(null)))
                .hasMessageContaining("rnn").hasMessageContaining("lm, vit, cnn, gnn-node, gnn-graph, mlp");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn", "vit", "mlp"})
    void imageTasksTrainOnMnistIdxFiles(String name) throws Exception {
        Rng rng = new Rng(5);
        for (String part : new String[]{"train", "t10k"}) {
            int n = part.equals("train") ? 20 : 10;
            byte[] pixels = new byte[n * 28 * 28], labels = new byte[n];
            for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) rng.nextInt(256);
            for (int i = 0; i < n; i++) labels[i] = (byte) (i % 10);
            IdxFile.write(dir.resolve(part + "-images-idx3-ubyte.gz"), new int[]{n, 28, 28}, pixels, true);
            IdxFile.write(dir.resolve(part + "-labels-idx1-ubyte.gz"), new int[]{n}, labels, true);
        }
        Task task = Task.create(name, tiny(dir));
        assertThat(task.description()).contains(dir.toString()).contains("1×28×28").contains("20 training / 10 validation");
        assertTrainable(task);
    }

    @Test
    void imageTasksNameAPathThatHoldsNoImages() throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "no images here");
        assertThatThrownBy(() -> Task.create("cnn", tiny(dir.resolve("notes.txt")))).hasMessageContaining("notes.txt");
    }

    @Test
    void theLanguageModelTrainsOnATextFileOverItsOwnCharacters() throws Exception {
        Path text = dir.resolve("corpus.txt");
        Files.writeString(text, "to be or not to be, that is the question. ".repeat(6));
        Task task = Task.create("lm", tiny(text));
        assertThat(task.description()).contains("corpus.txt").contains("over 15 symbols");
        assertTrainable(task);
        // One logit per vocabulary symbol: the head's width is the file's alphabet.
        assertThat(task.model().namedParameters().get("head.weight").shape()).containsExactly(15, 8);
    }

    @Test
    void nodeClassificationReadsEdgeFeatureAndLabelFiles() throws Exception {
        GraphFiles.write(StochasticBlockModel.generate(new StochasticBlockModel.Config(40, 9)),
                dir.resolve("edges.txt"), dir.resolve("features.txt"), dir.resolve("labels.txt"));
        Task task = Task.create("gnn-node", tiny(dir));
        assertThat(task.description()).contains(dir.toString()).contains("40 nodes");
        assertTrainable(task);
    }

    @Test
    void graphClassificationSaysItReadsNoFiles() {
        assertThatThrownBy(() -> Task.create("gnn-graph", tiny(dir))).hasMessageContaining("gnn-graph")
                .hasMessageContaining("--data");
    }

    @Test
    void accuracyCountsRowsWhoseLargestScoreIsTheTarget() {
        // Rows: argmax 2, 0, 1 (and a tie resolved to the first index, as argmax does).
        Tensor scores = Tensor.fromArray(new double[]{0, 1, 5, 3, 2, 1, -1, 4, 0, 7, 7, 0}, 4, 3);
        Tensor targets = Tensor.fromArray(new double[]{2, 1, 1, 0}, 4);
        assertThat(Evaluation.correct(scores, targets)).isEqualTo(3);
        // Per-token targets (N, T) against scores (N, T, C).
        assertThat(Evaluation.correct(scores.reshape(2, 2, 3), targets.reshape(2, 2))).isEqualTo(3);
        assertThatThrownBy(() -> Evaluation.correct(scores, targets.reshape(2, 2))).hasMessageContaining("[4, 3]")
                .hasMessageContaining("[2, 2]");
    }
}
