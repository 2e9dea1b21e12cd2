package kfac4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

class InitTest {
    private static double maxAbs(Tensor t) {
        double m = 0;
        for (double v : t.toDoubleArray()) m = Math.max(m, Math.abs(v));
        return m;
    }

    private static double std(Tensor t) {
        double[] v = t.toDoubleArray();
        double mean = 0, ss = 0;
        for (double x : v) mean += x / v.length;
        for (double x : v) ss += (x - mean) * (x - mean) / v.length;
        return Math.sqrt(ss);
    }

    @Test
    void fansFollowPyTorch() {
        assertThat(Init.fanIn(new int[]{32, 16})).isEqualTo(16);
        assertThat(Init.fanOut(new int[]{32, 16})).isEqualTo(32);
        assertThat(Init.fanIn(new int[]{8, 3, 5, 5})).isEqualTo(75);
        assertThat(Init.fanOut(new int[]{8, 3, 5, 5})).isEqualTo(200);
        assertThat(Init.fanIn(new int[]{7})).isEqualTo(7);
        assertThatThrownBy(() -> Init.fanIn(new int[0])).hasMessageContaining("scalar");
    }

    @Test
    void kaimingAndXavierHaveTheDocumentedBoundsAndDeviations() {
        Rng rng = new Rng(1);
        int[] shape = {200, 300};   // fan_in 300, fan_out 200
        // Uniform on [−b, b] has standard deviation b/√3.
        double kb = Math.sqrt(2) * Math.sqrt(3.0 / 300);
        Tensor ku = Init.kaimingUniform(rng, DType.F64, 0, shape);
        assertThat(maxAbs(ku)).isLessThanOrEqualTo(kb).isGreaterThan(0.99 * kb);
        assertThat(std(ku)).isCloseTo(kb / Math.sqrt(3), offset(0.01 * kb));
        // a = √5 gives PyTorch's Linear default bound 1/√fan_in.
        assertThat(maxAbs(Init.kaimingUniform(rng, DType.F64, Math.sqrt(5), shape))).isLessThanOrEqualTo(1 / Math.sqrt(300) + 1e-15);
        assertThat(std(Init.kaimingNormal(rng, DType.F64, 0, shape))).isCloseTo(Math.sqrt(2.0 / 300), offset(0.002));
        double xb = 2 * Math.sqrt(6.0 / 500);
        Tensor xu = Init.xavierUniform(rng, DType.F64, 2, shape);
        assertThat(maxAbs(xu)).isLessThanOrEqualTo(xb).isGreaterThan(0.99 * xb);
        assertThat(std(Init.xavierNormal(rng, DType.F64, 1, shape))).isCloseTo(Math.sqrt(2.0 / 500), offset(0.002));
        assertThat(Init.leakyReluGain(0)).isEqualTo(Math.sqrt(2));
    }

    @Test
    void sameSeedSameWeightsAndFillChecksTheShape() {
        assertThat(Init.xavierUniform(new Rng(3), DType.F32, 1, 4, 5).toDoubleArray())
                .containsExactly(Init.xavierUniform(new Rng(3), DType.F32, 1, 4, 5).toDoubleArray());
        Parameter p = new Parameter(Tensor.zeros(DType.F32, 2, 3));
        Init.fill(p, Init.normal(new Rng(4), DType.F64, 0, 1, 2, 3));
        assertThat(p.value().dtype()).isEqualTo(DType.F32);
        assertThat(maxAbs(p.value())).isGreaterThan(0);
        assertThatThrownBy(() -> Init.fill(p, Tensor.zeros(DType.F32, 3, 2))).hasMessageContaining("[3, 2]").hasMessageContaining("[2, 3]");
    }
}
