package kfac4j.tensor;

import kfac4j.tensor.kernel.Kernels;

/**
 * im2col and col2im for 2-D convolutions, the way a convolution becomes a weight-sharing linear layer
 * (DESIGN.md §4: the patches are the rows, the output positions the shared axis; KFC, §5.2), and the convolution
 * itself with its two gradients computed image by image, so that the patches never exist for the whole batch at once.
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
        int[] s = checkImage("unfold", x, g);
        int n = s[0], c = s[1], k = c * g.kernelH() * g.kernelW(), l = g.outH(s[2]) * g.outW(s[3]);
        Tensor out = Tensor.allocate("unfold", x.dtype(), new int[]{n, k, l});
        // Row (c, i, j) of image b starts at (b·K + (c·kH + i)·kW + j)·L.
        if (out.numel() > 0) copyPatches(x.contiguous(), g, out, (long) k * l, l, false);
        return out;
    }

    /**
     * The patches of all images side by side: (N, C, H, W) to (C·kH·kW, N·L), column b·L + l holding patch l of image
     * b — unfold's entries with the batch moved into the columns, so that a convolution over the whole batch is one
     * matrix product {@code W · cols}.
     */
    static Tensor unfoldColumns(Tensor x, ConvGeometry g) {
        int[] s = checkImage("unfoldColumns", x, g);
        int n = s[0], k = s[1] * g.kernelH() * g.kernelW(), l = g.outH(s[2]) * g.outW(s[3]);
        Tensor out = Tensor.allocate("unfoldColumns", x.dtype(), new int[]{k, n * l});
        // Row (c, i, j) starts at ((c·kH + i)·kW + j)·N·L; image b's part of it b·L further.
        if (out.numel() > 0) copyPatches(x.contiguous(), g, out, l, (long) n * l, false);
        return out;
    }

    private static int[] checkImage(String op, Tensor x, ConvGeometry g) {
        int[] s = x.shapeRef();
        if (s.length != 4) {
            throw new IllegalArgumentException(op + ": expected an input of shape (N, C, H, W), got " + Shapes.str(s));
        }
        checkOutput(op, s[2], s[3], g);
        return s;
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
        int l = g.outH(h) * g.outW(w);
        if (s[2] != l) {
            throw new IllegalArgumentException("fold: columns of shape " + Shapes.str(s) + " have " + s[2]
                    + " positions, but a " + h + "×" + w + " image with " + describe(g) + " has " + g.outH(h) + "×"
                    + g.outW(w) + " = " + l);
        }
        Tensor out = Tensor.allocate("fold", cols.dtype(), new int[]{s[0], s[1] / (kh * kw), h, w});
        if (cols.numel() > 0) copyPatches(out, g, cols.contiguous(), (long) s[1] * l, l, true);
        return out;
    }

    /** The adjoint of {@link #unfoldColumns}: (C·kH·kW, N·L) summed back into (N, C, H, W). */
    static Tensor foldColumns(Tensor cols, ConvGeometry g, int h, int w) {
        int[] s = cols.shapeRef();
        int kh = g.kernelH(), kw = g.kernelW();
        if (s.length != 2 || s[0] % (kh * kw) != 0) {
            throw new IllegalArgumentException("foldColumns: expected columns of shape (C·" + kh + "·" + kw
                    + ", N·L) for " + describe(g) + ", got " + Shapes.str(s));
        }
        if (h < 0 || w < 0) throw new IllegalArgumentException("foldColumns: image size must be ≥ 0, got " + h + "×" + w);
        checkOutput("foldColumns", h, w, g);
        int l = g.outH(h) * g.outW(w);
        if (s[1] % l != 0) {
            throw new IllegalArgumentException("foldColumns: columns of shape " + Shapes.str(s) + " are not whole images:"
                    + " a " + h + "×" + w + " image with " + describe(g) + " has " + g.outH(h) + "×" + g.outW(w) + " = "
                    + l + " positions");
        }
        int n = s[1] / l;
        Tensor out = Tensor.allocate("foldColumns", cols.dtype(), new int[]{n, s[0] / (kh * kw), h, w});
        if (cols.numel() > 0) copyPatches(out, g, cols.contiguous(), l, (long) n * l, true);
        return out;
    }

    /**
     * The loops of every operation here: for image b of {@code n} (contiguous from {@code imgOff}), channel c and tap
     * (i, j), the patch row starts at {@code colsOff + b·imageStride + ((c·kH + i)·kW + j)·tapStride}; for every output
     * row r the valid output columns form one interval, read from (or, folding, added back to) one input row. The
     * written array holds zeros where nothing is written (padding). Every offset fits an int: both arrays exist.
     */
    private static void copyPatches(Object img, int imgOff, int n, int c, int h, int w, ConvGeometry g, Object cols,
                                    int colsOff, long imageStride, long tapStride, boolean fold) {
        int kh = g.kernelH(), kw = g.kernelW(), oh = g.outH(h), ow = g.outW(w);
        int sh = g.strideH(), sw = g.strideW();
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                int plane = imgOff + (b * c + ch) * h * w;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int row = colsOff + (int) (b * imageStride + ((ch * kh + i) * kw + j) * tapStride);
                        int colOff = j * g.dilationW() - g.padW();
                        int lo = firstValid(colOff, sw), hi = endValid(colOff, sw, w, ow);
                        if (lo >= hi) continue;
                        for (int r = 0; r < oh; r++) {
                            int ih = r * sh - g.padH() + i * g.dilationH();
                            if (ih < 0 || ih >= h) continue; // a padding row: zero in the columns, nothing to add back
                            int px = plane + ih * w + lo * sw + colOff, at = row + r * ow + lo, len = hi - lo;
                            if (img instanceof float[] f) run(f, px, sw, (float[]) cols, at, len, fold);
                            else run((double[]) img, px, sw, (double[]) cols, at, len, fold);
                        }
                    }
                }
            }
        }
    }

    /** copyPatches over a whole contiguous image tensor and a contiguous column tensor. */
    private static void copyPatches(Tensor image, ConvGeometry g, Tensor cols, long imageStride, long tapStride,
                                    boolean fold) {
        int[] s = image.shapeRef();
        copyPatches(image.data(), image.offset(), s[0], s[1], s[2], s[3], g, cols.data(), cols.offset(), imageStride,
                tapStride, fold);
    }

    // ---------------------------------------------------------------- the convolution, image by image

    /**
     * A convolution {@code (N, C, H, W) → (N, C_out, outH, outW)} with {@code weight} (C_out, C·kH·kW) and an optional
     * {@code bias} (C_out): per image, its patch columns P_n (C·kH·kW, L), then {@code W P_n + b}. The patches of one
     * image are built in a buffer that stays in the cache rather than for the whole batch at once, and the values are
     * those of {@code weight · unfoldColumns(x) + bias}, bit for bit (every GEMM element is one fma chain over the
     * patch entries, whatever the shape of the product).
     */
    static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, ConvGeometry g) {
        int[] s = checkImage("conv2d", x, g);
        int n = s[0], c = s[1], k = c * g.kernelH() * g.kernelW(), l = g.outH(s[2]) * g.outW(s[3]);
        int cout = checkWeight("conv2d", weight, k, g);
        if (bias != null && (bias.rank() != 1 || bias.size(0) != cout)) {
            throw new IllegalArgumentException("conv2d: bias of shape " + Shapes.str(bias.shapeRef()) + " for a weight of shape "
                    + Shapes.str(weight.shapeRef()) + "; expected [" + cout + "]");
        }
        DType dt = DType.promote(x.dtype(), weight.dtype());
        Tensor xc = x.to(dt).contiguous(), wc = weight.to(dt).contiguous();
        Tensor bc = bias == null ? null : bias.to(dt).contiguous();
        Tensor out = Tensor.allocate("conv2d", dt, new int[]{n, cout, g.outH(s[2]), g.outW(s[3])});
        if (out.numel() == 0) return out;
        // Images are independent: shared out in blocks, each with its own patch buffer.
        Blocks.run(n, imagesPerBlock(n), (b0, b1) -> {
            Object cols = Rows.array(dt, k * l);
            for (int b = b0; b < b1; b++) {
                copyPatches(xc.data(), xc.offset() + b * c * s[2] * s[3], 1, c, s[2], s[3], g, cols, 0, 0, l, false);
                gemm(cout, l, k, wc.data(), wc.offset(), k, 1, cols, 0, l, 1, out.data(), b * cout * l, l, false);
                if (bc == null) continue;
                for (int o = 0; o < cout; o++) {
                    int at = (b * cout + o) * l;
                    if (dt == DType.F32) {
                        float[] y = out.f32();
                        float v = bc.f32()[bc.offset() + o];
                        for (int q = 0; q < l; q++) y[at + q] += v;
                    } else {
                        double[] y = out.f64();
                        double v = bc.f64()[bc.offset() + o];
                        for (int q = 0; q < l; q++) y[at + q] += v;
                    }
                }
            }
        });
        return out;
    }

    /**
     * The gradient of {@link #conv2d} with respect to its weight, {@code Σ_n G_n P_nᵀ} (C_out, C·kH·kW), for the output
     * gradient {@code grad} (N, C_out, outH, outW): one fma chain per entry over images and positions in order, so
     * the values are those of {@code G · unfoldColumns(x)ᵀ} with G the gradient as (C_out, N·L).
     */
    static Tensor conv2dWeightGrad(Tensor x, Tensor grad, ConvGeometry g) {
        int[] s = checkImage("conv2dWeightGrad", x, g);
        int n = s[0], c = s[1], k = c * g.kernelH() * g.kernelW(), l = g.outH(s[2]) * g.outW(s[3]);
        int cout = checkGrad("conv2dWeightGrad", grad, n, g.outH(s[2]), g.outW(s[3]));
        DType dt = DType.promote(x.dtype(), grad.dtype());
        Tensor xc = x.to(dt).contiguous(), gc = grad.to(dt).contiguous();
        Tensor out = Tensor.allocate("conv2dWeightGrad", dt, new int[]{cout, k});
        if (out.numel() == 0 || n == 0) return out;
        // The patches of a few images at a time are built in parallel; the products then run in image order, so that
        // each entry is one fma chain over images and positions in order.
        int chunk = Math.min(n, 4), plane = c * s[2] * s[3];
        Object cols = Rows.array(dt, chunk * k * l);
        for (int b0 = 0; b0 < n; b0 += chunk) {
            int m = Math.min(chunk, n - b0), first = b0;
            Blocks.run(m, 1, (i0, i1) -> copyPatches(xc.data(), xc.offset() + (first + i0) * plane, i1 - i0, c, s[2],
                    s[3], g, cols, i0 * k * l, (long) k * l, l, false));
            for (int i = 0; i < m; i++) {
                // G_n (C_out × L) times P_nᵀ (L × K, the buffer read transposed), added to the images before.
                int b = b0 + i;
                gemm(cout, k, l, gc.data(), gc.offset() + b * cout * l, l, 1, cols, i * k * l, 1, l, out.data(), 0, k, b > 0);
            }
        }
        return out;
    }

    /**
     * The gradient of {@link #conv2d} with respect to its input: per image, the columns {@code Wᵀ G_n} folded back
     * into an image of {@code height × width} (the values of {@code foldColumns(Wᵀ G)}).
     */
    static Tensor conv2dInputGrad(Tensor weight, Tensor grad, ConvGeometry g, int height, int width) {
        if (height < 0 || width < 0) {
            throw new IllegalArgumentException("conv2dInputGrad: image size must be ≥ 0, got " + height + "×" + width);
        }
        checkOutput("conv2dInputGrad", height, width, g);
        int oh = g.outH(height), ow = g.outW(width), l = oh * ow;
        int[] gs = grad.shapeRef();
        if (gs.length != 4) {
            throw new IllegalArgumentException("conv2dInputGrad: expected a gradient of shape (N, C_out, " + oh + ", " + ow
                    + "), got " + Shapes.str(gs));
        }
        int n = gs[0], cout = checkGrad("conv2dInputGrad", grad, n, oh, ow);
        int[] ws = weight.shapeRef();
        int kk = g.kernelH() * g.kernelW();
        if (ws.length != 2 || ws[0] != cout || ws[1] % kk != 0) {
            throw new IllegalArgumentException("conv2dInputGrad: weight of shape " + Shapes.str(ws) + " for a gradient of shape "
                    + Shapes.str(gs) + "; expected (" + cout + ", C·" + g.kernelH() + "·" + g.kernelW() + ")");
        }
        int k = ws[1], c = k / kk;
        DType dt = DType.promote(weight.dtype(), grad.dtype());
        Tensor wc = weight.to(dt).contiguous(), gc = grad.to(dt).contiguous();
        Tensor out = Tensor.allocate("conv2dInputGrad", dt, new int[]{n, c, height, width});
        if (out.numel() == 0) return out;
        // Images are independent: shared out in blocks, each with its own column buffer.
        Blocks.run(n, imagesPerBlock(n), (b0, b1) -> {
            Object cols = Rows.array(dt, k * l);
            for (int b = b0; b < b1; b++) {
                // Wᵀ (K × C_out, the weight read transposed) times G_n (C_out × L), then back into image b.
                gemm(k, l, cout, wc.data(), wc.offset(), 1, k, gc.data(), gc.offset() + b * cout * l, l, 1, cols, 0, l, false);
                copyPatches(out.data(), b * c * height * width, 1, c, height, width, g, cols, 0, 0, l, true);
            }
        });
        return out;
    }

    /** Images per block of the image-parallel loops: about eight blocks (one patch buffer each), whatever the threads. */
    private static int imagesPerBlock(int n) {
        return Math.max(1, n / 8);
    }

    private static int checkWeight(String op, Tensor weight, int k, ConvGeometry g) {
        int[] ws = weight.shapeRef();
        if (ws.length != 2 || ws[1] != k) {
            throw new IllegalArgumentException(op + ": weight of shape " + Shapes.str(ws) + " does not match patches of "
                    + k + " entries (C·" + g.kernelH() + "·" + g.kernelW() + "); expected (C_out, " + k + ")");
        }
        return ws[0];
    }

    private static int checkGrad(String op, Tensor grad, int n, int oh, int ow) {
        int[] gs = grad.shapeRef();
        if (gs.length != 4 || gs[0] != n || gs[2] != oh || gs[3] != ow) {
            throw new IllegalArgumentException(op + ": expected a gradient of shape (" + n + ", C_out, " + oh + ", " + ow
                    + "), got " + Shapes.str(gs));
        }
        return gs[1];
    }

    private static void gemm(int m, int n, int k, Object a, int aOff, int aRs, int aCs, Object b, int bOff, int bRs,
                             int bCs, Object c, int cOff, int cRs, boolean accumulate) {
        if (a instanceof float[] af) {
            Kernels.active().gemm(m, n, k, af, aOff, aRs, aCs, (float[]) b, bOff, bRs, bCs, (float[]) c, cOff, cRs, accumulate);
        } else {
            Kernels.active().gemm(m, n, k, (double[]) a, aOff, aRs, aCs, (double[]) b, bOff, bRs, bCs, (double[]) c, cOff,
                    cRs, accumulate);
        }
    }

    /** {@code col[at + q] = img[px + q·step]} for q in [0, len), or, folding, {@code img[px + q·step] += col[at + q]}. */
    private static void run(float[] img, int px, int step, float[] col, int at, int len, boolean fold) {
        if (fold) {
            if (step == 1) for (int q = 0; q < len; q++) img[px + q] += col[at + q];
            else if (step == 2) for (int q = 0; q < len; q++) img[px + 2 * q] += col[at + q];
            else for (int q = 0; q < len; q++) img[px + q * step] += col[at + q];
        } else if (step == 1) {
            System.arraycopy(img, px, col, at, len);
        } else if (step == 2) {
            // The common strided case with a constant stride, which the compiler unrolls better.
            for (int q = 0; q < len; q++) col[at + q] = img[px + 2 * q];
        } else {
            for (int q = 0; q < len; q++) col[at + q] = img[px + q * step];
        }
    }

    private static void run(double[] img, int px, int step, double[] col, int at, int len, boolean fold) {
        if (fold) {
            if (step == 1) for (int q = 0; q < len; q++) img[px + q] += col[at + q];
            else for (int q = 0; q < len; q++) img[px + q * step] += col[at + q];
        } else if (step == 1) {
            System.arraycopy(img, px, col, at, len);
        } else {
            for (int q = 0; q < len; q++) col[at + q] = img[px + q * step];
        }
    }
}
