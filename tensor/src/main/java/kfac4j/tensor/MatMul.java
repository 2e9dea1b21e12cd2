package kfac4j.tensor;

import java.util.Arrays;

import kfac4j.tensor.kernel.Kernels;

/** NumPy matmul semantics on top of the strided GEMM kernel. */
final class MatMul {
    private MatMul() {
    }

    static Tensor matmul(Tensor a, Tensor b) {
        if (a.rank() == 0 || b.rank() == 0) {
            throw new IllegalArgumentException("matmul: operands must have rank ≥ 1, got shapes "
                    + Shapes.str(a.shapeRef()) + " and " + Shapes.str(b.shapeRef()));
        }
        DType dtype = DType.promote(a.dtype(), b.dtype());
        // 1-D operands: a vector on the left is a row (1, k), on the right a column (k, 1); the axis is removed after.
        Tensor x = a.to(dtype), y = b.to(dtype);
        boolean aVec = x.rank() == 1, bVec = y.rank() == 1;
        if (aVec) x = x.unsqueeze(0);
        if (bVec) y = y.unsqueeze(1);
        int[] xs = x.shapeRef(), ys = y.shapeRef();
        int m = xs[xs.length - 2], k = xs[xs.length - 1], k2 = ys[ys.length - 2], n = ys[ys.length - 1];
        if (k != k2) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: shapes " + Shapes.str(a.shapeRef())
                    + " and " + Shapes.str(b.shapeRef()) + " (" + k + " ≠ " + k2 + ")");
        }
        int[] xb = Arrays.copyOf(xs, xs.length - 2), yb = Arrays.copyOf(ys, ys.length - 2);
        int[] batch;
        try {
            batch = Shapes.broadcast("matmul", xb, yb);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("matmul: batch dimensions of shapes " + Shapes.str(a.shapeRef()) + " and "
                    + Shapes.str(b.shapeRef()) + " cannot be broadcast together");
        }
        int[] outShape = withMatrix(batch, m, n);
        Tensor out = Tensor.allocateForOverwrite(dtype, outShape);
        if (out.numel() > 0) multiply(x.expand(withMatrix(batch, m, k)), y.expand(withMatrix(batch, k, n)), out);
        if (aVec && bVec) return out.reshape(batch);
        if (aVec) return out.squeeze(-2);
        if (bVec) return out.squeeze(-1);
        return out;
    }

    /**
     * {@code out = a · b} written into {@code out}, which has the product's shape (with a and b broadcast as by
     * {@link #matmul}) and unit stride along its last axis: a slice of a larger tensor, say, so that a product lands
     * in place without a copy. Same dtype throughout; out must not overlap a or b.
     */
    static void matmulInto(Tensor a, Tensor b, Tensor out) {
        if (a.rank() < 2 || b.rank() < 2 || a.dtype() != out.dtype() || b.dtype() != out.dtype()) {
            throw new IllegalArgumentException("matmulInPlace: needs matrices of the target's dtype, got " + a.dtype()
                    + " " + Shapes.str(a.shapeRef()) + " and " + b.dtype() + " " + Shapes.str(b.shapeRef()) + " into "
                    + out.dtype() + " " + Shapes.str(out.shapeRef()));
        }
        int[] as = a.shapeRef(), bs = b.shapeRef(), os = out.shapeRef();
        int m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
        int[] batch;
        try {
            batch = Shapes.broadcast("matmul", Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2));
        } catch (IllegalArgumentException e) {
            batch = null;
        }
        if (batch == null || bs[bs.length - 2] != k || !Arrays.equals(os, withMatrix(batch, m, n))) {
            throw new IllegalArgumentException("matmulInPlace: shapes " + Shapes.str(as) + " and " + Shapes.str(bs)
                    + " do not multiply to the target's shape " + Shapes.str(os));
        }
        if (out.stridesRef()[os.length - 1] != 1 && n > 1) {
            throw new IllegalArgumentException("matmulInPlace: the target of shape " + Shapes.str(os)
                    + " needs unit stride along its last axis, has strides " + Shapes.str(out.stridesRef()));
        }
        for (int i = 0; i < os.length; i++) {
            if (out.stridesRef()[i] == 0 && os[i] > 1) {
                throw new IllegalArgumentException("matmulInPlace: cannot write in place to a broadcast (expanded) view of shape "
                        + Shapes.str(os));
            }
        }
        if (out.sharesStorageWith(a) || out.sharesStorageWith(b)) {
            throw new IllegalArgumentException("matmulInPlace: the target shares storage with an operand");
        }
        if (out.numel() > 0) multiply(a.expand(withMatrix(batch, m, k)), b.expand(withMatrix(batch, k, n)), out);
    }

    /**
     * out = x · y for operands already broadcast to (batch..., m, k) and (batch..., k, n); out has unit column
     * stride and any row and batch strides (a fresh contiguous tensor, or a view of a larger one).
     */
    private static void multiply(Tensor x, Tensor y, Tensor out) {
        int[] s = out.shapeRef();
        int bl = s.length - 2, m = s[bl], n = s[bl + 1], k = x.shapeRef()[bl + 1];
        int[] xst = x.stridesRef(), yst = y.stridesRef(), ost = out.stridesRef();
        int cRs = m == 1 ? n : ost[bl];
        int nb = 1;
        for (int i = 0; i < bl; i++) nb *= s[i];
        boolean ySharedOverBatch = true;
        for (int i = 0; i < bl; i++) ySharedOverBatch &= yst[i] == 0 || s[i] == 1;
        if (nb > 1 && ySharedOverBatch) {
            // One matrix on the right for every batch entry (a linear layer over tokens): when the rows of all batch
            // entries lie at one stride, a single GEMM of nb·m rows replaces nb small ones.
            int[] rows = Views.reshapeStrides(x.shapeRef(), xst, new int[]{nb * m, k});
            int[] outRows = Views.reshapeStrides(s, ost, new int[]{nb * m, n});
            if (rows != null && outRows != null && (outRows[1] == 1 || n == 1)) {
                gemm(nb * m, n, k, x, x.offset(), rows[0], rows[1], y, y.offset(), yst[bl], yst[bl + 1], out, out.offset(),
                        nb * m == 1 ? n : outRows[0]);
                return;
            }
        }
        int[] idx = new int[bl];
        int xo = x.offset(), yo = y.offset(), co = out.offset();
        int[] xOffs = new int[nb], yOffs = new int[nb], cOffs = new int[nb];
        for (int t = 0; t < nb; t++) {
            xOffs[t] = xo;
            yOffs[t] = yo;
            cOffs[t] = co;
            for (int ax = bl - 1; ax >= 0; ax--) {
                xo += xst[ax];
                yo += yst[ax];
                co += ost[ax];
                if (++idx[ax] < s[ax]) break;
                xo -= xst[ax] * s[ax];
                yo -= yst[ax] * s[ax];
                co -= ost[ax] * s[ax];
                idx[ax] = 0;
            }
        }
        // One call for the whole batch, so the kernels can share small products out over the threads.
        Kernels kern = Kernels.active();
        if (out.dtype() == DType.F32) {
            kern.gemmBatch(nb, m, n, k, x.f32(), xOffs, xst[bl], xst[bl + 1], y.f32(), yOffs, yst[bl], yst[bl + 1],
                    out.f32(), cOffs, cRs, false);
        } else {
            kern.gemmBatch(nb, m, n, k, x.f64(), xOffs, xst[bl], xst[bl + 1], y.f64(), yOffs, yst[bl], yst[bl + 1],
                    out.f64(), cOffs, cRs, false);
        }
    }

    private static void gemm(int m, int n, int k, Tensor x, int xo, int xRs, int xCs, Tensor y, int yo, int yRs,
                             int yCs, Tensor out, int co, int cRs) {
        Kernels kern = Kernels.active();
        if (out.dtype() == DType.F32) {
            kern.gemm(m, n, k, x.f32(), xo, xRs, xCs, y.f32(), yo, yRs, yCs, out.f32(), co, cRs, false);
        } else {
            kern.gemm(m, n, k, x.f64(), xo, xRs, xCs, y.f64(), yo, yRs, yCs, out.f64(), co, cRs, false);
        }
    }

    private static int[] withMatrix(int[] batch, int r, int c) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = r;
        s[batch.length + 1] = c;
        return s;
    }
}
