package kfac4j.examples.progress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    private long now;

    private String output() {
        return buffer.toString(StandardCharsets.UTF_8);
    }

    @Test
    void plainModePrintsOneLinePerTenthWithRateAndEta() {
        try (ProgressBar bar = new ProgressBar("adam", 100, out, false, () -> now).metricName("val acc")) {
            for (int step = 1; step <= 100; step++) {
                now += 100_000_000L; // 0.1 s per step
                bar.update(step, 0.5, step / 400.0);
            }
        }
        String[] lines = output().split("\n");
        assertThat(lines).hasSize(10);
        assertThat(lines[0]).isEqualTo("adam   10/100 ( 10%)  loss 0.5000  val acc 0.0250  10.0 steps/s  ETA 0:09");
        assertThat(lines[9]).isEqualTo("adam  100/100 (100%)  loss 0.5000  val acc 0.2500  10.0 steps/s  took 0:10");
        assertThat(output()).doesNotContain("\r");
    }

    @Test
    void plainModeStaysAliveBetweenSlowMilestones() {
        try (ProgressBar bar = new ProgressBar("slow", 1000, out, false, () -> now)) {
            for (int step = 1; step <= 3; step++) {
                now += 31_000_000_000L;
                bar.update(step, Double.NaN);
            }
        }
        String[] lines = output().split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[2]).isEqualTo("slow     3/1000 (  0%)  0.0323 steps/s  ETA 8:35:07");
    }

    @Test
    void aLoopThatStopsEarlyLogsWhereItEndedOnce() {
        ProgressBar bar = new ProgressBar("kfac", 100, out, false, () -> now);
        for (int step = 1; step <= 37; step++) {
            now += 1_000_000_000L;
            bar.update(step, 1.0 / step);
        }
        bar.close();
        bar.close();
        String[] lines = output().split("\n");
        assertThat(lines).hasSize(4);
        assertThat(lines[3]).startsWith("kfac   37/100 ( 37%)  loss 0.0270");
        assertThat(lines[2]).startsWith("kfac   30/100 ( 30%)");
    }

    @Test
    void terminalModeRedrawsInPlaceAtMostTenTimesASecond() {
        try (ProgressBar bar = new ProgressBar("lm", 1000, out, true, () -> now)) {
            for (int step = 1; step <= 1000; step++) {
                now += 1_000_000L; // 1 ms per step: a redraw every 100 steps
                bar.update(step, 2.0);
            }
        }
        String text = output();
        assertThat(text.chars().filter(c -> c == '\r').count()).isEqualTo(1 + 9 + 1 + 1); // the first step, every 100 ms, the last step, close
        assertThat(text.chars().filter(c -> c == '\n').count()).isEqualTo(1);
        assertThat(text).contains("\rlm  [============>           ]   501/1000 ( 50%)  loss 2.0000  1000 steps/s  ETA 0:00\r");
        assertThat(text).endsWith("lm  [========================]  1000/1000 (100%)  loss 2.0000  1000 steps/s  took 0:01\n");
    }

    @Test
    void messagesInterruptTheBarWithoutGarbling() {
        ProgressBar bar = new ProgressBar("cnn", 10, out, true, () -> now);
        now += 1_000_000_000L;
        bar.update(1, 0.25);
        bar.message("eval: accuracy 0.5");
        String text = output();
        String first = text.substring(1, text.indexOf('\r', 1)); // the bar as first drawn
        assertThat(first).isEqualTo("cnn  [==>                     ]   1/10 ( 10%)  loss 0.2500  1.00 steps/s  ETA 0:09");
        assertThat(text).isEqualTo("\r" + first + "\r" + " ".repeat(first.length()) + "\reval: accuracy 0.5\n\r" + first);
    }

    @Test
    void durationsAndBadStepsAreHandled() {
        assertThat(ProgressBar.duration(59.6)).isEqualTo("1:00");
        assertThat(ProgressBar.duration(3725)).isEqualTo("1:02:05");
        assertThat(ProgressBar.duration(Double.POSITIVE_INFINITY)).isEqualTo("?");
        ProgressBar bar = new ProgressBar("x", 5, out, false, () -> now);
        assertThatThrownBy(() -> bar.update(6, 0)).hasMessage("ProgressBar: step 6 outside [0, 5]");
        assertThatThrownBy(() -> new ProgressBar("x", 0, out, false, () -> now)).hasMessage("ProgressBar: total must be ≥ 1, got 0");
    }
}
