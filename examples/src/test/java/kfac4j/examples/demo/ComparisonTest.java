package kfac4j.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import kfac4j.examples.train.Curve;

class ComparisonTest {
    /** A curve through (step, seconds, accuracy) triples. */
    private static Curve curve(double... stepSecondsAccuracy) {
        List<Curve.Point> points = new java.util.ArrayList<>();
        for (int i = 0; i < stepSecondsAccuracy.length; i += 3) {
            points.add(new Curve.Point((int) stepSecondsAccuracy[i], stepSecondsAccuracy[i + 1], 1.0, 1.0, stepSecondsAccuracy[i + 2]));
        }
        return new Curve(points, false);
    }

    private static final Curve ADAM = curve(0, 0, 0.1, 100, 10, 0.5, 200, 20, 0.79, 300, 30, 0.80, 400, 40, 0.9);
    private static final Curve FAST = curve(0, 0, 0.1, 50, 8, 0.6, 100, 16, 0.85, 150, 24, 0.7);
    private static final Curve STUCK = curve(0, 0, 0.1, 100, 10, 0.3, 200, 20, 0.4);

    @Test
    void theTargetIsReachedAtTheFirstEvaluationAtOrAboveIt() {
        // 0.79 at step 200 is below the target; exactly 0.80 at step 300 counts.
        assertThat(Comparison.Reached.of(ADAM, 0.8)).contains(new Comparison.Reached(300, 30));
        // A later dip below the target does not move the step at which it was first reached.
        assertThat(Comparison.Reached.of(FAST, 0.8)).contains(new Comparison.Reached(100, 16));
        assertThat(Comparison.Reached.of(STUCK, 0.8)).isEmpty();
        // A target met by the untrained model is reached at step 0.
        assertThat(Comparison.Reached.of(ADAM, 0.05)).contains(new Comparison.Reached(0, 0));
    }

    @Test
    void ratiosAreAgainstTheFirstRunAndUndefinedWhenARunMissesTheTarget() {
        Comparison c = new Comparison(0.8).add(new Comparison.Run("adam", 3e-3, ADAM))
                .add(new Comparison.Run("kfac", 0.1, FAST)).add(new Comparison.Run("stuck", 1, STUCK));
        List<Comparison.Run> runs = c.runs();
        assertThat(c.stepRatio(runs.get(0))).isEqualTo(1.0);
        assertThat(c.stepRatio(runs.get(1))).isEqualTo(100.0 / 300);
        assertThat(c.secondsRatio(runs.get(1))).isEqualTo(16.0 / 30);
        assertThat(c.stepRatio(runs.get(2))).isNaN();
        assertThat(c.fastest()).contains(runs.get(1));
        assertThat(new Comparison(0.95).add(runs.get(0)).add(runs.get(2)).fastest()).isEmpty();

        String table = c.table();
        assertThat(table.lines().toList()).hasSize(5);
        assertThat(table).contains("steps / adam").contains("seconds / adam");
        assertThat(table.lines().filter(l -> l.startsWith("kfac")).findFirst().orElseThrow())
                .contains(" 100 ").contains(" 16.0 ").contains(" 0.33 ").contains(" 0.53");
        assertThat(table.lines().filter(l -> l.startsWith("stuck")).findFirst().orElseThrow()).contains("not reached");
    }

    @Test
    void theCsvHoldsEveryPointOfEveryRun(@TempDir Path dir) throws Exception {
        Comparison c = new Comparison(0.8).add(new Comparison.Run("adam", 3e-3, ADAM)).add(new Comparison.Run("kfac", 0.1, FAST));
        c.writeCsv(dir.resolve("curves.csv"));
        List<String> lines = Files.readAllLines(dir.resolve("curves.csv"));
        assertThat(lines.get(0)).isEqualTo("optimizer," + String.join(",", Curve.COLUMNS));
        assertThat(lines).hasSize(1 + 5 + 4);
        assertThat(lines.get(4)).startsWith("adam,300,30.0,");
        assertThat(lines.get(8)).startsWith("kfac,100,16.0,").endsWith(",0.85");
    }
}
