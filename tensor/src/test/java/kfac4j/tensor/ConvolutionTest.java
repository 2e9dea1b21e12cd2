package kfac4j.tensor;

import static kfac4j.tensor.Reference.assertTensor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** unfold (im2col) and fold (col2im) against the convolution index formulas written out here. */
class ConvolutionTest {

    private static ConvGeometry randomGeometry(Random rnd) {
        return new ConvGeometry(1 + rnd.nextInt(3), 1 + rnd.nextInt(3), 1 + rnd.nextInt(3), 1 + rnd.nextInt(2),
                rnd.nextInt(3), rnd.nextInt(2), 1 + rnd.nextInt(2), 1 + rnd.nextInt(3));
    }

    /** cols[n, (c·kH + i)·kW + j, oh·OW + ow] = x[n, c, oh·sH − pH + i·dH, ow·sW − pW + j·dW], zero outside. */
    private static double[] unfoldReference(double[] x, int n, int c, int h, int w, ConvGeometry g) {
        int oh = g.outH(h), ow = g.outW(w), kh = g.kernelH(), kw = g.kernelW(), l = oh * ow;
        double[] out = new double[n * c * kh * kw * l];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        for (int r = 0; r < oh; r++) {
                            for (int q = 0; q < ow; q++) {
                                int ih = r * g.strideH() - g.padH() + i * g.dilationH();
                                int iw = q * g.strideW() - g.padW() + j * g.dilationW();
                                boolean inside = ih >= 0 && ih < h && iw >= 0 && iw < w;
                                int row = (ch * kh + i) * kw + j;
                                out[(b * c * kh * kw + row) * l + r * ow + q] =
                                        inside ? x[((b * c + ch) * h + ih) * w + iw] : 0;
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    @Test
    void unfoldMatchesTheIndexFormulaForRandomGeometries() {
        Random rnd = new Random(50);
        int tested = 0;
        while (tested < 60) {
            ConvGeometry g = randomGeometry(rnd);
            int n = 1 + rnd.nextInt(2), c = 1 + rnd.nextInt(3), h = 1 + rnd.nextInt(7), w = 1 + rnd.nextInt(7);
            if (g.outH(h) < 1 || g.outW(w) < 1) continue;
            tested++;
            DType dt = rnd.nextBoolean() ? DType.F32 : DType.F64;
            int[] shape = {n, c, h, w};
            double[] v = Layouts.values(rnd, Reference.numel(shape), dt);
            Tensor x = Layouts.build(v, shape, dt, Layouts.Layout.values()[rnd.nextInt(3)]);
            int[] os = {n, c * g.kernelH() * g.kernelW(), g.outH(h) * g.outW(w)};
            assertTensor(x.unfold(g), dt, os, unfoldReference(v, n, c, h, w, g), 0);
        }
    }

    @Test
    void unfoldReadsABroadcastImage() {
        // One image expanded over a batch of 3 (stride 0 on N): every batch entry unfolds alike.
        Random rnd = new Random(53);
        double[] base = Layouts.values(rnd, 2 * 5 * 6, DType.F32), ev = new double[3 * 60];
        Tensor x = Layouts.expanded(base, new int[]{1, 2, 5, 6}, new int[]{3, 2, 5, 6}, DType.F32, ev);
        ConvGeometry g = new ConvGeometry(3, 2, 1, 2, 1, 0, 1, 1);
        assertTensor(x.unfold(g), DType.F32, new int[]{3, 12, g.outH(5) * g.outW(6)}, unfoldReference(ev, 3, 2, 5, 6, g), 0);
    }

    @Test
    void unfoldOfASmallImageByHand() {
        Tensor x = Tensor.arange(DType.F32, 16).reshape(1, 1, 4, 4);
        assertTensor(x.unfold(ConvGeometry.square(2, 2, 0, 1)), new int[]{1, 4, 4},
                new double[]{0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15});
        // 3×3 window with padding 1 on a 2×2 image: the centre tap row is the image itself.
        Tensor y = Tensor.of(1, 2, 3, 4).reshape(1, 1, 2, 2).unfold(ConvGeometry.square(3, 1, 1, 1));
        assertThat(y.shape()).containsExactly(1, 9, 4);
        assertThat(y.select(1, 4).toDoubleArray()).containsExactly(1, 2, 3, 4);
        assertThat(y.select(1, 0).toDoubleArray()).containsExactly(0, 0, 0, 1);
        assertThat(y.select(1, 8).toDoubleArray()).containsExactly(4, 0, 0, 0);
    }

    @Test
    void foldIsTheAdjointOfUnfold() {
        Random rnd = new Random(51);
        int tested = 0;
        while (tested < 40) {
            ConvGeometry g = randomGeometry(rnd);
            int n = 1 + rnd.nextInt(2), c = 1 + rnd.nextInt(3), h = 1 + rnd.nextInt(7), w = 1 + rnd.nextInt(7);
            if (g.outH(h) < 1 || g.outW(w) < 1) continue;
            tested++;
            int k = c * g.kernelH() * g.kernelW(), l = g.outH(h) * g.outW(w);
            double[] xv = Layouts.values(rnd, n * c * h * w, DType.F64), yv = Layouts.values(rnd, n * k * l, DType.F64);
            Tensor x = Tensor.fromArray(xv, n, c, h, w);
            Tensor y = Layouts.build(yv, new int[]{n, k, l}, DType.F64, Layouts.Layout.values()[rnd.nextInt(3)]);
            // fold as a scatter written out: every column entry goes back to the pixel unfold read it from.
            double[] expected = new double[n * c * h * w], ones = new double[n * c * h * w];
            java.util.Arrays.fill(ones, 1);
            for (int idx = 0; idx < expected.length; idx++) {
                double[] e = new double[expected.length];
                e[idx] = 1;
                double[] col = unfoldReference(e, n, c, h, w, g);
                double s = 0;
                for (int t = 0; t < col.length; t++) s += col[t] * yv[t];
                expected[idx] = s;
            }
            // The reference adds each pixel's entries to +0 in tap order, as fold does (both ways, planes or sums).
            Tensor f = y.fold(g, h, w);
            assertTensor(f, DType.F64, new int[]{n, c, h, w}, expected, 0);
            double lhs = 0, rhs = 0;
            double[] u = x.unfold(g).toDoubleArray(), fv = f.toDoubleArray();
            for (int t = 0; t < u.length; t++) lhs += u[t] * yv[t];
            for (int t = 0; t < xv.length; t++) rhs += xv[t] * fv[t];
            assertThat(lhs).isCloseTo(rhs, org.assertj.core.data.Offset.offset(1e-12));
            Tensor f32 = y.to(DType.F32).fold(g, h, w);
            assertTensor(f32, DType.F32, new int[]{n, c, h, w}, expected, 1e-5);
        }
    }

    /**
     * fold of strided geometries with output rows short and long, so that both of its ways (sums of each pixel's
     * entries, and adds into phase planes) run, against a scatter in tap order: the same bits, in F64 and F32.
     */
    @Test
    void foldOfStridedImagesAddsInTapOrderWhateverTheRowLength() {
        Random rnd = new Random(52);
        ConvGeometry[] geometries = {ConvGeometry.square(3, 2, 1, 1), new ConvGeometry(3, 2, 2, 3, 1, 0, 1, 1),
                new ConvGeometry(2, 3, 3, 2, 0, 1, 2, 2), new ConvGeometry(1, 1, 2, 2, 0, 0, 1, 1)};
        for (ConvGeometry g : geometries) {
            for (int size : new int[]{9, 16, 40, 47}) {
                int n = 2, c = 3, h = size, w = size + 1, kh = g.kernelH(), kw = g.kernelW();
                int oh = g.outH(h), ow = g.outW(w), l = oh * ow, k = c * kh * kw;
                for (DType dt : new DType[]{DType.F64, DType.F32}) {
                    Tensor y = Tensor.fromArray(Layouts.values(rnd, n * k * l, DType.F64), n, k, l).to(dt);
                    double[] yv = y.toDoubleArray();
                    // The scatter: every entry, taps in order, added to the pixel it was read from.
                    double[] want = new double[n * c * h * w];
                    float[] wantF = new float[want.length];
                    for (int b = 0; b < n; b++) {
                        for (int ch = 0; ch < c; ch++) {
                            for (int t = 0; t < kh * kw; t++) {
                                for (int q = 0; q < l; q++) {
                                    int ih = q / ow * g.strideH() - g.padH() + t / kw * g.dilationH();
                                    int iw = q % ow * g.strideW() - g.padW() + t % kw * g.dilationW();
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                    int px = ((b * c + ch) * h + ih) * w + iw;
                                    double e = yv[(b * k + ch * kh * kw + t) * l + q];
                                    want[px] += e;
                                    wantF[px] += (float) e;
                                }
                            }
                        }
                    }
                    Tensor f = y.fold(g, h, w);
                    double[] got = f.toDoubleArray();
                    for (int i = 0; i < want.length; i++) {
                        double expected = dt == DType.F64 ? want[i] : wantF[i];
                        assertThat(got[i]).as("%s %s, %d×%d image, pixel %d", g, dt, h, w, i).isEqualTo(expected);
                    }
                }
            }
        }
    }

    /** unfold's reference with the batch moved into the columns: (K, N·L), column b·L + l is patch l of image b. */
    private static double[] unfoldColumnsReference(double[] x, int n, int c, int h, int w, ConvGeometry g) {
        double[] u = unfoldReference(x, n, c, h, w, g);
        int k = c * g.kernelH() * g.kernelW(), l = g.outH(h) * g.outW(w);
        double[] out = new double[u.length];
        for (int b = 0; b < n; b++) {
            for (int row = 0; row < k; row++) System.arraycopy(u, (b * k + row) * l, out, (row * n + b) * l, l);
        }
        return out;
    }

    @Test
    void unfoldColumnsAndFoldColumnsMatchTheIndexFormulaAndAreAdjoint() {
        Random rnd = new Random(54);
        int tested = 0;
        while (tested < 60) {
            ConvGeometry g = randomGeometry(rnd);
            int n = 1 + rnd.nextInt(3), c = 1 + rnd.nextInt(3), h = 1 + rnd.nextInt(7), w = 1 + rnd.nextInt(7);
            if (g.outH(h) < 1 || g.outW(w) < 1) continue;
            tested++;
            DType dt = rnd.nextBoolean() ? DType.F32 : DType.F64;
            int k = c * g.kernelH() * g.kernelW(), l = g.outH(h) * g.outW(w);
            double[] v = Layouts.values(rnd, n * c * h * w, dt);
            Tensor x = Layouts.build(v, new int[]{n, c, h, w}, dt, Layouts.Layout.values()[rnd.nextInt(3)]);
            Tensor cols = x.unfoldColumns(g);
            assertTensor(cols, dt, new int[]{k, n * l}, unfoldColumnsReference(v, n, c, h, w, g), 0);
            // foldColumns is fold of the same columns in unfold's layout, and the adjoint: ⟨cols(x), y⟩ = ⟨x, fold(y)⟩.
            double[] yv = Layouts.values(rnd, k * n * l, DType.F64);
            Tensor y = Layouts.build(yv, new int[]{k, n * l}, DType.F64, Layouts.Layout.values()[rnd.nextInt(3)]);
            Tensor f = y.foldColumns(g, h, w);
            Tensor batched = y.reshape(k, n, l).permute(1, 0, 2).fold(g, h, w);
            assertTensor(f, DType.F64, new int[]{n, c, h, w}, batched.toDoubleArray(), 0);
            double lhs = 0, rhs = 0;
            double[] u = x.to(DType.F64).unfoldColumns(g).toDoubleArray(), fv = f.toDoubleArray();
            for (int t = 0; t < u.length; t++) lhs += u[t] * yv[t];
            for (int t = 0; t < v.length; t++) rhs += v[t] * fv[t];
            assertThat(lhs).isCloseTo(rhs, org.assertj.core.data.Offset.offset(1e-12 * (1 + Math.abs(lhs))));
        }
    }

    @Test
    void convolutionImageByImageGivesTheBitsOfTheWholeBatchProduct() {
        // conv2d and its two gradients against the same products over the whole batch's patch columns: every GEMM entry
        // is one fma chain in a fixed order, so the two must agree exactly, in both dtypes.
        Random rnd = new Random(55);
        int tested = 0;
        while (tested < 40) {
            // The last ten are wide enough for the weight gradient's parallel blocks of columns.
            boolean wide = tested >= 30;
            ConvGeometry g = randomGeometry(rnd);
            int n = 1 + rnd.nextInt(wide ? 6 : 3), c = 1 + rnd.nextInt(wide ? 12 : 3), h = 1 + rnd.nextInt(8),
                    w = 1 + rnd.nextInt(8);
            if (g.outH(h) < 1 || g.outW(w) < 1) continue;
            tested++;
            DType dt = tested % 2 == 0 ? DType.F32 : DType.F64;
            int k = c * g.kernelH() * g.kernelW(), oh = g.outH(h), ow = g.outW(w), l = oh * ow,
                    cout = 1 + rnd.nextInt(wide ? 70 : 5);
            Tensor x = Layouts.build(Layouts.values(rnd, n * c * h * w, dt), new int[]{n, c, h, w}, dt,
                    Layouts.Layout.values()[rnd.nextInt(3)]);
            Tensor wt = Tensor.fromArray(Layouts.values(rnd, cout * k, dt), cout, k).to(dt);
            Tensor b = Tensor.fromArray(Layouts.values(rnd, cout, dt), cout).to(dt);
            Tensor grad = Tensor.fromArray(Layouts.values(rnd, n * cout * l, dt), n, cout, oh, ow).to(dt);
            Tensor cols = x.unfoldColumns(g);
            Tensor whole = wt.matmul(cols).add(b.reshape(cout, 1)).reshape(cout, n, oh, ow).permute(1, 0, 2, 3);
            assertThat(x.conv2d(wt, b, g).toDoubleArray()).as("forward").containsExactly(whole.toDoubleArray());
            assertThat(x.conv2d(wt, null, g).toDoubleArray()).as("forward without bias")
                    .containsExactly(wt.matmul(cols).reshape(cout, n, oh, ow).permute(1, 0, 2, 3).toDoubleArray());
            Tensor gc = grad.reshape(n, cout, l).permute(1, 0, 2).reshape(cout, n * l);
            assertThat(x.conv2dWeightGrad(grad, g).toDoubleArray()).as("weight gradient")
                    .containsExactly(blockedWeightGrad(x, grad, g).toDoubleArray());
            assertThat(Tensor.conv2dInputGrad(wt, grad, g, h, w).toDoubleArray()).as("input gradient")
                    .containsExactly(wt.mT().matmul(gc).foldColumns(g, h, w).toDoubleArray());
        }
    }

    /**
     * The weight gradient as the definition of its blocks gives it: per fixed block of images, the product of the
     * block's gradient columns and patch columns (one fma chain over its images and positions in order), the blocks'
     * products added in block order.
     */
    private static Tensor blockedWeightGrad(Tensor x, Tensor grad, ConvGeometry g) {
        int n = x.size(0), cout = grad.size(1), l = grad.size(2) * grad.size(3);
        Tensor sum = null;
        int[] start = Tensor.conv2dWeightGradBlocks(n);
        for (int j = 0; j + 1 < start.length; j++) {
            int b0 = start[j], nb = start[j + 1] - b0;
            Tensor cols = x.narrow(0, b0, nb).unfoldColumns(g);
            Tensor gc = grad.narrow(0, b0, nb).reshape(nb, cout, l).permute(1, 0, 2).reshape(cout, nb * l);
            Tensor part = gc.matmul(cols.mT());
            sum = sum == null ? part : sum.add(part);
        }
        return sum;
    }

    @Test
    void weightGradientBlocksAreFixedByTheBatchSize() {
        // Twenty images make eight blocks of two or three; the sum must be the blocks' products added in order (the
        // thread count cannot change it: LinalgThreadsTest), and only rounding away from the plain sum over images.
        Random rnd = new Random(57);
        ConvGeometry g = ConvGeometry.square(3, 2, 1, 1);
        int n = 20, c = 5, h = 9, w = 8, cout = 7, oh = g.outH(h), ow = g.outW(w);
        assertThat(Tensor.conv2dWeightGradBlocks(n)).containsExactly(0, 2, 5, 7, 10, 12, 15, 17, 20);
        assertThat(Tensor.conv2dWeightGradBlocks(3)).containsExactly(0, 1, 2, 3);
        for (DType dt : DType.values()) {
            Tensor x = Tensor.fromArray(Layouts.values(rnd, n * c * h * w, dt), n, c, h, w).to(dt);
            Tensor grad = Tensor.fromArray(Layouts.values(rnd, n * cout * oh * ow, dt), n, cout, oh, ow).to(dt);
            double[] expected = blockedWeightGrad(x, grad, g).toDoubleArray();
            assertThat(x.conv2dWeightGrad(grad, g).toDoubleArray()).as(dt.toString()).containsExactly(expected);
            // Against the plain sum over images in float64: the blocks change only the rounding.
            Tensor cols = x.to(DType.F64).unfoldColumns(g);
            Tensor gc = grad.to(DType.F64).reshape(n, cout, oh * ow).permute(1, 0, 2).reshape(cout, n * oh * ow);
            double[] plain = gc.matmul(cols.mT()).toDoubleArray();
            double tol = dt == DType.F32 ? 1e-4 : 1e-12;
            for (int i = 0; i < plain.length; i++) {
                assertThat(expected[i]).as("entry %d", i).isCloseTo(plain[i], within(tol * (1 + Math.abs(plain[i]))));
            }
        }
    }

    @Test
    void forwardAtImageSizesOfTheWorkloadsGivesTheBitsOfTheColumnProduct() {
        // The forward reads its patches as windows of shifted planes; at these sizes the product runs in whole tiles
        // of four vectors, single vectors and a scalar tail, over several passes of depth, with a last band of fewer
        // than six output channels. It must still give weight · unfoldColumns(x) + bias exactly.
        Random rnd = new Random(58);
        ConvGeometry[] geometries = {ConvGeometry.square(3, 1, 1, 1), ConvGeometry.square(3, 2, 1, 1),
                new ConvGeometry(3, 3, 2, 1, 1, 2, 2, 1), new ConvGeometry(2, 5, 1, 3, 0, 2, 1, 1)};
        int[][] sizes = {{2, 3, 32, 32, 32}, {2, 17, 32, 32, 13}, {3, 40, 16, 16, 7}, {2, 5, 23, 19, 11}};
        for (ConvGeometry g : geometries) {
            for (int[] sz : sizes) {
                int n = sz[0], c = sz[1], h = sz[2], w = sz[3], cout = sz[4];
                int k = c * g.kernelH() * g.kernelW(), oh = g.outH(h), ow = g.outW(w);
                for (DType dt : DType.values()) {
                    Tensor x = Tensor.fromArray(Layouts.values(rnd, n * c * h * w, dt), n, c, h, w).to(dt);
                    Tensor wt = Tensor.fromArray(Layouts.values(rnd, cout * k, dt), cout, k).to(dt);
                    Tensor b = Tensor.fromArray(Layouts.values(rnd, cout, dt), cout).to(dt);
                    Tensor whole = wt.matmul(x.unfoldColumns(g)).add(b.reshape(cout, 1)).reshape(cout, n, oh, ow)
                            .permute(1, 0, 2, 3);
                    assertThat(x.conv2d(wt, b, g).toDoubleArray()).as(g + " " + Arrays.toString(sz) + " " + dt)
                            .containsExactly(whole.toDoubleArray());
                }
            }
        }
    }

    @Test
    void deepPatchesSplitIntoChunksKeepTheBitsOfTheWholeProduct() {
        // 40 channels of 3×3 taps: patches 360 deep, which the per-image products take in chunks (continuing every
        // entry's fma chain); the results must still be those of the whole batch's single products.
        Random rnd = new Random(56);
        for (DType dt : DType.values()) {
            ConvGeometry g = ConvGeometry.square(3, 2, 1, 1);
            int n = 3, c = 40, h = 9, w = 7, k = c * 9, cout = 6, oh = g.outH(h), ow = g.outW(w), l = oh * ow;
            Tensor x = Tensor.fromArray(Layouts.values(rnd, n * c * h * w, dt), n, c, h, w).to(dt);
            Tensor wt = Tensor.fromArray(Layouts.values(rnd, cout * k, dt), cout, k).to(dt);
            Tensor grad = Tensor.fromArray(Layouts.values(rnd, n * cout * l, dt), n, cout, oh, ow).to(dt);
            Tensor cols = x.unfoldColumns(g), gc = grad.reshape(n, cout, l).permute(1, 0, 2).reshape(cout, n * l);
            assertThat(x.conv2d(wt, null, g).toDoubleArray()).as("forward " + dt)
                    .containsExactly(wt.matmul(cols).reshape(cout, n, oh, ow).permute(1, 0, 2, 3).toDoubleArray());
            assertThat(Tensor.conv2dInputGrad(wt, grad, g, h, w).toDoubleArray()).as("input gradient " + dt)
                    .containsExactly(wt.mT().matmul(gc).foldColumns(g, h, w).toDoubleArray());
        }
    }

    @Test
    void convolutionChecksItsOperands() {
        ConvGeometry g = ConvGeometry.square(3, 1, 1, 1);
        Tensor x = Tensor.zeros(DType.F32, 2, 3, 5, 5);
        assertThatThrownBy(() -> x.conv2d(Tensor.zeros(DType.F32, 4, 26), null, g))
                .hasMessage("conv2d: weight of shape [4, 26] does not match patches of 27 entries (C·3·3); expected (C_out, 27)");
        assertThatThrownBy(() -> x.conv2d(Tensor.zeros(DType.F32, 4, 27), Tensor.zeros(DType.F32, 5), g))
                .hasMessage("conv2d: bias of shape [5] for a weight of shape [4, 27]; expected [4]");
        assertThatThrownBy(() -> x.conv2dWeightGrad(Tensor.zeros(DType.F32, 2, 4, 5, 4), g))
                .hasMessage("conv2dWeightGrad: expected a gradient of shape (2, C_out, 5, 5), got [2, 4, 5, 4]");
        assertThatThrownBy(() -> Tensor.conv2dInputGrad(Tensor.zeros(DType.F32, 3, 27), Tensor.zeros(DType.F32, 2, 4, 5, 5), g, 5, 5))
                .hasMessage("conv2dInputGrad: weight of shape [3, 27] for a gradient of shape [2, 4, 5, 5]; expected (4, C·3·3)");
        assertThat(Tensor.zeros(DType.F32, 0, 3, 5, 5).conv2d(Tensor.zeros(DType.F32, 4, 27), null, g).shape())
                .containsExactly(0, 4, 5, 5);
        assertThat(Tensor.zeros(DType.F32, 0, 3, 5, 5).conv2dWeightGrad(Tensor.zeros(DType.F32, 0, 4, 5, 5), g).toDoubleArray())
                .containsOnly(0.0);
    }

    @Test
    void convolutionAsUnfoldThenMatmulMatchesTheDirectSum() {
        // PyTorch's weight layout (O, C, kH, kW) flattened to (O, C·kH·kW) lines up with unfold's (c, kh, kw) rows.
        Random rnd = new Random(52);
        ConvGeometry g = new ConvGeometry(3, 2, 2, 1, 1, 0, 1, 2);
        int n = 2, c = 3, h = 7, w = 6, o = 4;
        double[] xv = Layouts.values(rnd, n * c * h * w, DType.F64), wv = Layouts.values(rnd, o * c * 3 * 2, DType.F64);
        Tensor out = Tensor.fromArray(wv, o, c * 6).matmul(Tensor.fromArray(xv, n, c, h, w).unfold(g));
        int oh = g.outH(h), ow = g.outW(w);
        double[] expected = new double[n * o * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int f = 0; f < o; f++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        double s = 0;
                        for (int ch = 0; ch < c; ch++) {
                            for (int i = 0; i < 3; i++) {
                                for (int j = 0; j < 2; j++) {
                                    int ih = r * 2 - 1 + i, iw = q - 0 + j * 2;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                    s += wv[((f * c + ch) * 3 + i) * 2 + j] * xv[((b * c + ch) * h + ih) * w + iw];
                                }
                            }
                        }
                        expected[((b * o + f) * oh + r) * ow + q] = s;
                    }
                }
            }
        }
        assertTensor(out, new int[]{n, o, oh * ow}, expected);
    }

    @Test
    void geometryComputesPyTorchOutputSizes() {
        ConvGeometry g = new ConvGeometry(3, 5, 2, 3, 1, 2, 2, 1);
        assertThat(g.outH(32)).isEqualTo((32 + 2 - 2 * 2 - 1) / 2 + 1);
        assertThat(g.outW(10)).isEqualTo((10 + 4 - 4 - 1) / 3 + 1);
        // Too small: the dilated kernel does not fit, so the size is ≤ 0 rather than rounded up to 1.
        assertThat(ConvGeometry.square(3, 2, 0, 1).outH(2)).isLessThanOrEqualTo(0);
        assertThat(ConvGeometry.square(3, 2, 0, 1).outH(3)).isEqualTo(1);
        assertThatThrownBy(() -> new ConvGeometry(0, 1, 1, 1, 0, 0, 1, 1))
                .hasMessageStartingWith("ConvGeometry: kernel, stride and dilation must be ≥ 1 and padding ≥ 0");
        assertThatThrownBy(() -> ConvGeometry.square(3, 1, -1, 1))
                .hasMessageStartingWith("ConvGeometry: kernel, stride and dilation must be ≥ 1 and padding ≥ 0");
    }

    @Test
    void badShapesAreReportedWithTheGeometry() {
        ConvGeometry g = ConvGeometry.square(3, 1, 0, 1);
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 1, 4, 4).unfold(g))
                .hasMessage("unfold: expected an input of shape (N, C, H, W), got [1, 4, 4]");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 1, 1, 2, 5).unfold(g))
                .hasMessage("unfold: an image of 2×5 is too small for kernel 3×3, stride 1×1, padding 0×0, dilation 1×1 "
                        + "(the output would be 0×3)");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 1, 9, 5).fold(g, 4, 4))
                .hasMessage("fold: columns of shape [1, 9, 5] have 5 positions, but a 4×4 image with kernel 3×3, "
                        + "stride 1×1, padding 0×0, dilation 1×1 has 2×2 = 4");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 1, 8, 4).fold(g, 4, 4))
                .hasMessage("fold: expected columns of shape (N, C·3·3, L) for kernel 3×3, stride 1×1, padding 0×0, "
                        + "dilation 1×1, got [1, 8, 4]");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 9, 4).unfoldColumns(g))
                .hasMessage("unfoldColumns: expected an input of shape (N, C, H, W), got [9, 4]");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 9, 10).foldColumns(g, 4, 4))
                .hasMessage("foldColumns: columns of shape [9, 10] are not whole images: a 4×4 image with kernel 3×3, "
                        + "stride 1×1, padding 0×0, dilation 1×1 has 2×2 = 4 positions");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 1, 9, 4).foldColumns(g, 4, 4))
                .hasMessage("foldColumns: expected columns of shape (C·3·3, N·L) for kernel 3×3, stride 1×1, padding 0×0, "
                        + "dilation 1×1, got [1, 9, 4]");
        assertThat(Tensor.zeros(DType.F32, 0, 2, 4, 4).unfoldColumns(g).shape()).containsExactly(18, 0);
        assertThat(Tensor.zeros(DType.F32, 18, 0).foldColumns(g, 4, 4).shape()).containsExactly(0, 2, 4, 4);
        assertThat(Tensor.zeros(DType.F32, 0, 2, 4, 4).unfold(g).shape()).containsExactly(0, 18, 4);
        assertThat(Tensor.zeros(DType.F32, 0, 18, 4).fold(g, 4, 4).shape()).containsExactly(0, 2, 4, 4);
    }
}
