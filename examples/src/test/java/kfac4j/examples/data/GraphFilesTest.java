package kfac4j.examples.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GraphFilesTest {
    @TempDir
    Path dir;

    private Path edges, features, labels;

    private void write(String e, String f, String l) throws IOException {
        edges = Files.writeString(dir.resolve("edges.txt"), e);
        features = Files.writeString(dir.resolve("features.txt"), f);
        labels = Files.writeString(dir.resolve("labels.txt"), l);
    }

    private static final String FEATURES = "# node features\n0.5 1\n-2 3e-1\n\n4,5\n1 1\n";
    private static final String LABELS = "0\n1\n1\n0\n";

    @Test
    void readsWhitespaceCsvCommentsAndBlankLines() throws IOException {
        write("# u v\n0 1\n1,2\n\n2 ,3\n", FEATURES, LABELS);
        NodeClassification d = GraphFiles.loadDirectory(dir, 1);
        Graph g = d.graph();
        assertThat(g.numNodes()).isEqualTo(4);
        assertThat(g.featureDim()).isEqualTo(2);
        assertThat(g.features()).containsExactly(0.5f, 1f, -2f, 0.3f, 4f, 5f, 1f, 1f);
        assertThat(g.src()).containsExactly(0, 1, 2);
        assertThat(g.dst()).containsExactly(1, 2, 3);
        assertThat(d.labels()).containsExactly(0, 1, 1, 0);
        assertThat(d.numClasses()).isEqualTo(2);
    }

    @Test
    void writeThenLoadRoundTripsASyntheticGraph() throws IOException {
        NodeClassification original = StochasticBlockModel.generate(new StochasticBlockModel.Config(70, 7, 3, 4, 0.8, 1, 2));
        Path e = dir.resolve("e.csv"), f = dir.resolve("f.csv"), l = dir.resolve("l.csv");
        GraphFiles.write(original, e, f, l);
        NodeClassification loaded = GraphFiles.load(e, f, l, 9);
        assertThat(loaded.graph()).isEqualTo(original.graph());
        assertThat(loaded.labels()).containsExactly(original.labels());
        assertThat(loaded.numClasses()).isEqualTo(7);
        assertThat(loaded.trainNodes()).hasSize(14); // 20% of each class of 10
        assertThat(loaded.validationNodes()).hasSize(21);
    }

    @Test
    void malformedLinesAreReportedWithTheirLineNumber() throws IOException {
        write("0 1\n1 2 3\n", FEATURES, LABELS);
        assertThatThrownBy(() -> GraphFiles.loadDirectory(dir, 1)).isInstanceOf(DatasetFormatException.class)
                .hasMessage(edges + ":2: expected two node ids, found 3 values");
        write("0 1\n# ok\n1 x\n", FEATURES, LABELS);
        assertThatThrownBy(() -> GraphFiles.loadDirectory(dir, 1)).hasMessage(edges + ":3: 'x' is not a whole number");
        write("0 1\n3 4\n", FEATURES, LABELS);
        assertThatThrownBy(() -> GraphFiles.loadDirectory(dir, 1))
                .hasMessage(edges + ":2: node 4 is outside [0, 4) (the nodes of " + features + ")");
        write("0 1\n", "1 2\n3\n", "0\n1\n");
        assertThatThrownBy(() -> GraphFiles.loadDirectory(dir, 1)).hasMessage(features + ":2: has 1 features; the first node has 2");
        write("0 1\n", "1 2\nnan 3\n", "0\n1\n");
        assertThatThrownBy(() -> GraphFiles.loadDirectory(dir, 1)).hasMessage(features + ":2: 'nan' is not a finite number");
        write("0 1\n", "# nothing\n", "");
        assertThatThrownBy(() -> GraphFiles.loadDirectory(dir, 1)).hasMessage(features + ": holds no feature lines, so the graph has no nodes");
    }

    @Test
    void labelProblemsAreReported() throws IOException {
        write("0 1\n", FEATURES, "0\n1\n1\n");
        assertThatThrownBy(() -> GraphFiles.loadDirectory(dir, 1)).hasMessage(labels + ": has 3 labels but " + features + " has 4 nodes");
        write("0 1\n", FEATURES, "0\n1\n1\n0\n1\n");
        assertThatThrownBy(() -> GraphFiles.loadDirectory(dir, 1)).hasMessage(labels + ":5: more labels than the 4 nodes of " + features);
        write("0 1\n", FEATURES, "0\n-1\n1\n0\n");
        assertThatThrownBy(() -> GraphFiles.loadDirectory(dir, 1)).hasMessage(labels + ":2: label -1 is negative; class ids start at 0");
        write("0 1\n", FEATURES, "0\n1 2\n1\n0\n");
        assertThatThrownBy(() -> GraphFiles.loadDirectory(dir, 1)).hasMessage(labels + ":2: expected one class id, found 2 values");
        Files.delete(labels);
        assertThatThrownBy(() -> GraphFiles.loadDirectory(dir, 1)).hasMessage(dir + ": no labels.txt or labels.csv found");
        assertThatThrownBy(() -> GraphFiles.load(edges, features, dir.resolve("nope.txt"), 1))
                .hasMessage(dir.resolve("nope.txt") + ": does not exist");
    }
}
