package kfac4j.examples.data;

import static kfac4j.examples.data.TensorDatasetTest.ids;
import static kfac4j.examples.data.TensorDatasetTest.tenExamples;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class DataLoaderTest {
    private static List<Integer> visit(Iterable<Batch> epoch, List<Integer> sizes) {
        List<Integer> seen = new ArrayList<>();
        for (Batch b : epoch) {
            sizes.add(b.size());
            for (int id : ids(b)) seen.add(id);
        }
        return seen;
    }

    @Test
    void shuffledEpochVisitsEveryExampleOnceAndKeepsTheLastPartialBatch() {
        DataLoader<Batch> loader = new DataLoader<>(tenExamples(), 4, true, false, 1);
        List<Integer> sizes = new ArrayList<>();
        List<Integer> seen = visit(loader.epoch(0), sizes);
        assertThat(seen).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(seen).isNotEqualTo(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
        assertThat(sizes).containsExactly(4, 4, 2);
        assertThat(loader.batchesPerEpoch()).isEqualTo(3);
    }

    @Test
    void dropLastDropsThePartialBatch() {
        DataLoader<Batch> loader = DataLoader.training(tenExamples(), 4, 1);
        List<Integer> sizes = new ArrayList<>();
        assertThat(visit(loader.epoch(0), sizes)).hasSize(8).doesNotHaveDuplicates();
        assertThat(sizes).containsExactly(4, 4);
        assertThat(loader.batchesPerEpoch()).isEqualTo(2);
    }

    @Test
    void epochsAreReproducibleAndDifferFromEachOther() {
        DataLoader<Batch> a = DataLoader.training(tenExamples(), 5, 42), b = DataLoader.training(tenExamples(), 5, 42);
        DataLoader<Batch> other = DataLoader.training(tenExamples(), 5, 43);
        assertThat(a.order(3)).containsExactly(b.order(3));
        assertThat(a.order(0)).isNotEqualTo(a.order(1));
        assertThat(a.order(0)).isNotEqualTo(other.order(0));
    }

    @Test
    void streamRunsThroughSuccessiveEpochs() {
        DataLoader<Batch> loader = DataLoader.training(tenExamples(), 4, 7);
        List<Integer> expected = new ArrayList<>();
        for (int e = 0; e < 3; e++) expected.addAll(visit(loader.epoch(e), new ArrayList<>()));
        List<Integer> streamed = new ArrayList<>();
        for (int step = 0; step < 6; step++) for (int id : ids(loader.next())) streamed.add(id);
        assertThat(streamed).isEqualTo(expected);
        assertThat(loader.streamEpoch()).isEqualTo(2);
    }

    @Test
    void sequentialLoaderKeepsTheDatasetOrder() {
        List<Integer> sizes = new ArrayList<>();
        assertThat(visit(DataLoader.sequential(tenExamples(), 3).epoch(0), sizes)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(sizes).containsExactly(3, 3, 3, 1);
    }

    @Test
    void impossibleConfigurationsAreRejected() {
        assertThatThrownBy(() -> new DataLoader<>(tenExamples(), 0, true, true, 1)).hasMessageContaining("batch size must be ≥ 1");
        assertThatThrownBy(() -> new DataLoader<>(tenExamples(), 11, true, true, 1))
                .hasMessage("DataLoader: 10 examples make no full batch of 11 (drop-last is on)");
    }
}
