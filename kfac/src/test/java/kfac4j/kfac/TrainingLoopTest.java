package kfac4j.kfac;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import kfac4j.autograd.Variable;
import kfac4j.kfac.KfacCurvature.Batch;
import kfac4j.nn.CrossEntropyLoss;
import kfac4j.nn.Linear;
import kfac4j.nn.ReLU;
import kfac4j.nn.Reduction;
import kfac4j.nn.Sequential;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/** The ten-line K-FAC training loop of DESIGN.md §5.5, exactly as a user writes it, on a small synthetic task. */
class TrainingLoopTest {

    /** Batches of 64-dimensional inputs whose class is the index of their largest coordinate among the first 10. */
    static List<Batch> loader(Rng rng, int batches, int size) {
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < batches; i++) {
            Tensor x = rng.normal(DType.F32, 0, 1, size, 64);
            Tensor y = x.narrow(1, 0, 10).argmax(1, false).to(DType.F32);
            out.add(new Batch(x, y));
        }
        return out;
    }

    @Test
    void theTenLineLoopTrains() {
        List<Batch> loader = loader(new Rng(1), 60, 128);
        var rng = new Rng(0);
        var model = new Sequential(new Linear(64, 32, rng), new ReLU(), new Linear(32, 10, rng));
        var loss = new CrossEntropyLoss(Reduction.MEAN);
        var opt = KfacOptimizer.builder(model)
                .approximation(Approximation.EXPAND)      // or REDUCE, or per layer
                .fisher(FisherType.MC)                    // TYPE2, EMPIRICAL, FORWARD_ONLY
                .learningRate(0.1).damping(1e-3).momentum(0.9)
                .statsEvery(1).inverseEvery(10)
                .build();
        List<Double> losses = new ArrayList<>();
        for (Batch b : loader) {
            Variable l = loss.apply(model.forward(Variable.constant(b.input())), b.target());
            opt.step(l);
            losses.add(l.value().item());
        }
        double lastTen = losses.subList(50, 60).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertThat(lastTen).isLessThan(0.5 * losses.get(0));
    }
}
