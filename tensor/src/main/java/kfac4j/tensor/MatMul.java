package kfac4j.tensor;

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
        int[] xb = java.util.Arrays.copyOf(xs, xs.length - 2), yb = java.util.Arrays.copyOf(ys, ys.length - 2);
        int[] batch;
        try {
            batch = Shapes.broadcast("matmul", xb, yb);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("matmul: batch dimensions of shapes " + Shapes.str(a.shapeRef()) + " and "
                    + Shapes.str(b.shapeRef()) + " cannot be broadcast together");
        }
        int[] outShape = new int[batch.length + 2];
        System.arraycopy(batch, 0, outShape, 0, batch.length);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        Tensor out = Tensor.allocate(dtype, outShape);
        int[] xFull = concat(batch, m, k), yFull = concat(batch, k, n);
        Tensor xe = x.expand(xFull), ye = y.expand(yFull);
        int[] xst = xe.stridesRef(), yst = ye.stridesRef();
        int nb = Shapes.numel(batch);
        int bl = batch.length;
        int[] idx = new int[bl];
        int xo = xe.offset(), yo = ye.offset();
        Kernels kern = Kernels.active();
        for (int t = 0; t < nb; t++) {
            int co = t * m * n;
            if (dtype == DType.F32) {
                kern.gemm(m, n, k, xe.f32(), xo, xst[bl], xst[bl + 1], ye.f32(), yo, yst[bl], yst[bl + 1],
                        out.f32(), co, n, false);
            } else {
                kern.gemm(m, n, k, xe.f64(), xo, xst[bl], xst[bl + 1], ye.f64(), yo, yst[bl], yst[bl + 1],
                        out.f64(), co, n, false);
            }
            for (int ax = bl - 1; ax >= 0; ax--) {
                idx[ax]++;
                xo += xst[ax];
                yo += yst[ax];
                if (idx[ax] < batch[ax]) break;
                xo -= xst[ax] * batch[ax];
                yo -= yst[ax] * batch[ax];
                idx[ax] = 0;
            }
        }
        if (aVec && bVec) return out.reshape(batch);
        if (aVec) return out.squeeze(-2);
        if (bVec) return out.squeeze(-1);
        return out;
    }

    private static int[] concat(int[] batch, int r, int c) {
        int[] s = java.util.Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = r;
        s[batch.length + 1] = c;
        return s;
    }
}
