package kfac4j.tensor;

import kfac4j.tensor.kernel.BinaryOp;
import kfac4j.tensor.kernel.Kernels;

/**
 * im2col and col2im for 2-D convolutions, the way a convolution becomes a weight-sharing linear layer
 * (DESIGN.md §4: the patches are the rows, the output positions the shared axis; KFC, §5.2), and the convolution
 * itself with its two gradients computed image by image, so that the patches never exist for the whole batch at once.
 *
 * <p>Row {@code (c·kH + kh)·kW + kw} of the unfolded input holds, for every output position {@code (oh, ow)}, the
 * input pixel {@code x[c, oh·sH − pH + kh·dH, ow·sW − pW + kw·dW]} (zero outside the image). The image is first
 * copied into a buffer with a real zero border, after which every patch row is one gather through a table of offsets
 * made once per call ({@link Patches}).
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
     * The patch layout of one image shape: the image is copied into a zero-bordered buffer (C planes of hp × wp, the
     * padding made real), and {@link #index} holds, for tap t = i·kW + j and output position q = r·outW + col, the
     * offset {@code (r·sH + i·dH)·wp + col·sW + j·dW} of the pixel that patch q reads in a padded plane. A patch row is
     * then one gather of L values, whatever the stride, padding or dilation: no per-run bounds, and vector gathers
     * where the CPU has them.
     *
     * <p>Folding adds instead, into the padded image split into its stride phases: phase (a, b) of a channel holds
     * the padded pixels (y, x) with y mod sH = a and x mod sW = b, at (y div sH, x div sW) in a plane of ph × pw.
     * Tap (i, j) of output (r, col) reads padded pixel (r·sH + i·dH, col·sW + j·dW), which lies in phase
     * ((i·dH) mod sH, (j·dW) mod sW) at (r + (i·dH) div sH, col + (j·dW) div sW): the oh × ow entries of a tap are
     * a block of whole rows there, added with vector adds ({@link #phaseTap}). The phases are then interleaved back
     * into the image by one gather per image row. With stride 1 there is one phase, the padded plane itself.
     *
     * <p>With a stride and short output rows, folding sums instead ({@link SumTable}, {@link #foldsBySums}): each pixel
     * is the sum of the few patch entries that read it (at most ⌈kH/sH⌉·⌈kW/sW⌉ without dilation), gathered straight
     * from the columns. Both ways add the same values to +0 in the same order (tap order), so they give the same bits;
     * the sums skip the planes, whose rows of {@code ow} values (8 for a stride-2 layer on 16×16 images) are added one
     * value at a time.
     */
    private static final class Patches {
        /** Output rows shorter than this many values are folded by sums when the convolution has a stride. */
        static final int SHORT_ROW = 16;

        final int c, h, w, hp, wp, plane, taps, l;
        private final int padH, padW, oh, ow;
        private final int[] index;
        /** Phase planes: ph × pw each, sH·sW of them per channel ({@code phasePlanes} values). */
        private final int ph, pw, phasePlanes;
        /** Where tap t's block starts in a channel's phase planes. */
        private final int[] phaseTap;
        /** For image column x, where its padded pixel lies in a channel's phases, less its row's offset. */
        private final int[] phaseColumn;
        private final int strideH, strideW, kernelH, kernelW, dilationH, dilationW;
        private int[] rowIndex;
        private Windows windows;
        private SumTable sums;
        private long sumsTapStride;

        Patches(int c, int h, int w, ConvGeometry g) {
            int kh = g.kernelH(), kw = g.kernelW(), oh = g.outH(h), ow = g.outW(w);
            this.c = c;
            this.h = h;
            this.w = w;
            this.padH = g.padH();
            this.padW = g.padW();
            // Every tap of every patch lies inside: (oh−1)·sH + (kH−1)·dH ≤ h + 2·padH − 1 by the definition of oh.
            this.hp = h + 2 * padH;
            this.wp = w + 2 * padW;
            this.plane = hp * wp;
            this.taps = kh * kw;
            this.l = oh * ow;
            this.oh = oh;
            this.ow = ow;
            this.strideH = g.strideH();
            this.strideW = g.strideW();
            this.kernelH = kh;
            this.kernelW = kw;
            this.dilationH = g.dilationH();
            this.dilationW = g.dilationW();
            this.ph = (hp + strideH - 1) / strideH;
            this.pw = (wp + strideW - 1) / strideW;
            int phasePlane = ph * pw;
            this.phasePlanes = strideH * strideW * phasePlane;
            this.phaseTap = new int[taps];
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int y = i * g.dilationH(), x = j * g.dilationW();
                    phaseTap[i * kw + j] = (y % strideH * strideW + x % strideW) * phasePlane + y / strideH * pw
                            + x / strideW;
                }
            }
            this.phaseColumn = new int[w];
            for (int x = 0; x < w; x++) phaseColumn[x] = (x + padW) % strideW * phasePlane + (x + padW) / strideW;
            this.index = new int[taps * l];
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int at = (i * kw + j) * l;
                    for (int r = 0; r < oh; r++) {
                        int row = (r * g.strideH() + i * g.dilationH()) * wp + j * g.dilationW();
                        for (int q = 0; q < ow; q++) index[at + r * ow + q] = row + q * g.strideW();
                    }
                }
            }
        }

        /**
         * Whether {@link #fold} sums each pixel's patch entries ({@link SumTable}) rather than adding into planes: with a
         * stride, and output rows too short to be added as whole vectors. Measured on one core for a batch of 64, the
         * input gradient of a 64-channel stride-2 layer on 16×16 images (rows of 8) took 3.7–4.0 ms by sums against
         * 5.7–5.9 by planes; a 32-channel one on 32×32 images (rows of 16) 7.3–7.6 against 7.2.
         */
        boolean foldsBySums() {
            return strideH * strideW > 1 && ow < SHORT_ROW;
        }

        /**
         * A zeroed buffer for one padded image, plus one element that stays zero (what {@link #unfoldRows} reads into
         * the padding of its rows), or for its phases ({@link #fold}); {@link #unfold} keeps the border zero. The
         * thread's own from an earlier call ({@link Scratch}), to be handed back with {@link Scratch#give}.
         */
        Object buffer(DType dt) {
            return Scratch.takeZeroed(Scratch.Slot.PADDED, dt, c * Math.max(plane, phasePlanes) + 1);
        }

        /**
         * The row stride of {@link #unfoldRows}: C·taps rounded up to a multiple of 16, so that every row is gathered in
         * whole vectors (a 3-channel 3×3 patch of 27 entries would otherwise be one vector and 11 scalar reads).
         */
        int rowStride() {
            return (c * taps + 15) / 16 * 16;
        }

        /**
         * The patch rows of image {@code img[imgOff..]} (C, h, w, contiguous): row {@code ch·taps + t} (entries ordered
         * (c, kh, kw), as PyTorch's unfold) to {@code cols[colsOff + (ch·taps + t)·tapStride ..]}, L values.
         */
        void unfold(Object img, int imgOff, Object pad, Object cols, int colsOff, long tapStride) {
            // Typed arrays throughout: an arraycopy between Object-typed arrays is not compiled to a plain copy.
            Kernels k = Kernels.active();
            if (img instanceof float[] x) {
                float[] pd = (float[]) pad, out = (float[]) cols;
                for (int ch = 0; ch < c; ch++) {
                    for (int y = 0; y < h; y++) System.arraycopy(x, imgOff + (ch * h + y) * w, pd, interior(ch, y), w);
                    for (int t = 0; t < taps; t++) k.gather(pd, ch * plane, index, t * l, out, row(colsOff, ch, t, tapStride), l);
                }
            } else {
                double[] x = (double[]) img, pd = (double[]) pad, out = (double[]) cols;
                for (int ch = 0; ch < c; ch++) {
                    for (int y = 0; y < h; y++) System.arraycopy(x, imgOff + (ch * h + y) * w, pd, interior(ch, y), w);
                    for (int t = 0; t < taps; t++) k.gather(pd, ch * plane, index, t * l, out, row(colsOff, ch, t, tapStride), l);
                }
            }
        }

        /**
         * The adjoint of {@link #unfold}: every patch entry added back to the pixel it was read from, taps in order,
         * then the image written (not added) to {@code img[imgOff..]}. Each tap of a channel is one block of oh rows
         * of ow entries added into its phase plane (rows pw apart), and each image row one gather from the phases;
         * when {@link #foldsBySums}, each image row is one gathered sum per pixel instead, and {@code pad} is unused.
         */
        void fold(Object cols, int colsOff, long tapStride, Object pad, Object img, int imgOff) {
            Kernels k = Kernels.active();
            if (foldsBySums()) {
                SumTable t = sumTable(tapStride);
                int channel = (int) (taps * tapStride);
                for (int ch = 0; ch < c; ch++) {
                    for (int y = 0; y < h; y++) {
                        int at = colsOff + ch * channel, out = imgOff + (ch * h + y) * w;
                        if (img instanceof float[] x) {
                            k.gatherSum((float[]) cols, at, t.index, t.present, t.rowStart[y], t.rowTerms[y], w, x, out, w);
                        } else {
                            k.gatherSum((double[]) cols, at, t.index, t.present, t.rowStart[y], t.rowTerms[y], w,
                                    (double[]) img, out, w);
                        }
                    }
                }
                return;
            }
            int size = c * phasePlanes;
            if (img instanceof float[] x) {
                float[] pd = (float[]) pad, in = (float[]) cols;
                java.util.Arrays.fill(pd, 0, size, 0f);
                for (int ch = 0; ch < c; ch++) {
                    int at = ch * phasePlanes;
                    for (int t = 0; t < taps; t++) k.addRows(oh, ow, in, row(colsOff, ch, t, tapStride), ow, pd, at + phaseTap[t], pw);
                    for (int y = 0; y < h; y++) k.gather(pd, phaseRow(ch, y), phaseColumn, 0, x, imgOff + (ch * h + y) * w, w);
                }
            } else {
                double[] x = (double[]) img, pd = (double[]) pad, in = (double[]) cols;
                java.util.Arrays.fill(pd, 0, size, 0.0);
                for (int ch = 0; ch < c; ch++) {
                    int at = ch * phasePlanes;
                    for (int t = 0; t < taps; t++) k.addRows(oh, ow, in, row(colsOff, ch, t, tapStride), ow, pd, at + phaseTap[t], pw);
                    for (int y = 0; y < h; y++) k.gather(pd, phaseRow(ch, y), phaseColumn, 0, x, imgOff + (ch * h + y) * w, w);
                }
            }
        }

        /**
         * For each image row y: the patch entries that read each of its pixels, as {@code rowTerms[y]} slots of w
         * entries from {@code rowStart[y]} (slot s of pixel x at {@code rowStart[y] + s·w + x}), each an offset into a
         * channel's columns and whether the pixel has that term. Slot (a, b) is the a-th kernel row that reaches
         * image row y and the b-th kernel column that reaches pixel x, so a pixel's terms come in tap order.
         */
        private record SumTable(int[] index, boolean[] present, int[] rowStart, int[] rowTerms) {
        }

        /** The {@link SumTable} for columns whose tap rows lie {@code tapStride} apart, built on first use. */
        private synchronized SumTable sumTable(long tapStride) {
            if (sums != null) {
                if (tapStride != sumsTapStride) {
                    throw new IllegalStateException("Patches.fold: one column layout per call, got tap strides "
                            + sumsTapStride + " and " + tapStride);
                }
                return sums;
            }
            // Slots per pixel: the most kernel rows that reach an image row times the most columns that reach a pixel.
            int termsW = 0;
            for (int x = 0; x < w; x++) termsW = Math.max(termsW, reaching(x + padW, kernelW, dilationW, strideW, ow));
            int[] rowStart = new int[h], rowTerms = new int[h];
            int total = 0;
            for (int y = 0; y < h; y++) {
                rowStart[y] = total;
                rowTerms[y] = reaching(y + padH, kernelH, dilationH, strideH, oh) * termsW;
                total += rowTerms[y] * w;
            }
            int[] index = new int[total];
            boolean[] present = new boolean[total];
            for (int y = 0; y < h; y++) {
                for (int i = 0, a = 0; i < kernelH; i++) {
                    int dy = y + padH - i * dilationH;
                    if (!reaches(dy, strideH, oh)) continue;
                    for (int x = 0; x < w; x++) {
                        for (int j = 0, b = 0; j < kernelW; j++) {
                            int dx = x + padW - j * dilationW;
                            if (!reaches(dx, strideW, ow)) continue;
                            int at = rowStart[y] + (a * termsW + b++) * w + x;
                            index[at] = (int) ((i * kernelW + j) * tapStride) + dy / strideH * ow + dx / strideW;
                            present[at] = true;
                        }
                    }
                    a++;
                }
            }
            sums = new SumTable(index, present, rowStart, rowTerms);
            sumsTapStride = tapStride;
            return sums;
        }

        /** How many of a kernel's taps (size, dilation) read padded position p, for outputs [0, outSize) at stride. */
        private static int reaching(int p, int size, int dilation, int stride, int outSize) {
            int count = 0;
            for (int i = 0; i < size; i++) if (reaches(p - i * dilation, stride, outSize)) count++;
            return count;
        }

        /** Whether an output starts at padded offset d: d = r·stride for some r in [0, outSize). */
        private static boolean reaches(int d, int stride, int outSize) {
            return d >= 0 && d % stride == 0 && d / stride < outSize;
        }

        /** Where image row y of channel ch starts in its phases, before {@link #phaseColumn}. */
        private int phaseRow(int ch, int y) {
            int py = y + padH;
            return ch * phasePlanes + py % strideH * strideW * ph * pw + py / strideH * pw;
        }

        /**
         * The patches of image {@code img[imgOff..]} as rows: patch q (its C·taps entries ordered (c, kh, kw), then
         * zeros up to {@link #rowStride()}) to {@code rows[rowsOff + q·rowStride ..]}, the transpose of {@link #unfold}'s
         * layout. A product with the rows as its right operand reads them row-major, which packs with vector copies.
         */
        void unfoldRows(Object img, int imgOff, Object pad, Object rows, int rowsOff) {
            int k = rowStride();
            int[] at = rowIndex();
            Kernels kern = Kernels.active();
            if (img instanceof float[] x) {
                float[] pd = (float[]) pad, out = (float[]) rows;
                for (int ch = 0; ch < c; ch++) {
                    for (int y = 0; y < h; y++) System.arraycopy(x, imgOff + (ch * h + y) * w, pd, interior(ch, y), w);
                }
                for (int q = 0; q < l; q++) kern.gather(pd, 0, at, q * k, out, rowsOff + q * k, k);
            } else {
                double[] x = (double[]) img, pd = (double[]) pad, out = (double[]) rows;
                for (int ch = 0; ch < c; ch++) {
                    for (int y = 0; y < h; y++) System.arraycopy(x, imgOff + (ch * h + y) * w, pd, interior(ch, y), w);
                }
                for (int q = 0; q < l; q++) kern.gather(pd, 0, at, q * k, out, rowsOff + q * k, k);
            }
        }

        /**
         * The image cut into shifted planes from which every patch row is one window of L values, so that a product
         * reads the patch matrix without a copy of it ({@code Kernels.gemmWindowed}). Plane (ch, j, a) holds padded
         * pixel (r·sH + a, col·sW + j·dW) of channel ch at (r, col), in rows of ow values; tap (i, j) of output
         * (r, col) reads padded pixel (r·sH + i·dH, col·sW + j·dW), which lies in plane (ch, j, (i·dH) mod sH) at
         * (r + (i·dH) div sH, col). So the L entries of patch row ch·taps + i·kW + j, in output order, are the L values
         * of that plane from row (i·dH) div sH on: {@code start} holds where each begins. A plane has {@code rows} =
         * oh + ((kH−1)·dH) div sH rows; of phase a only the rows inside the padded image are written, and only they
         * are read.
         */
        private record Windows(int rows, int[] index, int[] validRows, int[] start, int size) {
        }

        private synchronized Windows windows() {
            if (windows == null) {
                int rows = oh + (kernelH - 1) * dilationH / strideH, planeSize = rows * ow;
                int[] index = new int[kernelW * strideH * planeSize], validRows = new int[strideH];
                for (int a = 0; a < strideH; a++) validRows[a] = Math.min(rows, (hp - a + strideH - 1) / strideH);
                for (int j = 0; j < kernelW; j++) {
                    for (int a = 0; a < strideH; a++) {
                        int at = (j * strideH + a) * planeSize;
                        for (int r = 0; r < validRows[a]; r++) {
                            for (int col = 0; col < ow; col++) {
                                index[at + r * ow + col] = (r * strideH + a) * wp + col * strideW + j * dilationW;
                            }
                        }
                    }
                }
                int[] start = new int[c * taps];
                for (int ch = 0; ch < c; ch++) {
                    for (int i = 0; i < kernelH; i++) {
                        int y = i * dilationH;
                        for (int j = 0; j < kernelW; j++) {
                            int planeAt = ((ch * kernelW + j) * strideH + y % strideH) * planeSize;
                            start[ch * taps + i * kernelW + j] = planeAt + y / strideH * ow;
                        }
                    }
                }
                windows = new Windows(rows, index, validRows, start, c * kernelW * strideH * planeSize);
            }
            return windows;
        }

        /** Values in {@link #unfoldWindows}'s output. */
        int windowsSize() {
            return windows().size();
        }

        /** Where patch row ch·taps + t starts in {@link #unfoldWindows}'s output. */
        int[] windowStart() {
            return windows().start();
        }

        /**
         * The shifted planes of image {@code img[imgOff..]} (C, h, w, contiguous) to {@code win[0..]}
         * ({@link #windowsSize()} values; see {@link Windows}): patch row ch·taps + t is then the L values from
         * {@code windowStart()[ch·taps + t]}, bit for bit what {@link #unfold} writes.
         */
        void unfoldWindows(Object img, int imgOff, Object pad, Object win) {
            Windows ws = windows();
            int planeSize = ws.rows() * ow;
            Kernels k = Kernels.active();
            for (int ch = 0; ch < c; ch++) {
                // Typed arrays, as in unfold.
                if (img instanceof float[] x) {
                    for (int y = 0; y < h; y++) System.arraycopy(x, imgOff + (ch * h + y) * w, (float[]) pad, interior(ch, y), w);
                } else {
                    double[] x = (double[]) img;
                    for (int y = 0; y < h; y++) System.arraycopy(x, imgOff + (ch * h + y) * w, (double[]) pad, interior(ch, y), w);
                }
                for (int j = 0; j < kernelW; j++) {
                    for (int a = 0; a < strideH; a++) {
                        // Shifted plane (ch, j, a): its valid rows gathered from the channel's padded plane.
                        int shifted = j * strideH + a, at = (ch * kernelW * strideH + shifted) * planeSize;
                        int count = ws.validRows()[a] * ow, from = shifted * planeSize;
                        if (img instanceof float[]) {
                            k.gather((float[]) pad, ch * plane, ws.index(), from, (float[]) win, at, count);
                        } else {
                            k.gather((double[]) pad, ch * plane, ws.index(), from, (double[]) win, at, count);
                        }
                    }
                }
            }
        }

        /**
         * {@link #index} transposed, with the plane offsets added: entry (q, ch·taps + t) is where that value lies;
         * entries beyond C·taps point at the buffer's last element, which is zero.
         */
        private synchronized int[] rowIndex() {
            if (rowIndex == null) {
                int k = rowStride();
                int[] at = new int[l * k];
                java.util.Arrays.fill(at, c * plane);
                for (int q = 0; q < l; q++) {
                    for (int ch = 0; ch < c; ch++) {
                        for (int t = 0; t < taps; t++) at[q * k + ch * taps + t] = ch * plane + index[t * l + q];
                    }
                }
                rowIndex = at;
            }
            return rowIndex;
        }

        /** Where row y of channel ch starts inside the border of the padded buffer. */
        private int interior(int ch, int y) {
            return ch * plane + (y + padH) * wp + padW;
        }

        private int row(int colsOff, int ch, int t, long tapStride) {
            return colsOff + (int) ((ch * taps + t) * tapStride);
        }
    }

    /**
     * Unfolds (or folds) the images of a contiguous (N, C, h, w) tensor to (from) a contiguous column tensor, image b's
     * patch rows starting at {@code b·imageStride} and lying {@code tapStride} apart. Images are independent and
     * shared out in blocks, each with its own padded buffer.
     */
    private static void copyPatches(Tensor image, ConvGeometry g, Tensor cols, long imageStride, long tapStride,
                                    boolean fold) {
        int[] s = image.shapeRef();
        Patches p = new Patches(s[1], s[2], s[3], g);
        int n = s[0], size = s[1] * s[2] * s[3];
        long work = (long) p.c * p.taps * p.l;
        Blocks.run(n, (int) Math.max(1, Blocks.GRAIN / Math.max(1, work)), (b0, b1) -> {
            Object pad = fold && p.foldsBySums() ? null : p.buffer(image.dtype());
            for (int b = b0; b < b1; b++) {
                int at = cols.offset() + (int) (b * imageStride);
                if (fold) p.fold(cols.data(), at, tapStride, pad, image.data(), image.offset() + b * size);
                else p.unfold(image.data(), image.offset() + b * size, pad, cols.data(), at, tapStride);
            }
            Scratch.give(Scratch.Slot.PADDED, pad);
        });
    }

    // ---------------------------------------------------------------- the convolution, image by image

    /**
     * A convolution {@code (N, C, H, W) → (N, C_out, outH, outW)} with {@code weight} (C_out, C·kH·kW) and an optional
     * {@code bias} (C_out): per image, {@code W P_n + b} for its patch matrix P_n (C·kH·kW, L). P_n is never copied
     * out: the image is cut into shifted planes ({@link Patches#unfoldWindows}, about 0.7 of im2col's values for a
     * stride-2 layer and a third for stride 1), each patch row is one window of them, and the product reads the
     * windows in place ({@code Kernels.gemmWindowed}). The values are those of {@code weight · unfoldColumns(x) +
     * bias}, bit for bit (every element is one fma chain over the patch entries in order). One core, batch of one:
     * the 32 → 64-channel stride-2 layer on 32×32 images took 31 µs for im2col and 87–90 for the product; now 15 µs
     * for the planes and 68 for the product, whose weight is packed once per call into the kernel's panels.
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
        Tensor out = Tensor.allocateForOverwrite("conv2d", dt, new int[]{n, cout, g.outH(s[2]), g.outW(s[3])});
        if (out.numel() == 0) return out;
        // Images are independent: shared out in blocks, each with its own patch buffers.
        Patches p = new Patches(c, s[2], s[3], g);
        int[] start = p.windowStart();
        // The weight in the kernel's panels, once for all images.
        Object panels = wc.data() instanceof float[] wf ? Kernels.packPanels(cout, k, wf, wc.offset(), k, 1)
                : Kernels.packPanels(cout, k, (double[]) wc.data(), wc.offset(), k, 1);
        Blocks.run(n, imagesPerBlock(n), (b0, b1) -> {
            Object win = Scratch.take(Scratch.Slot.PATCHES, dt, p.windowsSize()), pad = p.buffer(dt), y = out.data();
            for (int b = b0; b < b1; b++) {
                // W (C_out × K) times the patch matrix, read as windows of the image's shifted planes.
                p.unfoldWindows(xc.data(), xc.offset() + b * c * s[2] * s[3], pad, win);
                gemmWindowed(cout, l, k, panels, win, start, y, b * cout * l);
                if (bc == null) continue;
                for (int o = 0; o < cout; o++) {
                    // The bias of channel o added to its L positions (a source step of 0 repeats it).
                    int at = (b * cout + o) * l;
                    Rows.binary(BinaryOp.ADD, y, at, 1, bc.data(), bc.offset() + o, 0, y, at, l);
                }
            }
            Scratch.give(Scratch.Slot.PATCHES, win);
            Scratch.give(Scratch.Slot.PADDED, pad);
        });
        return out;
    }

    /**
     * The gradient of {@link #conv2d} with respect to its weight, {@code Σ_n G_n P_nᵀ} (C_out, C·kH·kW), for the output
     * gradient {@code grad} (N, C_out, outH, outW). The images are cut into fixed blocks ({@link #imageBlocks}), by the
     * batch size alone: a block's sum is one fma chain per entry over its images and positions in order (the values of
     * {@code G_blk · P_blkᵀ}), and the blocks' sums are added in block order. So the values do not depend on the thread
     * count, and each block is one product per image, as wide as the weight, on one thread with its patches in the
     * cache: two to three times the speed of cutting the weight's columns among threads, which kept one chain over
     * the whole batch but made every image's products small and waited for all threads after every few images.
     */
    static Tensor conv2dWeightGrad(Tensor x, Tensor grad, ConvGeometry g) {
        int[] s = checkImage("conv2dWeightGrad", x, g);
        int n = s[0], c = s[1], k = c * g.kernelH() * g.kernelW(), l = g.outH(s[2]) * g.outW(s[3]);
        int cout = checkGrad("conv2dWeightGrad", grad, n, g.outH(s[2]), g.outW(s[3]));
        DType dt = DType.promote(x.dtype(), grad.dtype());
        Tensor xc = x.to(dt).contiguous(), gc = grad.to(dt).contiguous();
        Tensor out = Tensor.allocate("conv2dWeightGrad", dt, new int[]{cout, k});
        if (out.numel() == 0 || n == 0) return out;
        Patches p = new Patches(c, s[2], s[3], g);
        // Each block's sum over the padded patch width kp (the zero columns past k cost little and keep B's rows
        // whole vectors), in its own slice of the partial sums.
        int[] start = imageBlocks(n);
        int kp = p.rowStride(), blocks = start.length - 1, plane = c * s[2] * s[3], size = cout * kp;
        Object sums = Rows.array(dt, blocks * size);
        Blocks.run(blocks, 1, (j0, j1) -> {
            Object rows = Scratch.take(Scratch.Slot.PATCHES, dt, l * kp), pad = p.buffer(dt);
            for (int j = j0; j < j1; j++) {
                for (int b = start[j]; b < start[j + 1]; b++) {
                    p.unfoldRows(xc.data(), xc.offset() + b * plane, pad, rows, 0);
                    // G_b (C_out × L) times P_bᵀ (L × kp, the patches as rows), added to the block's images before.
                    gemmInPieces(cout, kp, l, gc.data(), gc.offset() + b * cout * l, l, 1, rows, 0, kp, sums, j * size,
                            b > start[j]);
                }
            }
            Scratch.give(Scratch.Slot.PATCHES, rows);
            Scratch.give(Scratch.Slot.PADDED, pad);
        });
        // Row o of the weight gradient: the first block's sums, then each later block's added in order.
        Object y = out.data();
        for (int o = 0; o < cout; o++) {
            System.arraycopy(sums, o * kp, y, o * k, k);
            for (int j = 1; j < blocks; j++) Rows.binary(BinaryOp.ADD, y, o * k, 1, sums, j * size + o * kp, 1, y, o * k, k);
        }
        return out;
    }

    /** The most blocks of images {@link #conv2dWeightGrad} sums over: enough to keep a few threads busy. */
    static final int IMAGE_BLOCKS = 8;

    /** Where the blocks of {@link #conv2dWeightGrad} start for n images, plus n: min(n, 8) blocks cut evenly. */
    static int[] imageBlocks(int n) {
        if (n < 0) throw new IllegalArgumentException("conv2dWeightGradBlocks: batch size must be ≥ 0, got " + n);
        int blocks = Math.min(n, IMAGE_BLOCKS);
        int[] start = new int[blocks + 1];
        for (int j = 0; j <= blocks; j++) start[j] = Blocks.start(n, blocks, j);
        return start;
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
        Tensor out = Tensor.allocateForOverwrite("conv2dInputGrad", dt, new int[]{n, c, height, width});
        if (out.numel() == 0) return out;
        // Images are independent: shared out in blocks, each with its own column buffers.
        Patches p = new Patches(c, height, width, g);
        Blocks.run(n, imagesPerBlock(n), (b0, b1) -> {
            Object cols = Scratch.take(Scratch.Slot.PATCHES, dt, k * l), pad = p.foldsBySums() ? null : p.buffer(dt);
            for (int b = b0; b < b1; b++) {
                // Wᵀ (K × C_out, the weight read transposed) times G_n (C_out × L), then back into image b.
                gemmInPieces(k, l, cout, wc.data(), wc.offset(), 1, k, gc.data(), gc.offset() + b * cout * l, l, cols, 0, false);
                p.fold(cols, 0, l, pad, out.data(), b * c * height * width);
            }
            Scratch.give(Scratch.Slot.PATCHES, cols);
            Scratch.give(Scratch.Slot.PADDED, pad);
        });
        return out;
    }

    /**
     * Images per block of the image-parallel loops: about sixteen blocks, whatever the threads. A block takes its
     * thread's patch buffers from the last one ({@link Scratch}), so a finer cut costs little and evens out the
     * threads; with a fresh buffer per block, sixteen blocks cost more than eight.
     */
    private static int imagesPerBlock(int n) {
        return Math.max(1, n / 16);
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

    /** Multiply-adds per piece in {@link #gemmInPieces}, and the deepest piece. */
    private static final int PIECE_WORK = 1 << 20, PIECE_DEPTH = 256;

    /**
     * {@code C = A·B} (or {@code C += A·B}) for a row-major B (row stride {@code ldb}) and a contiguous C (row stride
     * n), as products of at most {@link #PIECE_DEPTH} deep and about {@link #PIECE_WORK} multiply-adds: A in blocks of
     * rows, B in blocks of columns, and the depth in chunks, each chunk continuing every entry's fma chain
     * (accumulating), so the bits are those of the one product. Products that small run without packing in the GEMM:
     * for one image's convolution, where the weight would be packed again for every image, measured 20% faster
     * (64×64×576 forward, 576×64×64 input gradient; one thread, interleaved in one JVM), and a weight gradient's
     * 32×32×1024 about 25% faster (its operands are each used once, so packing them is pure cost). Larger products
     * (256 positions: 64×256×288, 288×256×64) gained nothing or lost, and stay whole.
     */
    private static void gemmInPieces(int m, int n, int k, Object a, int aOff, int aRs, int aCs, Object b, int bOff,
                                     int ldb, Object c, int cOff, boolean accumulate) {
        if ((long) m * n * k > 4L * PIECE_WORK) {
            gemm(m, n, k, a, aOff, aRs, aCs, b, bOff, ldb, 1, c, cOff, n, accumulate);
            return;
        }
        int chunks = (k + PIECE_DEPTH - 1) / PIECE_DEPTH, kb = (k + chunks - 1) / chunks;
        // Whole rows of C where they fit (the weight's rows, read in place), else blocks of 16 rows or columns.
        long perRow = (long) n * kb;
        int mb = (int) Math.max(Math.min(m, PIECE_WORK / Math.max(1, perRow)), Math.min(m, 16));
        int nb = (int) Math.max(Math.min(n, PIECE_WORK / Math.max(1L, (long) mb * kb) / 16 * 16), Math.min(n, 16));
        for (int i = 0; i < m; i += mb) {
            for (int j = 0; j < n; j += nb) {
                for (int p = 0; p < k; p += kb) {
                    gemm(Math.min(mb, m - i), Math.min(nb, n - j), Math.min(kb, k - p), a, aOff + i * aRs + p * aCs, aRs,
                            aCs, b, bOff + p * ldb + j, ldb, 1, c, cOff + i * n + j, n, accumulate || p > 0);
                }
            }
        }
    }

    /** {@code C = A·B} for A in the kernel's panels ({@code Kernels.packPanels}), B's rows windows of {@code win}. */
    private static void gemmWindowed(int m, int n, int k, Object panels, Object win, int[] start, Object c, int cOff) {
        if (panels instanceof float[] af) {
            Kernels.active().gemmWindowed(m, n, k, af, 0, (float[]) win, 0, start, (float[]) c, cOff, n, false);
        } else {
            Kernels.active().gemmWindowed(m, n, k, (double[]) panels, 0, (double[]) win, 0, start, (double[]) c, cOff, n,
                    false);
        }
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
}
