package kfac4j.examples.progress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
    @TempDir
    Path dir;

    @Test
    void csvRowsAreFlushedToThePartialFileAndMovedIntoPlaceOnClose() throws IOException {
        Path file = dir.resolve("runs/metrics.csv");
        Path partial = dir.resolve("runs/metrics.csv.partial");
        MetricsLog log = MetricsLog.open(file, "optimizer", "step", "seconds", "val_acc");
        log.append("adam", 100, 1.25, 0.5);
        assertThat(Files.readString(partial)).isEqualTo("optimizer,step,seconds,val_acc\nadam,100,1.25,0.5\n");
        assertThat(file).doesNotExist();
        log.append("kfac, reduce", 200L, Double.NaN, null);
        log.append("say \"hi\"", 300, 2.0f, true);
        log.close();
        assertThat(partial).doesNotExist();
        assertThat(Files.readString(file)).isEqualTo("""
                optimizer,step,seconds,val_acc
                adam,100,1.25,0.5
                "kfac, reduce",200,NaN,
                "say ""hi\""",300,2.0,true
                """);
        assertThat(log.column("step")).containsExactly(100, 200, 300);
        assertThat(log.column("optimizer")).containsOnly(Double.NaN);
        assertThat(log.rows()).hasSize(3);
    }

    @Test
    void jsonLinesUseNullForNanAndEscapeStrings() throws IOException {
        Path file = dir.resolve("metrics.jsonl");
        try (MetricsLog log = MetricsLog.open(file, "name", "loss")) {
            log.append("a\"b\\c\nd\u0001", 0.125);
            log.append("inf", Double.POSITIVE_INFINITY);
            log.append("small", 1e-7);
        }
        assertThat(Files.readAllLines(file)).containsExactly(
                "{\"name\": \"a\\\"b\\\\c\\nd\\u0001\", \"loss\": 0.125}",
                "{\"name\": \"inf\", \"loss\": null}",
                "{\"name\": \"small\", \"loss\": 1.0E-7}");
    }

    @Test
    void closingReplacesAnOlderFile() throws IOException {
        Path file = Files.writeString(dir.resolve("m.csv"), "old\n");
        try (MetricsLog log = MetricsLog.open(file, MetricsLog.Format.CSV, "step")) {
            log.append(1);
        }
        assertThat(Files.readString(file)).isEqualTo("step\n1\n");
    }

    @Test
    void misuseIsRejectedWithTheReason() throws IOException {
        assertThatThrownBy(() -> MetricsLog.open(dir.resolve("m.txt"), "a"))
                .hasMessage("MetricsLog: " + dir.resolve("m.txt") + " should end in .csv or .jsonl to choose the format");
        assertThatThrownBy(() -> MetricsLog.open(dir.resolve("r.csv"), "a", "a")).hasMessage("MetricsLog: repeated column in [a, a]");
        MetricsLog log = MetricsLog.open(dir.resolve("m.csv"), "step", "loss");
        assertThatThrownBy(() -> log.append(1)).hasMessage("MetricsLog: a row of 1 values for 2 columns [step, loss]");
        assertThatThrownBy(() -> log.append(1, new int[0]))
                .hasMessage("MetricsLog: column loss got a int[]; values must be numbers, strings or booleans");
        assertThatThrownBy(() -> log.column("acc")).hasMessage("MetricsLog: no column 'acc'; columns are [step, loss]");
        log.close();
        assertThatThrownBy(() -> log.append(1, 2)).hasMessage("MetricsLog: " + dir.resolve("m.csv") + " is already closed");
    }
}
