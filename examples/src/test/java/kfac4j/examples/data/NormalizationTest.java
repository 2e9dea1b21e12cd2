package kfac4j.examples.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

import kfac4j.tensor.DType;

class NormalizationTest {
    @Test
    void standardisesEveryChannelWithTheFittedStatistics() {
        // Two examples of 2 channels × 2 positions: channel 0 holds 1, 3, 5, 7; channel 1 is constant 4.
        TensorDataset d = new TensorDataset(new float[]{1, 3, 4, 4, 5, 7, 4, 4}, new int[]{2, 2}, new int[]{0, 1}, new int[0], 2, DType.F64);
        Normalization n = Normalization.fit(d);
        assertThat(n.mean()).containsExactly(4, 4);
        assertThat(n.std()[0]).isCloseTo(Math.sqrt(5), within(1e-12)); // deviations ±1, ±3
        assertThat(n.std()[1]).isEqualTo(1.0);
        TensorDataset out = n.apply(d);
        float s = (float) Math.sqrt(5);
        assertThat(out.input(1)).containsExactly(new float[]{1 / s, 3 / s, 0, 0}, within(1e-6f));
        assertThat(out.target(1)).containsExactly(1);
        assertThat(out.dtype()).isEqualTo(DType.F64);
        assertThatThrownBy(() -> new Normalization(new double[]{0}, new double[]{1, 1}).apply(d))
                .hasMessage("Normalization: 1 means but 2 standard deviations");
        assertThatThrownBy(() -> new Normalization(new double[]{0, 0, 0}, new double[]{1, 1, 1}).apply(d))
                .hasMessage("Normalization: fitted for 3 channels, the inputs have shape [2, 2]");
    }
}
