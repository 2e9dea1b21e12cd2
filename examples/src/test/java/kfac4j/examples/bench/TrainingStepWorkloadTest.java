package kfac4j.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import kfac4j.nn.Linear;
import kfac4j.nn.ReLU;
import kfac4j.nn.Sequential;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;


class TrainingStepWorkloadTest {
    private static long parameters(StepModel m) {
        return m.build(0).model().parameters().stream().mapToLong(p -> p.value().numel()).sum();
    }

    @Test
    void theModelsHaveTheTorchReferencesParameterCountsAndBatchShapes() {
        // Counted from torch_ref.py's layers: weights plus biases, LayerNorm scales and shifts, embeddings and positions.
        assertThat(parameters(StepModel.MLP)).isEqualTo(784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10);
        assertThat(parameters(StepModel.CNN)).isEqualTo(3 * 32 * 9 + 32 + 32 * 64 * 9 + 64 + 64 * 64 * 9 + 64 + 64 * 10 + 10);
        long block = 2 * 2 * 128 + (128 * 384 + 384) + (128 * 128 + 128) + (128 * 512 + 512) + (512 * 128 + 128);
        assertThat(parameters(StepModel.LM)).isEqualTo(64 * 128 + 64 * 128 + 2 * block + 2 * 128 + 128 * 64 + 64);
        assertThat(StepModel.MLP.build(0).x().shape()).containsExactly(128, 784);
        assertThat(StepModel.CNN.build(0).x().shape()).containsExactly(64, 3, 32, 32);
        assertThat(StepModel.LM.build(0).x().shape()).containsExactly(32, 64);
        assertThat(StepModel.LM.build(0).y().shape()).containsExactly(32, 64);
    }

    @Test
    void thePlainStepsAreNamedAsTheTorchReferenceAndTheKfacStepsBesideThem() {
        List<String> names = TrainingStepWorkload.all().stream().map(Workload::name).toList();
        assertThat(names).startsWith("mlp_step", "cnn_step", "lm_step");
        assertThat(names).contains("cnn_adam_step", "cnn_kfac_expand_step", "cnn_kfac_reduce_step_amortised",
                "lm_kfac_expand_step_amortised", "lm_kfac_reduce_factors").doesNotHaveDuplicates();
        assertThat(StandardWorkloads.all().stream().map(Workload::name).toList()).containsAll(names);
        for (Workload w : TrainingStepWorkload.all()) {
            assertThat(w.stepsPerRun()).as(w.name()).isEqualTo(w.name().endsWith("_amortised") ? TrainingStepWorkload.INVERSE_EVERY : 1);
        }
    }

    @Test
    void everyStepRuleLowersTheLossOfItsBatch() {
        // On a small MLP of the same kind; the timing itself is the bench command's business.
        for (TrainingStepWorkload.Rule r : TrainingStepWorkload.Rule.values()) {
            Rng rng = new Rng(1);
            double[] labels = new double[16];
            for (int i = 0; i < labels.length; i++) labels[i] = i % 3;
            StepModel.Instance m = new StepModel.Instance(
                    new Sequential(new Linear(8, 16, rng), new ReLU(), new Linear(16, 3, rng)),
                    rng.normal(DType.F32, 0, 1, 16, 8), Tensor.fromArray(labels, 16).to(DType.F32));
            double before = m.loss().value().item();
            Runnable step = new TrainingStepWorkload(StepModel.MLP, r).prepare(m);
            for (int i = 0; i < (r.amortised() ? 1 : 5); i++) step.run();
            assertThat(m.loss().value().item()).as(r.name()).isLessThan(before);
        }
    }
}
