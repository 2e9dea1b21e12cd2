package kfac4j.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Supplier;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Variable;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * Gradient check in F64: the backward pass of {@code f} against central finite differences, for every element of
 * every leaf. A non-scalar output is contracted with fixed random weights, so every output element is checked.
 */
final class FiniteDifferences {
    private FiniteDifferences() {
    }

    static final double STEP = 1e-6;

    /** Asserts |analytic − numeric| ≤ tol·(1 + |numeric|) for every element; returns the largest error seen. */
    static double check(Supplier<Variable> f, List<Variable> leaves, double tol) {
        Variable out = f.get();
        assertThat(out.dtype()).as("gradient checks run in F64").isEqualTo(DType.F64);
        Tensor weights = new Rng(12345).uniform(DType.F64, 0.5, 1.5, out.shape());
        List<Variable> analytic = Grad.grad(out, weights, leaves, false, false);
        double worst = 0;
        for (int k = 0; k < leaves.size(); k++) {
            Tensor value = leaves.get(k).value();
            assertThat(value.dtype()).isEqualTo(DType.F64);
            Tensor flat = value.reshape(-1);
            assertThat(flat.sharesStorageWith(value)).as("leaf must be contiguous").isTrue();
            double[] grad = analytic.get(k).value().toDoubleArray();
            for (int i = 0; i < flat.numel(); i++) {
                Tensor cell = flat.narrow(0, i, 1);
                double orig = cell.item();
                cell.copyFromInPlace(Tensor.scalar(DType.F64, orig + STEP));
                double plus = contract(f.get(), weights);
                cell.copyFromInPlace(Tensor.scalar(DType.F64, orig - STEP));
                double minus = contract(f.get(), weights);
                cell.copyFromInPlace(Tensor.scalar(DType.F64, orig));
                double numeric = (plus - minus) / (2 * STEP);
                double err = Math.abs(grad[i] - numeric) / (1 + Math.abs(numeric));
                worst = Math.max(worst, err);
                assertThat(err).as("leaf %d element %d: analytic %s vs numeric %s", k, i, grad[i], numeric)
                        .isLessThanOrEqualTo(tol);
            }
        }
        return worst;
    }

    /** The default tolerance: central differences with h = 1e-6 in F64 are good to ~1e-8 on smooth functions. */
    static double check(Supplier<Variable> f, List<Variable> leaves) {
        return check(f, leaves, 1e-6);
    }

    private static double contract(Variable out, Tensor weights) {
        return out.value().mul(weights).sum().item();
    }

    /** A leaf with uniform random F64 values in [−1, 1). */
    static Variable randomLeaf(Rng rng, int... shape) {
        return Variable.leaf(rng.uniform(DType.F64, -1, 1, shape));
    }
}
