package kfac4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TensorCoreTest {
    @Test
    void transposedViewReadsWithoutCopy() {
        Tensor x = Tensor.arange(DType.F64, 6).reshape(2, 3);
        Tensor t = x.mT();
        assertThat(t.sharesStorageWith(x)).isTrue();
        assertThat(t.toDoubleArray()).containsExactly(0, 3, 1, 4, 2, 5);
    }

    @Test
    void broadcastErrorNamesOperationAndShapes() {
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 2, 3).add(Tensor.zeros(DType.F32, 4)))
                .hasMessage("add: shapes [2, 3] and [4] cannot be broadcast together");
    }
}
