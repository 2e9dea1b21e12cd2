package kfac4j.tensor;

import static kfac4j.tensor.Reference.assertTensor;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;

import org.junit.jupiter.api.Test;

/** Layer normalisation and its backward against the formulas written out row by row here, in both dtypes. */
class NormalizationTest {

    /** {y, x̂, rstd, ∂x, ∂w, ∂b} for rows of d values, directly from the definitions. */
    private static double[][] reference(double[] x, double[] w, double[] b, double[] g, int d, double eps) {
        int rows = x.length / d;
        double[] y = new double[x.length], h = new double[x.length], rs = new double[rows], dx = new double[x.length];
        double[] dw = new double[d], db = new double[d];
        for (int r = 0; r < rows; r++) {
            double mean = 0, var = 0;
            for (int j = 0; j < d; j++) mean += x[r * d + j] / d;
            for (int j = 0; j < d; j++) var += (x[r * d + j] - mean) * (x[r * d + j] - mean) / d;
            rs[r] = 1 / Math.sqrt(var + eps);
            double mg = 0, mgh = 0;
            for (int j = 0; j < d; j++) {
                int i = r * d + j;
                h[i] = (x[i] - mean) * rs[r];
                y[i] = w == null ? h[i] : h[i] * w[j] + b[j];
                double gp = w == null ? g[i] : g[i] * w[j];
                mg += gp / d;
                mgh += gp * h[i] / d;
                dw[j] += g[i] * h[i];
                db[j] += g[i];
            }
            for (int j = 0; j < d; j++) {
                int i = r * d + j;
                double gp = w == null ? g[i] : g[i] * w[j];
                dx[i] = rs[r] * (gp - mg - h[i] * mgh);
            }
        }
        return new double[][]{y, h, rs, dx, dw, db};
    }

    @Test
    void layerNormAndItsBackwardMatchTheDefinitions() {
        Random rnd = new Random(60);
        int[][] shapes = {{3, 5}, {2, 3, 4}, {1, 7}, {4, 1}, {1500, 64}};     // the last shared out in blocks of rows
        int[] trailing = {1, 2, 1, 1, 1};
        for (int c = 0; c < shapes.length; c++) {
            int[] shape = shapes[c];
            int d = 1;
            for (int k = shape.length - trailing[c]; k < shape.length; k++) d *= shape[k];
            for (DType dt : DType.values()) {
                for (boolean affine : new boolean[]{true, false}) {
                    int n = Reference.numel(shape);
                    double[] x = Layouts.values(rnd, n, dt), g = Layouts.values(rnd, n, dt);
                    double[] w = affine ? Layouts.values(rnd, d, dt) : null, b = affine ? Layouts.values(rnd, d, dt) : null;
                    double[][] want = reference(x, w, b, g, d, 1e-5);
                    Tensor xt = Layouts.build(x, shape, dt, Layouts.Layout.values()[rnd.nextInt(3)]);
                    Tensor wt = affine ? Tensor.fromArray(w, d).to(dt) : null, bt = affine ? Tensor.fromArray(b, d).to(dt) : null;
                    Tensor[] out = xt.layerNorm(d, wt, bt, 1e-5);
                    double tol = dt == DType.F64 ? 1e-13 : 1e-5;
                    assertTensor(out[0], dt, shape, want[0], tol);
                    assertTensor(out[1], dt, shape, want[1], tol);
                    assertTensor(out[2], dt, new int[]{n / d}, want[2], tol);
                    Tensor[] grads = Tensor.layerNormBackward(Tensor.fromArray(g, shape).to(dt), out[1], out[2], wt, d);
                    assertTensor(grads[0], dt, shape, want[3], dt == DType.F64 ? 1e-12 : 1e-4);
                    if (affine) {
                        assertTensor(grads[1], dt, new int[]{d}, want[4], tol);
                        assertTensor(grads[2], dt, new int[]{d}, want[5], tol);
                    }
                }
            }
        }
    }

    @Test
    void badArgumentsAreReported() {
        Tensor x = Tensor.zeros(DType.F32, 2, 3, 4);
        assertThatThrownBy(() -> x.layerNorm(6, null, null, 1e-5))
                .hasMessage("layerNorm: 6 features are not the last axes of shape [2, 3, 4]");
        assertThatThrownBy(() -> x.layerNorm(4, Tensor.ones(DType.F32, 4), null, 1e-5))
                .hasMessage("layerNorm: give both a weight and a bias, or neither");
        assertThatThrownBy(() -> x.layerNorm(4, Tensor.ones(DType.F32, 3), Tensor.ones(DType.F32, 3), 1e-5))
                .hasMessage("layerNorm: weight of shape [3] and bias of shape [3] for 4 features");
        assertThatThrownBy(() -> Tensor.layerNormBackward(Tensor.zeros(DType.F32, 2, 3), x, Tensor.zeros(DType.F32, 6), null, 4))
                .hasMessage("layerNormBackward: gradient of shape [2, 3], normalised input of shape [2, 3, 4] and 6 row "
                        + "scales do not match");
    }
}
