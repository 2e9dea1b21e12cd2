package kfac4j.examples.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import kfac4j.tensor.DType;

class TensorDatasetTest {
    /** Ten examples of shape (2, 3) whose values encode (example, position): 10·i + k. */
    static TensorDataset tenExamples() {
        float[] x = new float[10 * 6];
        int[] y = new int[10];
        for (int i = 0; i < 10; i++) {
            for (int k = 0; k < 6; k++) x[i * 6 + k] = 10 * i + k;
            y[i] = i % 3;
        }
        return TensorDataset.classification(x, new int[]{2, 3}, y, 3);
    }

    /** The example ids of a batch, read back from the encoded inputs. */
    static int[] ids(Batch b) {
        double[] x = b.x().toDoubleArray();
        int per = x.length / b.size();
        int[] out = new int[b.size()];
        for (int i = 0; i < b.size(); i++) out[i] = (int) (x[i * per] / 10);
        return out;
    }

    @Test
    void batchStacksTheChosenExamplesInOrder() {
        Batch b = tenExamples().batch(new int[]{7, 2});
        assertThat(b.x().shape()).containsExactly(2, 2, 3);
        assertThat(b.x().dtype()).isEqualTo(DType.F32);
        assertThat(b.x().toDoubleArray()).containsExactly(70, 71, 72, 73, 74, 75, 20, 21, 22, 23, 24, 25);
        assertThat(b.y().shape()).containsExactly(2);
        assertThat(b.labels()).containsExactly(1, 2);
    }

    @Test
    void withDTypeGivesF64BatchesOfTheSameValues() {
        Batch b = tenExamples().withDType(DType.F64).batch(new int[]{3});
        assertThat(b.x().dtype()).isEqualTo(DType.F64);
        assertThat(b.y().dtype()).isEqualTo(DType.F64);
        assertThat(b.x().toDoubleArray()).containsExactly(30, 31, 32, 33, 34, 35);
        assertThat(b.y().toDoubleArray()).containsExactly(0);
    }

    @Test
    void tokenTargetsKeepTheirShape() {
        TensorDataset d = new TensorDataset(new float[]{1, 2, 3, 4, 5, 6}, new int[]{3}, new int[]{4, 5, 6, 7, 8, 9},
                new int[]{3}, 10, DType.F32);
        Batch b = d.batch(new int[]{1, 0});
        assertThat(b.y().shape()).containsExactly(2, 3);
        assertThat(b.labels()).containsExactly(7, 8, 9, 4, 5, 6);
    }

    @Test
    void subsetSplitAndHeadCopyTheRightExamples() {
        TensorDataset d = tenExamples();
        assertThat(d.subset(new int[]{9, 0}).input(0)).containsExactly(90, 91, 92, 93, 94, 95);
        assertThat(d.head(4).size()).isEqualTo(4);
        assertThat(d.head(40)).isSameAs(d);
        Split<TensorDataset> s = d.split(0.3, 5);
        assertThat(s.train().size()).isEqualTo(7);
        assertThat(s.validation().size()).isEqualTo(3);
        List<Integer> all = new ArrayList<>();
        for (int id : ids(s.train().all())) all.add(id);
        for (int id : ids(s.validation().all())) all.add(id);
        assertThat(all).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(d.classCounts()).containsExactly(4, 3, 3);
    }

    @Test
    void splitIsSeededAndDisjoint() {
        Split<int[]> a = Split.randomIndices(100, 0.25, 3), b = Split.randomIndices(100, 0.25, 3), c = Split.randomIndices(100, 0.25, 4);
        assertThat(a.validation()).hasSize(25).isSorted().containsExactly(b.validation());
        assertThat(a.validation()).isNotEqualTo(c.validation());
        assertThat(Arrays.stream(a.train()).filter(i -> Arrays.binarySearch(a.validation(), i) >= 0)).isEmpty();
        assertThat(Split.randomIndices(5, 0.01, 1).validation()).hasSize(1);
        assertThat(Split.randomIndices(5, 0, 1).validation()).isEmpty();
        assertThatThrownBy(() -> Split.randomIndices(5, 1.0, 1)).hasMessageContaining("validation fraction must be in [0, 1)");
    }

    @Test
    void inconsistentArraysAreRejectedWithTheReason() {
        assertThatThrownBy(() -> TensorDataset.classification(new float[5], new int[]{2}, new int[]{0, 1}, 2))
                .hasMessage("TensorDataset: 2 examples of input shape [2] need 4 values, got 5");
        assertThatThrownBy(() -> TensorDataset.classification(new float[4], new int[]{2}, new int[]{0, 2}, 2))
                .hasMessage("TensorDataset: target 2 of example 1 is outside [0, 2)");
        assertThatThrownBy(() -> tenExamples().batch(new int[]{10}))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessage("TensorDataset: example 10 outside [0, 10)");
    }
}
