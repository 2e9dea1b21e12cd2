package kfac4j.examples.plot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class AxisTest {
    @Test
    void linearTicksAreNiceAndTheSnappedRangeCoversTheData() {
        Axis a = Axis.fit(0.013, 0.93, false, 6, true);
        assertThat(a.lo).isEqualTo(0.0);
        assertThat(a.hi).isCloseTo(1.0, within(1e-12));
        assertThat(a.labels).containsExactly("0", "0.2", "0.4", "0.6", "0.8", "1.0");
        Axis steps = Axis.fit(0, 1180, false, 5, false);
        assertThat(steps.hi).isEqualTo(1180.0);
        assertThat(steps.labels).containsExactly("0", "250", "500", "750", "1000");
        assertThat(Axis.fit(-3, 7, false, 6, true).labels).containsExactly("-4", "-2", "0", "2", "4", "6", "8");
    }

    @Test
    void degenerateRangesStillGiveAnAxis() {
        Axis flat = Axis.fit(2, 2, false, 5, true);
        assertThat(flat.lo).isLessThan(2);
        assertThat(flat.hi).isGreaterThan(2);
        Axis none = Axis.fit(Double.NaN, Double.NaN, false, 5, true);
        assertThat(none.lo).isEqualTo(0.0);
        assertThat(none.hi).isEqualTo(1.0);
        assertThat(Axis.fit(Double.NaN, Double.NaN, true, 5, true).labels).containsExactly("1", "2", "5", "10");
    }

    @Test
    void logTicksSitAtPowersOfTen() {
        Axis a = Axis.fit(0.003, 2.5, true, 5, true);
        assertThat(a.lo).isCloseTo(1e-3, within(1e-15));
        assertThat(a.hi).isCloseTo(10, within(1e-12));
        assertThat(a.labels).containsExactly("0.001", "0.01", "0.1", "1", "10");
        assertThat(a.fraction(0.01)).isCloseTo(0.25, within(1e-12));
        assertThat(Axis.fit(2e-7, 3e-6, true, 5, true).labels).containsExactly("1e-7", "2e-7", "5e-7", "1e-6", "2e-6", "5e-6", "1e-5");
    }

    @Test
    void niceStepIsTheNearestOfOneTwoTwoAndAHalfFiveOrTen() {
        assertThat(Axis.niceStep(0.13)).isCloseTo(0.1, within(1e-15));
        assertThat(Axis.niceStep(0.18)).isCloseTo(0.2, within(1e-15));
        assertThat(Axis.niceStep(295)).isCloseTo(250, within(1e-12));
        assertThat(Axis.niceStep(3.6)).isCloseTo(5, within(1e-15));
        assertThat(Axis.niceStep(8)).isCloseTo(10, within(1e-15));
        assertThat(Axis.niceStep(1)).isCloseTo(1, within(1e-15));
    }
}
