package kfac4j.tensor;

/**
 * im2col and col2im for 2-D convolutions, the way a convolution becomes a weight-sharing linear layer
 * (DESIGN.md §4: the patches are the rows, the output positions the shared axis; KFC, §5.2).
 *
 * <p>Row {@code (c·kH + kh)·kW + kw} of the unfolded input holds, for every output position {@code (oh, ow)}, the
 * input pixel {@code x[c, oh·sH − pH + kh·dH, ow·sW − pW + kw·dW]} (zero outside the image). For a fixed
 * {@code (c, kh, kw, oh)} the valid {@code ow} form one interval, computed once, so the innermost loop is a plain
 * copy (an {@code arraycopy} at stride 1) with no bounds tests.
 */
final class Convolution {
    private Convolution() {
    }

    private static String describe(ConvGeometry g) {
        return "kernel " + g.kernelH() + "×" + g.kernelW() + ", stride " + g.strideH() + "×" + g.strideW()
                + ", padding " + g.padH() + "×" + g.padW() + ", dilation " + g.dilationH() + "×" + g.dilationW();
    }

    private static void checkOutput(String op, int h, int w, ConvGeometry g) {
        int oh = g.outH(h), ow = g.outW(w);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException(op + ": an image of " + h + "×" + w + " is too small for " + describe(g)
                    + " (the output would be " + oh + "×" + ow + ")");
        }
    }

    /** First output column whose input column {@code ow·stride + off} is ≥ 0, and one past the last inside [0, w). */
    private static int firstValid(int off, int stride) {
        return off >= 0 ? 0 : (-off + stride - 1) / stride;
    }

    private static int endValid(int off, int stride, int w, int outW) {
        return w - 1 - off < 0 ? 0 : Math.min(outW, (w - 1 - off) / stride + 1);
    }

    static Tensor unfold(Tensor x, ConvGeometry g) {
        int[] s = x.shapeRef();
        if (s.length != 4) {
            throw new IllegalArgumentException("unfold: expected an input of shape (N, C, H, W), got " + Shapes.str(s));
        }
        int n = s[0], c = s[1], h = s[2], w = s[3];
        checkOutput("unfold", h, w, g);
        int kh = g.kernelH(), kw = g.kernelW(), oh = g.outH(h), ow = g.outW(w), l = oh * ow;
        Tensor out = Tensor.allocate("unfold", x.dtype(), new int[]{n, c * kh * kw, l});
        if (out.numel() == 0) return out;
        Tensor in = x.contiguous();
        Object src = in.data(), dst = out.data();
        int sh = g.strideH(), sw = g.strideW();
        for (int img = 0; img < n * c; img++) {
            int inBase = in.offset() + img * h * w;
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int row = img * kh * kw + i * kw + j; // (n, c, i, j) flattened: n·C·kH·kW + (c·kH + i)·kW + j
                    int colOff = j * g.dilationW() - g.padW();
                    int lo = firstValid(colOff, sw), hi = endValid(colOff, sw, w, ow);
                    if (lo >= hi) continue;
                    for (int r = 0; r < oh; r++) {
                        int ih = r * sh - g.padH() + i * g.dilationH();
                        if (ih < 0 || ih >= h) continue; // a padding row: stays zero
                        Rows.gather(src, inBase + ih * w + lo * sw + colOff, sw, dst, row * l + r * ow + lo, hi - lo);
                    }
                }
            }
        }
        return out;
    }

    /** The adjoint of unfold: every column entry is added back to the pixel it was read from. */
    static Tensor fold(Tensor cols, ConvGeometry g, int h, int w) {
        int[] s = cols.shapeRef();
        int kh = g.kernelH(), kw = g.kernelW();
        if (s.length != 3 || s[1] % (kh * kw) != 0) {
            throw new IllegalArgumentException("fold: expected columns of shape (N, C·" + kh + "·" + kw
                    + ", L) for " + describe(g) + ", got " + Shapes.str(s));
        }
        if (h < 0 || w < 0) throw new IllegalArgumentException("fold: image size must be ≥ 0, got " + h + "×" + w);
        checkOutput("fold", h, w, g);
        int oh = g.outH(h), ow = g.outW(w), l = oh * ow;
        if (s[2] != l) {
            throw new IllegalArgumentException("fold: columns of shape " + Shapes.str(s) + " have " + s[2]
                    + " positions, but a " + h + "×" + w + " image with " + describe(g) + " has " + oh + "×" + ow
                    + " = " + l);
        }
        int n = s[0], c = s[1] / (kh * kw);
        Tensor out = Tensor.allocate("fold", cols.dtype(), new int[]{n, c, h, w});
        if (cols.numel() == 0) return out;
        Tensor in = cols.contiguous();
        Object src = in.data(), dst = out.data();
        int sh = g.strideH(), sw = g.strideW();
        for (int img = 0; img < n * c; img++) {
            int outBase = img * h * w;
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int row = img * kh * kw + i * kw + j;
                    int colOff = j * g.dilationW() - g.padW();
                    int lo = firstValid(colOff, sw), hi = endValid(colOff, sw, w, ow);
                    if (lo >= hi) continue;
                    for (int r = 0; r < oh; r++) {
                        int ih = r * sh - g.padH() + i * g.dilationH();
                        if (ih < 0 || ih >= h) continue;
                        Rows.scatterAdd(src, in.offset() + row * l + r * ow + lo, dst, outBase + ih * w + lo * sw + colOff,
                                sw, hi - lo);
                    }
                }
            }
        }
        return out;
    }
}
