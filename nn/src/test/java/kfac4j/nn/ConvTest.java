package kfac4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.List;

import org.junit.jupiter.api.Test;

import kfac4j.autograd.Grad;
import kfac4j.autograd.Variable;
import kfac4j.tensor.ConvGeometry;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/** Conv2d, MaxPool2d and AvgPool2d against direct sliding-window loops; the conv capture against hand-made patches. */
class ConvTest {
    private static final ConvGeometry[] GEOMETRIES = {
            ConvGeometry.square(3, 1, 0, 1),
            ConvGeometry.square(3, 2, 1, 1),
            new ConvGeometry(2, 3, 1, 2, 1, 0, 2, 1),
    };

    /** The input pixel under window position (oh, ow) and kernel offset (i, j), or 0 in the padding. */
    private static double pixel(double[] x, int[] s, int n, int c, ConvGeometry g, int oh, int ow, int i, int j) {
        int h = oh * g.strideH() - g.padH() + i * g.dilationH(), w = ow * g.strideW() - g.padW() + j * g.dilationW();
        if (h < 0 || h >= s[2] || w < 0 || w >= s[3]) return 0;
        return x[((n * s[1] + c) * s[2] + h) * s[3] + w];
    }

    /** out[n, o, oh, ow] = b[o] + Σ_{c,i,j} W[o, c, i, j] x[n, c, oh·s − p + i·d, ow·s − p + j·d]. */
    private static double[] slidingWindow(Tensor x, double[] w, double[] b, int cout, ConvGeometry g) {
        int[] s = x.shape();
        double[] xv = x.toDoubleArray();
        int oh = g.outH(s[2]), ow = g.outW(s[3]), kh = g.kernelH(), kw = g.kernelW();
        double[] out = new double[s[0] * cout * oh * ow];
        int k = 0;
        for (int n = 0; n < s[0]; n++) {
            for (int o = 0; o < cout; o++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        double acc = b[o];
                        for (int c = 0; c < s[1]; c++) {
                            for (int i = 0; i < kh; i++) {
                                for (int j = 0; j < kw; j++) {
                                    acc += w[((o * s[1] + c) * kh + i) * kw + j] * pixel(xv, s, n, c, g, r, q, i, j);
                                }
                            }
                        }
                        out[k++] = acc;
                    }
                }
            }
        }
        return out;
    }

    @Test
    void convMatchesADirectSlidingWindowLoop() {
        Rng rng = new Rng(1);
        for (ConvGeometry g : GEOMETRIES) {
            Conv2d conv = new Conv2d(2, 3, g, true, DType.F64, rng);
            Tensor x = rng.normal(DType.F64, 0, 1, 2, 2, 6, 7);
            Tensor y = conv.forward(Variable.constant(x)).value();
            assertThat(y.shape()).containsExactly(2, 3, g.outH(6), g.outW(7));
            double[] expected = slidingWindow(x, conv.weight().value().toDoubleArray(), conv.bias().value().toDoubleArray(), 3, g);
            assertThat(y.toDoubleArray()).as("%s", g).containsExactly(expected, offset(1e-13));
        }
    }

    @Test
    void convGradientsMatchFiniteDifferences() {
        Rng rng = new Rng(2);
        for (ConvGeometry g : GEOMETRIES) {
            Conv2d conv = new Conv2d(2, 2, g, true, DType.F64, rng);
            Variable x = FiniteDifferences.randomLeaf(rng, 2, 2, 5, 5);
            FiniteDifferences.check(() -> conv.forward(x), List.of(x, conv.weight().variable(), conv.bias().variable()));
        }
        Conv2d noBias = new Conv2d(1, 2, ConvGeometry.square(2, 1, 0, 1), false, DType.F64, rng);
        Variable x = FiniteDifferences.randomLeaf(rng, 1, 1, 3, 3);
        FiniteDifferences.check(() -> noBias.forward(x).square(), List.of(x, noBias.weight().variable()));
    }

    @Test
    void convSecondDerivativesMatchFiniteDifferences() {
        // Double backward runs the recorded form of the conv's rule (over the whole batch's patch columns): the
        // directional derivative Σ_k ⟨∇_k, u_k⟩ of a recorded gradient is itself gradient-checked in x, W and b.
        Rng rng = new Rng(4);
        for (Conv2d conv : List.of(new Conv2d(2, 2, GEOMETRIES[1], true, DType.F64, rng),
                new Conv2d(1, 2, GEOMETRIES[2], false, DType.F64, rng))) {
            int cin = conv.inFeatures() / (conv.geometry().kernelH() * conv.geometry().kernelW());
            Variable x = FiniteDifferences.randomLeaf(rng, 2, cin, 5, 6);
            List<Variable> leaves = conv.bias() == null ? List.of(x, conv.weight().variable())
                    : List.of(x, conv.weight().variable(), conv.bias().variable());
            Tensor seed = rng.normal(DType.F64, 0, 1, conv.forward(x).shape());
            List<Tensor> u = leaves.stream().map(v -> rng.normal(DType.F64, 0, 1, v.shape())).toList();
            // The recorded rule gives the gradients of the fast one, bit for bit (the same products, other shapes).
            List<Variable> fast = Grad.grad(conv.forward(x).tanh(), seed, leaves, false, false);
            List<Variable> recorded = Grad.grad(conv.forward(x).tanh(), seed, leaves, true, true);
            for (int k = 0; k < leaves.size(); k++) {
                assertThat(recorded.get(k).value().toDoubleArray()).as("gradient %d", k)
                        .containsExactly(fast.get(k).value().toDoubleArray());
            }
            FiniteDifferences.check(() -> {
                List<Variable> g = Grad.grad(conv.forward(x).tanh(), seed, leaves, true, true);
                Variable total = g.get(0).mul(Variable.constant(u.get(0))).sum();
                for (int k = 1; k < g.size(); k++) total = total.add(g.get(k).mul(Variable.constant(u.get(k))).sum());
                return total;
            }, leaves);
        }
    }

    @Test
    void captureReportsPatchesAsRowsAndOutputGradientsPerPosition() {
        Rng rng = new Rng(3);
        ConvGeometry g = ConvGeometry.square(3, 2, 1, 1);
        Conv2d conv = new Conv2d(2, 3, g, true, DType.F64, rng);
        LinearTest.Recorder rec = new LinearTest.Recorder();
        conv.setCaptureListener(rec);
        Tensor x = rng.normal(DType.F64, 0, 1, 2, 2, 5, 4);
        int oh = g.outH(5), ow = g.outW(4), l = oh * ow;
        Tensor c = rng.normal(DType.F64, 0, 1, 2, 3, oh, ow);
        conv.forward(Variable.constant(x)).mul(Variable.constant(c)).sum().backward();

        // Patches by hand: row (n, r, q) holds x under the window at (r, q), entries ordered (c, i, j).
        double[] xv = x.toDoubleArray(), cv = c.toDoubleArray();
        double[] patches = new double[2 * l * 18], grads = new double[2 * l * 3];
        int[] ids = new int[2 * l];
        int[] s = x.shape();
        for (int n = 0; n < 2; n++) {
            for (int r = 0; r < oh; r++) {
                for (int q = 0; q < ow; q++) {
                    int row = n * l + r * ow + q;
                    ids[row] = n;
                    for (int ch = 0; ch < 2; ch++) {
                        for (int i = 0; i < 3; i++) {
                            for (int j = 0; j < 3; j++) patches[row * 18 + ch * 9 + i * 3 + j] = pixel(xv, s, n, ch, g, r, q, i, j);
                        }
                    }
                    for (int o = 0; o < 3; o++) grads[row * 3 + o] = cv[((n * 3 + o) * oh + r) * ow + q];
                }
            }
        }
        assertThat(rec.inputs).hasSize(1);
        SharedRows in = rec.inputs.get(0).rows();
        assertThat(in.rows().shape()).containsExactly(2 * l, 18);
        assertThat(in.rows().toDoubleArray()).containsExactly(patches);
        assertThat(in.exampleOfRow()).containsExactly(ids);
        assertThat(in.numExamples()).isEqualTo(2);
        SharedRows out = rec.grads.get(0).rows();
        assertThat(out.rows().shape()).containsExactly(2 * l, 3);
        assertThat(out.rows().toDoubleArray()).containsExactly(grads);
        assertThat(out.exampleOfRow()).containsExactly(ids);
        // The layer is the linear map W a + b of those rows: its outputs are rows · Wᵀ + b.
        assertThat(conv.inFeatures()).isEqualTo(18);
        assertThat(conv.weight().shape()).containsExactly(3, 18);
    }

    @Test
    void stateDictUsesPyTorchsFourDimensionalWeight() {
        Sequential net = new Sequential(new Conv2d(3, 8, 3, 1, 1, new Rng(4)));
        assertThat(net.stateDict().get("0.weight").shape()).containsExactly(8, 3, 3, 3);
        assertThat(net.stateDict().get("0.bias").shape()).containsExactly(8);
        Sequential other = new Sequential(new Conv2d(3, 8, 3, 1, 1, new Rng(5)));
        other.loadStateDict(net.stateDict());
        assertThat(other.parameters().get(0).value().toDoubleArray()).containsExactly(net.parameters().get(0).value().toDoubleArray());
        var wrong = new java.util.LinkedHashMap<>(net.stateDict());
        wrong.put("0.weight", Tensor.zeros(DType.F32, 8, 27));
        assertThatThrownBy(() -> other.loadStateDict(wrong)).hasMessageContaining("0.weight (expected [8, 3, 3, 3], got [8, 27])");
        // PyTorch's default bound: 1/√(C_in·k·k).
        double bound = 1 / Math.sqrt(27);
        for (double v : net.parameters().get(0).value().toDoubleArray()) assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
    }

    @Test
    void shapeErrorsNameTheLayer() {
        class Net extends Module {
            final Conv2d conv1 = registerModule("conv1", new Conv2d(3, 4, 3, new Rng(0)));
        }
        Net net = new Net();
        assertThatThrownBy(() -> net.conv1.forward(Variable.constant(Tensor.zeros(DType.F32, 2, 1, 8, 8))))
                .hasMessageContaining("Conv2d 'conv1'").hasMessageContaining("(N, 3, H, W)").hasMessageContaining("[2, 1, 8, 8]");
        assertThatThrownBy(() -> net.conv1.forward(Variable.constant(Tensor.zeros(DType.F32, 2, 3, 2, 8))))
                .hasMessageContaining("Conv2d 'conv1'").hasMessageContaining("[2, 3, 2, 8]").hasMessageContaining("smaller");
    }

    /** max or mean of every window, padding −∞ (max) or 0 counted (average). */
    private static double[] poolByLoops(Tensor x, int k, int stride, int pad, boolean max) {
        int[] s = x.shape();
        ConvGeometry g = ConvGeometry.square(k, stride, pad, 1);
        double[] xv = x.toDoubleArray();
        int oh = g.outH(s[2]), ow = g.outW(s[3]);
        double[] out = new double[s[0] * s[1] * oh * ow];
        int o = 0;
        for (int n = 0; n < s[0]; n++) {
            for (int c = 0; c < s[1]; c++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        double acc = max ? Double.NEGATIVE_INFINITY : 0;
                        for (int i = 0; i < k; i++) {
                            for (int j = 0; j < k; j++) {
                                int h = r * stride - pad + i, w = q * stride - pad + j;
                                boolean inside = h >= 0 && h < s[2] && w >= 0 && w < s[3];
                                double v = inside ? xv[((n * s[1] + c) * s[2] + h) * s[3] + w] : max ? Double.NEGATIVE_INFINITY : 0;
                                acc = max ? Math.max(acc, v) : acc + v / (k * k);
                            }
                        }
                        out[o++] = acc;
                    }
                }
            }
        }
        return out;
    }

    @Test
    void poolingMatchesLoopsAndGradientsMatchFiniteDifferences() {
        Rng rng = new Rng(6);
        Tensor x = rng.normal(DType.F64, 0, 1, 2, 3, 7, 6);
        int[][] configs = {{2, 2, 0}, {3, 2, 1}, {3, 1, 1}};
        for (int[] cfg : configs) {
            Tensor mp = new MaxPool2d(cfg[0], cfg[1], cfg[2]).forward(Variable.constant(x)).value();
            assertThat(mp.toDoubleArray()).containsExactly(poolByLoops(x, cfg[0], cfg[1], cfg[2], true));
            Tensor ap = new AvgPool2d(cfg[0], cfg[1], cfg[2]).forward(Variable.constant(x)).value();
            assertThat(ap.toDoubleArray()).containsExactly(poolByLoops(x, cfg[0], cfg[1], cfg[2], false), offset(1e-14));
            assertThat(ap.shape()).isEqualTo(mp.shape());
        }
        Variable v = FiniteDifferences.randomLeaf(rng, 1, 2, 5, 5);
        FiniteDifferences.check(() -> new AvgPool2d(3, 2, 1).forward(v), List.of(v));
        FiniteDifferences.check(() -> new MaxPool2d(2, 1, 1).forward(v), List.of(v)); // ties have probability 0
        assertThatThrownBy(() -> new MaxPool2d(2, 2, 2)).hasMessageContaining("padding");
    }
}
