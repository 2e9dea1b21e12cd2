package kfac4j.tensor;

/**
 * The sum of every image's convolution patches over the output positions, computed from the image without unfolding
 * it: what K-FAC-reduce needs of a convolution's inputs (DESIGN.md §5.2, {@code Σ_r a_{n,r}} with the patches as rows).
 *
 * <p>Entry {@code (c·kH + i)·kW + j} of image n's sum is {@code Σ_{oh,ow} x[n, c, oh·sH − pH + i·dH, ow·sW − pW + j·dW]}
 * (zero outside the image), as in {@link Convolution}'s patch order. The row and column offsets separate: for each
 * kernel row i the selected image rows are added into one row of width W ({@code U_i = Σ_oh x[h(oh, i), ·]}), and
 * entry (i, j) sums the selected columns of {@code U_i}. That costs {@code O(kH·H_out·W + kH·kW·W_out)} per channel
 * instead of the {@code kH·kW·H_out·W_out} copies of the patches. Sums run in double, also for F32.
 */
public final class PatchSums {
    private PatchSums() {
    }

    /** (N, C, H, W) to (N, C·kH·kW): row n is the sum of image n's patches (the unfolded columns of image n, summed). */
    public static Tensor perImage(Tensor x, ConvGeometry g) {
        int[] s = x.shapeRef();
        if (s.length != 4) {
            throw new IllegalArgumentException("PatchSums.perImage: expected an input of shape (N, C, H, W), got "
                    + Shapes.str(s));
        }
        int n = s[0], c = s[1], h = s[2], w = s[3], oh = g.outH(h), ow = g.outW(w);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("PatchSums.perImage: an image of " + h + "×" + w + " is too small for "
                    + g + " (the output would be " + oh + "×" + ow + ")");
        }
        int kh = g.kernelH(), kw = g.kernelW(), k = kh * kw;
        Tensor in = x.contiguous();
        Tensor out = Tensor.allocate("PatchSums.perImage", x.dtype(), new int[]{n, c * k});
        int planes = n * c, plane = h * w;
        Blocks.run(planes, Math.max(1, Blocks.GRAIN / Math.max(1, plane)), (from, to) -> {
            double[] row = new double[w];
            double[] sums = new double[k];
            for (int p = from; p < to; p++) {
                plane(in, in.offset() + (long) p * plane, h, w, oh, ow, g, row, sums);
                for (int e = 0; e < k; e++) out.setFlat(p * k + e, sums[e]);
            }
        });
        return out;
    }

    /** The kH·kW sums of one channel plane starting at {@code base}. */
    private static void plane(Tensor in, long base, int h, int w, int oh, int ow, ConvGeometry g, double[] row,
                              double[] sums) {
        int kh = g.kernelH(), kw = g.kernelW();
        Object data = in.data();
        for (int i = 0; i < kh; i++) {
            java.util.Arrays.fill(row, 0);
            // The image rows h(oh) = oh·sH − pH + i·dH that fall inside the image: add each into U_i.
            int off = i * g.dilationH() - g.padH();
            for (int o = 0; o < oh; o++) {
                int y = o * g.strideH() + off;
                if (y < 0 || y >= h) continue;
                int at = (int) (base + (long) y * w);
                Rows.accumulate(data, at, row, w);
            }
            for (int j = 0; j < kw; j++) {
                int colOff = j * g.dilationW() - g.padW();
                double sum = 0;
                for (int o = 0; o < ow; o++) {
                    int xcol = o * g.strideW() + colOff;
                    if (xcol >= 0 && xcol < w) sum += row[xcol];
                }
                sums[i * kw + j] = sum;
            }
        }
    }
}
