package kfac4j.tensor;

import java.util.Arrays;

import kfac4j.tensor.kernel.BinaryOp;
import kfac4j.tensor.kernel.Kernels;
import kfac4j.tensor.kernel.UnaryOp;

/**
 * Elementwise operations over strided, broadcast operands. The outer axes are walked by an odometer; the innermost
 * axis goes to a kernel whenever its strides are 0 or 1 (the common case), so contiguous data runs at SIMD speed.
 */
final class Elementwise {
    private Elementwise() {
    }

    static Tensor unary(UnaryOp op, Tensor x) {
        Tensor out = Tensor.allocate(x.dtype(), x.shapeRef());
        Kernels k = Kernels.active();
        if (x.isContiguous()) {
            int n = x.numel();
            if (x.dtype() == DType.F32) k.unary(op, x.f32(), x.offset(), out.f32(), 0, n);
            else k.unary(op, x.f64(), x.offset(), out.f64(), 0, n);
            return out;
        }
        Tensor c = x.contiguous();
        int n = c.numel();
        if (x.dtype() == DType.F32) k.unary(op, c.f32(), c.offset(), out.f32(), 0, n);
        else k.unary(op, c.f64(), c.offset(), out.f64(), 0, n);
        return out;
    }

    static Tensor binaryScalar(String name, BinaryOp op, Tensor a, double s) {
        return binary(name, op, a, Tensor.scalar(a.dtype(), s));
    }

    static Tensor binary(String name, BinaryOp op, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast(name, a.shapeRef(), b.shapeRef());
        DType dtype = DType.promote(a.dtype(), b.dtype());
        Tensor x = a.to(dtype), y = b.to(dtype);
        Tensor out = Tensor.allocate(dtype, shape);
        if (out.numel() == 0) return out;
        int[] xs = Shapes.broadcastStrides(x.shapeRef(), x.stridesRef(), shape);
        int[] ys = Shapes.broadcastStrides(y.shapeRef(), y.stridesRef(), shape);
        Kernels k = Kernels.active();
        // Fast path: both operands contiguous over the full output (or one a scalar).
        int n = out.numel();
        boolean xFull = Arrays.equals(x.shapeRef(), shape) && x.isContiguous();
        boolean yFull = Arrays.equals(y.shapeRef(), shape) && y.isContiguous();
        boolean xScalar = x.numel() == 1, yScalar = y.numel() == 1;
        if ((xFull || xScalar) && (yFull || yScalar)) {
            if (dtype == DType.F32) {
                k.binary(op, x.f32(), x.offset(), xFull ? 1 : 0, y.f32(), y.offset(), yFull ? 1 : 0, out.f32(), 0, n);
            } else {
                k.binary(op, x.f64(), x.offset(), xFull ? 1 : 0, y.f64(), y.offset(), yFull ? 1 : 0, out.f64(), 0, n);
            }
            return out;
        }
        int rank = shape.length;
        int inner = shape[rank - 1];
        int xi = xs[rank - 1], yi = ys[rank - 1];
        int[] idx = new int[rank];
        int xo = x.offset(), yo = y.offset();
        int rows = n / inner;
        for (int r = 0; r < rows; r++) {
            int o = r * inner;
            if ((xi == 0 || xi == 1) && (yi == 0 || yi == 1)) {
                if (dtype == DType.F32) k.binary(op, x.f32(), xo, xi, y.f32(), yo, yi, out.f32(), o, inner);
                else k.binary(op, x.f64(), xo, xi, y.f64(), yo, yi, out.f64(), o, inner);
            } else if (dtype == DType.F32) {
                float[] xa = x.f32(), ya = y.f32(), oa = out.f32();
                for (int j = 0; j < inner; j++) oa[o + j] = (float) op.apply(xa[xo + j * xi], ya[yo + j * yi]);
            } else {
                double[] xa = x.f64(), ya = y.f64(), oa = out.f64();
                for (int j = 0; j < inner; j++) oa[o + j] = op.apply(xa[xo + j * xi], ya[yo + j * yi]);
            }
            // Advance the odometer over the outer axes.
            for (int ax = rank - 2; ax >= 0; ax--) {
                idx[ax]++;
                xo += xs[ax];
                yo += ys[ax];
                if (idx[ax] < shape[ax]) break;
                xo -= xs[ax] * shape[ax];
                yo -= ys[ax] * shape[ax];
                idx[ax] = 0;
            }
        }
        return out;
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast("where", Shapes.broadcast("where", cond.shapeRef(), a.shapeRef()), b.shapeRef());
        DType dtype = DType.promote(a.dtype(), b.dtype());
        Tensor c = cond.expand(shape).contiguous(), x = a.to(dtype).expand(shape).contiguous(),
                y = b.to(dtype).expand(shape).contiguous();
        Tensor out = Tensor.allocate(dtype, shape);
        int n = out.numel();
        for (int i = 0; i < n; i++) {
            boolean t = c.readFlatOffset(c.offset() + i) != 0;
            out.setFlat(i, t ? x.readFlatOffset(x.offset() + i) : y.readFlatOffset(y.offset() + i));
        }
        return out;
    }

    /** Copies {@code src} (same shape) into the contiguous tensor {@code dst}. */
    static void copyInto(Tensor src, Tensor dst) {
        int n = src.numel();
        if (n == 0) return;
        int[] shape = src.shapeRef(), st = src.stridesRef();
        if (src.isContiguous()) {
            if (src.dtype() == DType.F32) System.arraycopy(src.f32(), src.offset(), dst.f32(), dst.offset(), n);
            else System.arraycopy(src.f64(), src.offset(), dst.f64(), dst.offset(), n);
            return;
        }
        int rank = shape.length;
        int inner = shape[rank - 1], is = st[rank - 1];
        int[] idx = new int[rank];
        int so = src.offset();
        int rows = n / inner;
        for (int r = 0; r < rows; r++) {
            int o = dst.offset() + r * inner;
            if (src.dtype() == DType.F32) {
                float[] s = src.f32(), d = dst.f32();
                if (is == 1) System.arraycopy(s, so, d, o, inner);
                else for (int j = 0; j < inner; j++) d[o + j] = s[so + j * is];
            } else {
                double[] s = src.f64(), d = dst.f64();
                if (is == 1) System.arraycopy(s, so, d, o, inner);
                else for (int j = 0; j < inner; j++) d[o + j] = s[so + j * is];
            }
            for (int ax = rank - 2; ax >= 0; ax--) {
                idx[ax]++;
                so += st[ax];
                if (idx[ax] < shape[ax]) break;
                so -= st[ax] * shape[ax];
                idx[ax] = 0;
            }
        }
    }

    // ---------------------------------------------------------------- in place

    private static void requireWritable(String op, Tensor t) {
        int[] st = t.stridesRef(), sh = t.shapeRef();
        for (int i = 0; i < st.length; i++) {
            if (st[i] == 0 && sh[i] > 1) {
                throw new IllegalArgumentException(op + ": cannot write in place to a broadcast (expanded) view of shape "
                        + Shapes.str(sh));
            }
        }
    }

    static void addScaledInPlace(Tensor t, double alpha, Tensor x) {
        requireWritable("addScaledInPlace", t);
        if (!Arrays.equals(Shapes.broadcast("addScaledInPlace", t.shapeRef(), x.shapeRef()), t.shapeRef())) {
            throw new IllegalArgumentException("addScaledInPlace: shape " + Shapes.str(x.shapeRef())
                    + " does not broadcast to the target shape " + Shapes.str(t.shapeRef()));
        }
        Tensor src = x.to(t.dtype());
        if (t.isContiguous() && src.isContiguous() && Arrays.equals(src.shapeRef(), t.shapeRef())) {
            if (t.dtype() == DType.F32) Kernels.active().axpy(t.numel(), alpha, src.f32(), src.offset(), t.f32(), t.offset());
            else Kernels.active().axpy(t.numel(), alpha, src.f64(), src.offset(), t.f64(), t.offset());
            t.storage.bumpVersion();
            return;
        }
        copyFromInPlace(t, t.add(src.mul(alpha)));
    }

    static void scaleInPlace(Tensor t, double s) {
        copyFromInPlace(t, t.mul(s));
    }

    /** Writes {@code src} broadcast to t's shape into t's elements, whatever t's strides. */
    static void copyFromInPlace(Tensor t, Tensor src) {
        requireWritable("copyFromInPlace", t);
        int[] shape = t.shapeRef();
        if (!Arrays.equals(Shapes.broadcast("copyFromInPlace", shape, src.shapeRef()), shape)) {
            throw new IllegalArgumentException("copyFromInPlace: source shape " + Shapes.str(src.shapeRef())
                    + " does not broadcast to the target shape " + Shapes.str(shape));
        }
        Tensor s = src.to(t.dtype()).expand(shape).contiguous();
        if (s.sharesStorageWith(t)) s = s.copy();
        int n = t.numel();
        int[] st = t.stridesRef();
        int[] idx = new int[shape.length];
        int o = t.offset();
        for (int i = 0; i < n; i++) {
            if (t.dtype() == DType.F32) t.f32()[o] = s.f32()[s.offset() + i];
            else t.f64()[o] = s.f64()[s.offset() + i];
            for (int ax = shape.length - 1; ax >= 0; ax--) {
                idx[ax]++;
                o += st[ax];
                if (idx[ax] < shape[ax]) break;
                o -= st[ax] * shape[ax];
                idx[ax] = 0;
            }
        }
        t.storage.bumpVersion();
    }
}
