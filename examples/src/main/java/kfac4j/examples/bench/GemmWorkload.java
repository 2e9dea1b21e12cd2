package kfac4j.examples.bench;

import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/** {@code gemm_<dtype>_<n>}: C = A·B of two n×n matrices with entries uniform in [0, 1), as torch.rand. */
public record GemmWorkload(DType dtype, int n) implements Workload {
    @Override
    public String name() {
        return "gemm_" + dtype.name().toLowerCase(java.util.Locale.ROOT) + "_" + n;
    }

    @Override
    public double flops() {
        return 2.0 * n * n * n;
    }

    @Override
    public Runnable prepare() {
        Rng rng = new Rng(0);
        Tensor a = rng.uniform(dtype, 0, 1, n, n), b = rng.uniform(dtype, 0, 1, n, n);
        return () -> Sink.keep(a.matmul(b));
    }
}
