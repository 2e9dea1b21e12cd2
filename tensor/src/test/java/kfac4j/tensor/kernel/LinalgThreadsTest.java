package kfac4j.tensor.kernel;

import static kfac4j.tensor.kernel.KernelAgreementTest.assertSameBits;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

import kfac4j.tensor.ConvGeometry;
import kfac4j.tensor.DType;
import kfac4j.tensor.Linalg;
import kfac4j.tensor.Tensor;

/**
 * The blocked factorisations share the products of one block column out over the compute threads, and a
 * convolution's weight gradient its fixed blocks of images; every product is still one GEMM over the same operands,
 * so the bits must not depend on the number of threads.
 */
class LinalgThreadsTest {
    @Test
    void choleskyAndItsInverseAreBitIdenticalForAnyThreadCount() {
        int before = ComputePool.parallelism();
        // Several blocks of 64, the last one partial; an SPD matrix xᵀx / rows + I.
        int n = 300, rows = 2 * n;
        Random rnd = new Random(21);
        double[] x = new double[rows * n];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian();
        Tensor xt = Tensor.fromArray(x, rows, n);
        Tensor spd = xt.mT().matmul(xt).div(rows).add(Tensor.eye(DType.F64, n));
        double[][] lower = new double[2][], inverse = new double[2][];
        int[] threads = {1, 3};
        try {
            for (int t = 0; t < 2; t++) {
                ComputePool.setParallelism(threads[t]);
                Tensor l = Linalg.cholesky(spd);
                lower[t] = l.toDoubleArray();
                inverse[t] = Linalg.choleskyInverse(l).toDoubleArray();
            }
        } finally {
            ComputePool.setParallelism(before);
        }
        assertSameBits("Cholesky factor of 300×300 on 1 and 3 threads", lower[0], lower[1]);
        assertSameBits("inverse from the Cholesky factor on 1 and 3 threads", inverse[0], inverse[1]);
        // And the inverse is one: S·S⁻¹ = I to rounding.
        Tensor product = spd.matmul(Tensor.fromArray(inverse[1], n, n)).sub(Tensor.eye(DType.F64, n));
        assertThat(product.abs().max().item()).isLessThan(1e-12);
    }

    @Test
    void convolutionWeightGradientIsBitIdenticalForAnyThreadCount() {
        int before = ComputePool.parallelism();
        Random rnd = new Random(22);
        ConvGeometry g = ConvGeometry.square(3, 1, 1, 1);
        int n = 19, c = 6, h = 10, w = 9, cout = 13;
        Tensor x = Tensor.fromArray(gaussians(rnd, n * c * h * w), n, c, h, w);
        Tensor grad = Tensor.fromArray(gaussians(rnd, n * cout * h * w), n, cout, h, w);
        double[][] sums = new double[2][];
        int[] threads = {1, 3};
        try {
            for (int t = 0; t < 2; t++) {
                ComputePool.setParallelism(threads[t]);
                sums[t] = x.conv2dWeightGrad(grad, g).toDoubleArray();
            }
        } finally {
            ComputePool.setParallelism(before);
        }
        assertSameBits("weight gradient of a 3×3 convolution on 1 and 3 threads", sums[0], sums[1]);
    }

    private static float[] gaussians(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }
}
