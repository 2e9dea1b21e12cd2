package kfac4j.tensor;

import java.util.Arrays;

import kfac4j.tensor.kernel.BinaryOp;
import kfac4j.tensor.kernel.Kernels;
import kfac4j.tensor.kernel.UnaryOp;

/**
 * Elementwise operations over strided, broadcast operands. The iteration space is first coalesced (size-1 axes
 * dropped, neighbouring axes merged where every operand allows), so the innermost loop is as long as possible; the
 * outer axes are walked by an odometer and every inner run goes to a kernel. An operand whose inner run is strided
 * (a transposed view, say) is first made contiguous by a cache-blocked copy, so kernels only ever see steps 0 and 1.
 */
final class Elementwise {
    private Elementwise() {
    }

    static Tensor unary(UnaryOp op, Tensor x) {
        Tensor out = Tensor.allocateForOverwrite(x.dtype(), x.shapeRef());
        int n = out.numel();
        if (n == 0) return out;
        if (x.isContiguous()) {
            Object xa = x.data(), oa = out.data();
            int xo = x.offset();
            Blocks.run(n, Blocks.GRAIN, (a, b) -> Rows.unary(op, xa, xo + a, oa, a, b - a));
            return out;
        }
        int[][] c = Shapes.coalesce(x.shapeRef(), x.stridesRef());
        int[] s = c[0], xs = c[1];
        int rank = s.length, inner = s[rank - 1];
        if (xs[rank - 1] != 1) {
            // A strided inner run (a transposed view): copy into the output, then apply the function in place there.
            copyInto(x, out);
            Rows.unary(op, out.data(), 0, out.data(), 0, n);
            return out;
        }
        // Contiguous inner runs at strided places (a permuted view with its last axis in place): one kernel call each.
        int[] idx = new int[rank];
        int xo = x.offset();
        for (int o = 0; o < n; o += inner) {
            Rows.unary(op, x.data(), xo, out.data(), o, inner);
            for (int ax = rank - 2; ax >= 0; ax--) {
                xo += xs[ax];
                if (++idx[ax] < s[ax]) break;
                xo -= xs[ax] * s[ax];
                idx[ax] = 0;
            }
        }
        return out;
    }

    /** grad ⊙ GELU'(x): the derivative into a fresh tensor, multiplied by grad in place (the bits of the product). */
    static Tensor geluBackward(Tensor x, Tensor grad) {
        if (!Arrays.equals(x.shapeRef(), grad.shapeRef())) {
            throw new IllegalArgumentException("geluBackward: input of shape " + Shapes.str(x.shapeRef())
                    + " and gradient of shape " + Shapes.str(grad.shapeRef()) + " differ");
        }
        if (x.dtype() != grad.dtype()) return grad.mul(x.geluDerivative());
        Tensor out = unary(UnaryOp.GELU_ERF_GRAD, x), g = grad.contiguous();
        Rows.binary(BinaryOp.MUL, g.data(), g.offset(), 1, out.data(), 0, 1, out.data(), 0, out.numel());
        return out;
    }

    static Tensor binaryScalar(String name, BinaryOp op, Tensor a, double s) {
        // A scalar operand takes the tensor's dtype (a Python number does not promote a float32 tensor either).
        return binary(name, op, a, Tensor.scalar(a.dtype(), s));
    }

    static Tensor binary(String name, BinaryOp op, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast(name, a.shapeRef(), b.shapeRef());
        DType dtype = DType.promote(a.dtype(), b.dtype());
        Tensor x = a.to(dtype), y = b.to(dtype);
        Tensor out = Tensor.allocateForOverwrite(dtype, shape);
        int n = out.numel();
        if (n == 0) return out;
        int[][] c = coalesce(shape, x, y);
        // A strided inner run (a transposed view) is copied once, blocked; then every inner run is a kernel call.
        // A contiguous operand always coalesces to an inner step of 0 or 1.
        int last = c[0].length - 1;
        boolean xStrided = c[1][last] != 0 && c[1][last] != 1, yStrided = c[2][last] != 0 && c[2][last] != 1;
        if (xStrided || yStrided) {
            if (xStrided) x = x.contiguous();
            if (yStrided) y = y.contiguous();
            c = coalesce(shape, x, y);
        }
        int[] s = c[0], xs = c[1], ys = c[2];
        int rank = s.length, inner = s[rank - 1], xi = xs[rank - 1], yi = ys[rank - 1];
        Object xa = x.data(), ya = y.data(), oa = out.data();
        int x0 = x.offset(), y0 = y.offset();
        if (rank == 1) {
            // One run: shared out in blocks of elements.
            Blocks.run(n, Blocks.GRAIN, (lo, hi) -> Rows.binary(op, xa, x0 + lo * xi, xi, ya, y0 + lo * yi, yi, oa, lo, hi - lo));
            return out;
        }
        // Runs [r0, r1) per block, each block starting its odometer at its first run.
        Blocks.run(n / inner, Math.max(1, Blocks.GRAIN / inner), (r0, r1) -> {
            int[] idx = unravelRun(r0, s);
            int xo = x0 + dot(idx, xs), yo = y0 + dot(idx, ys);
            for (int r = r0; r < r1; r++) {
                Rows.binary(op, xa, xo, xi, ya, yo, yi, oa, r * inner, inner);
                for (int ax = rank - 2; ax >= 0; ax--) {
                    xo += xs[ax];
                    yo += ys[ax];
                    if (++idx[ax] < s[ax]) break;
                    xo -= xs[ax] * s[ax];
                    yo -= ys[ax] * s[ax];
                    idx[ax] = 0;
                }
            }
        });
        return out;
    }

    /** The index over the outer axes (all but the last) of inner run r, in row-major order. */
    private static int[] unravelRun(int r, int[] s) {
        int[] idx = new int[s.length];
        for (int ax = s.length - 2; ax >= 0; ax--) {
            idx[ax] = r % s[ax];
            r /= s[ax];
        }
        return idx;
    }

    /** Σ idx[ax]·strides[ax] over the outer axes. */
    private static int dot(int[] idx, int[] strides) {
        int o = 0;
        for (int ax = 0; ax < idx.length - 1; ax++) o += idx[ax] * strides[ax];
        return o;
    }

    private static int[][] coalesce(int[] shape, Tensor x, Tensor y) {
        return Shapes.coalesce(shape, Shapes.broadcastStrides(x.shapeRef(), x.stridesRef(), shape),
                Shapes.broadcastStrides(y.shapeRef(), y.stridesRef(), shape));
    }

    /** {@code cond ? a : b} elementwise; all three broadcast, the result has the promoted dtype of a and b. */
    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        int[] shape;
        try {
            shape = Shapes.broadcast("where", Shapes.broadcast("where", cond.shapeRef(), a.shapeRef()), b.shapeRef());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("where: shapes " + Shapes.str(cond.shapeRef()) + " (condition), "
                    + Shapes.str(a.shapeRef()) + " and " + Shapes.str(b.shapeRef()) + " cannot be broadcast together");
        }
        DType dtype = DType.promote(a.dtype(), b.dtype());
        Tensor x = a.to(dtype), y = b.to(dtype);
        Tensor out = Tensor.allocateForOverwrite(dtype, shape);
        int n = out.numel();
        if (n == 0) return out;
        int[][] c = Shapes.coalesce(shape, Shapes.broadcastStrides(cond.shapeRef(), cond.stridesRef(), shape),
                Shapes.broadcastStrides(x.shapeRef(), x.stridesRef(), shape),
                Shapes.broadcastStrides(y.shapeRef(), y.stridesRef(), shape));
        int[] s = c[0], cs = c[1], xs = c[2], ys = c[3];
        int rank = s.length, inner = s[rank - 1], ci = cs[rank - 1], xi = xs[rank - 1], yi = ys[rank - 1];
        int[] idx = new int[rank];
        int co = cond.offset(), xo = x.offset(), yo = y.offset();
        for (int o = 0; o < n; o += inner) {
            if (dtype == DType.F32) selectRun(cond.data(), co, ci, x.f32(), xo, xi, y.f32(), yo, yi, out.f32(), o, inner);
            else selectRun(cond.data(), co, ci, x.f64(), xo, xi, y.f64(), yo, yi, out.f64(), o, inner);
            for (int ax = rank - 2; ax >= 0; ax--) {
                co += cs[ax];
                xo += xs[ax];
                yo += ys[ax];
                if (++idx[ax] < s[ax]) break;
                co -= cs[ax] * s[ax];
                xo -= xs[ax] * s[ax];
                yo -= ys[ax] * s[ax];
                idx[ax] = 0;
            }
        }
        return out;
    }

    /**
     * One run of where: {@code o[oo + j] = cond[co + j·ci] ≠ 0 ? a[ao + j·ai] : b[bo + j·bi]}, cond in either dtype.
     * Branch-free, since masks are often random: cond ≠ 0 (NaN included) exactly when its bits without the sign are
     * not all zero, and adding the largest positive int to those bits then sets the sign bit, which the shift spreads
     * over a mask that picks a's bits or b's.
     */
    private static void selectRun(Object cond, int co, int ci, float[] a, int ao, int ai, float[] b, int bo, int bi,
                                  float[] o, int oo, int n) {
        if (cond instanceof float[] c) {
            for (int j = 0; j < n; j++) {
                int pick = ((Float.floatToRawIntBits(c[co + j * ci]) & Integer.MAX_VALUE) + Integer.MAX_VALUE) >> 31;
                o[oo + j] = Float.intBitsToFloat(Float.floatToRawIntBits(a[ao + j * ai]) & pick
                        | Float.floatToRawIntBits(b[bo + j * bi]) & ~pick);
            }
        } else {
            double[] c = (double[]) cond;
            for (int j = 0; j < n; j++) {
                int pick = (int) (((Double.doubleToRawLongBits(c[co + j * ci]) & Long.MAX_VALUE) + Long.MAX_VALUE) >> 63);
                o[oo + j] = Float.intBitsToFloat(Float.floatToRawIntBits(a[ao + j * ai]) & pick
                        | Float.floatToRawIntBits(b[bo + j * bi]) & ~pick);
            }
        }
    }

    private static void selectRun(Object cond, int co, int ci, double[] a, int ao, int ai, double[] b, int bo, int bi,
                                  double[] o, int oo, int n) {
        if (cond instanceof float[] c) {
            for (int j = 0; j < n; j++) {
                long pick = ((Float.floatToRawIntBits(c[co + j * ci]) & Integer.MAX_VALUE) + Integer.MAX_VALUE) >> 31;
                o[oo + j] = Double.longBitsToDouble(Double.doubleToRawLongBits(a[ao + j * ai]) & pick
                        | Double.doubleToRawLongBits(b[bo + j * bi]) & ~pick);
            }
        } else {
            double[] c = (double[]) cond;
            for (int j = 0; j < n; j++) {
                long pick = ((Double.doubleToRawLongBits(c[co + j * ci]) & Long.MAX_VALUE) + Long.MAX_VALUE) >> 63;
                o[oo + j] = Double.longBitsToDouble(Double.doubleToRawLongBits(a[ao + j * ai]) & pick
                        | Double.doubleToRawLongBits(b[bo + j * bi]) & ~pick);
            }
        }
    }

    /**
     * {@code g} where {@code x > 0}, 0 elsewhere (also where x is NaN), in g's dtype; g and x have one shape. ReLU's
     * backward, {@code g·[x > 0]}, as one pass instead of a comparison and a product.
     */
    static Tensor wherePositive(Tensor g, Tensor x) {
        requireSameShape("wherePositive", g, x);
        DType dtype = g.dtype();
        Tensor v = x.to(dtype);
        Tensor out = Tensor.allocateForOverwrite(dtype, g.shapeRef());
        int n = out.numel();
        if (n == 0) return out;
        int[][] c = Shapes.coalesce(g.shapeRef(), g.stridesRef(), v.stridesRef());
        int last = c[0].length - 1;
        if (c[1][last] != 1 || c[2][last] != 1) {
            // Strided inner runs (transposed views) are copied once, so that every run below is contiguous.
            g = g.contiguous();
            v = v.contiguous();
            c = Shapes.coalesce(g.shapeRef(), g.stridesRef(), v.stridesRef());
            last = c[0].length - 1;
        }
        int[] s = c[0], gs = c[1], xs = c[2];
        int inner = s[last], rank = last + 1, top = last;
        Tensor gg = g, vv = v;
        if (rank == 1) {
            Blocks.run(n, Blocks.GRAIN, (a, b) -> keepPositive(gg, gg.offset() + a, vv, vv.offset() + a, out, a, b - a));
            return out;
        }
        Blocks.run(n / inner, Math.max(1, Blocks.GRAIN / inner), (r0, r1) -> {
            int[] idx = unravelRun(r0, s);
            int go = gg.offset() + dot(idx, gs), xo = vv.offset() + dot(idx, xs);
            for (int r = r0; r < r1; r++) {
                keepPositive(gg, go, vv, xo, out, r * inner, inner);
                for (int ax = top - 1; ax >= 0; ax--) {
                    go += gs[ax];
                    xo += xs[ax];
                    if (++idx[ax] < s[ax]) break;
                    go -= gs[ax] * s[ax];
                    xo -= xs[ax] * s[ax];
                    idx[ax] = 0;
                }
            }
        });
        return out;
    }

    /**
     * {@link #wherePositive} written over g itself, which must be contiguous: ReLU's backward when nothing else holds
     * the gradient. Element i reads only element i, so the kernel runs in place.
     */
    static void wherePositiveInPlace(Tensor g, Tensor x) {
        requireSameShape("wherePositiveInPlace", g, x);
        if (!g.isContiguous()) {
            throw new IllegalArgumentException("wherePositiveInPlace: the target must be contiguous, got shape "
                    + Shapes.str(g.shapeRef()) + " with strides " + Shapes.str(g.stridesRef()));
        }
        Tensor v = x.to(g.dtype()).contiguous();
        int go = g.offset(), xo = v.offset();
        Blocks.run(g.numel(), Blocks.GRAIN, (a, b) -> keepPositive(g, go + a, v, xo + a, g, go + a, b - a));
        g.storage.bumpVersion();
    }

    private static void requireSameShape(String op, Tensor g, Tensor x) {
        if (!Arrays.equals(g.shapeRef(), x.shapeRef())) {
            throw new IllegalArgumentException(op + ": shapes " + Shapes.str(g.shapeRef()) + " and "
                    + Shapes.str(x.shapeRef()) + " differ");
        }
    }

    /** One run of wherePositive, {@code out[o + j] = x[xo + j] > 0 ? g[go + j] : +0}. */
    private static void keepPositive(Tensor g, int go, Tensor x, int xo, Tensor out, int o, int n) {
        if (out.dtype() == DType.F32) Kernels.active().keepWherePositive(g.f32(), go, x.f32(), xo, out.f32(), o, n);
        else Kernels.active().keepWherePositive(g.f64(), go, x.f64(), xo, out.f64(), o, n);
    }

    /**
     * Copies {@code src} into {@code dst}: same shape and dtype, any strides on either side (a stride-0 source axis
     * repeats its values). {@code dst} must not have overlapping elements.
     */
    static void copyInto(Tensor src, Tensor dst) {
        int n = src.numel();
        if (n == 0) return;
        int[][] c = Shapes.coalesce(src.shapeRef(), src.stridesRef(), dst.stridesRef());
        int[] s = c[0], ss = c[1], ds = c[2];
        int rank = s.length, inner = s[rank - 1], si = ss[rank - 1], di = ds[rank - 1];
        if (rank >= 2 && di == 1 && si != 1 && ss[rank - 2] == 1) {
            transposeInto(src, dst, s, ss, ds);
            return;
        }
        Object sa = src.data(), da = dst.data();
        Object scratch = si != 1 && di != 1 ? Rows.array(src.dtype(), inner) : null;
        int[] idx = new int[rank];
        int so = src.offset(), dOff = dst.offset();
        for (int done = 0; done < n; done += inner) {
            if (di == 1) {
                Rows.gather(sa, so, si, da, dOff, inner);
            } else if (si == 1) {
                Rows.scatter(sa, so, da, dOff, di, inner);
            } else {
                Rows.gather(sa, so, si, scratch, 0, inner);
                Rows.scatter(scratch, 0, da, dOff, di, inner);
            }
            for (int ax = rank - 2; ax >= 0; ax--) {
                so += ss[ax];
                dOff += ds[ax];
                if (++idx[ax] < s[ax]) break;
                so -= ss[ax] * s[ax];
                dOff -= ds[ax] * s[ax];
                idx[ax] = 0;
            }
        }
    }

    /** Tile edge for blocked transposes: a tile of the source stays in L1 while the output is written row by row. */
    private static final int TILE = 32;

    /**
     * copyInto for a source that runs along the second-to-last axis (a transposed view): row by row the reads would
     * jump a whole column apart and miss the cache every time, so the last two axes are copied in square tiles.
     */
    private static void transposeInto(Tensor src, Tensor dst, int[] s, int[] ss, int[] ds) {
        int rank = s.length, rows = s[rank - 2], cols = s[rank - 1], sc = ss[rank - 1], dr = ds[rank - 2];
        int outer = 1;
        for (int i = 0; i < rank - 2; i++) outer *= s[i];
        int[] idx = new int[Math.max(rank - 2, 0)];
        int so = src.offset(), dOff = dst.offset();
        for (int t = 0; t < outer; t++) {
            for (int i0 = 0; i0 < rows; i0 += TILE) {
                int i1 = Math.min(rows, i0 + TILE);
                for (int j0 = 0; j0 < cols; j0 += TILE) {
                    int j1 = Math.min(cols, j0 + TILE);
                    if (src.dtype() == DType.F32) {
                        float[] a = src.f32(), b = dst.f32();
                        for (int i = i0; i < i1; i++) {
                            for (int j = j0; j < j1; j++) b[dOff + i * dr + j] = a[so + i + j * sc];
                        }
                    } else {
                        double[] a = src.f64(), b = dst.f64();
                        for (int i = i0; i < i1; i++) {
                            for (int j = j0; j < j1; j++) b[dOff + i * dr + j] = a[so + i + j * sc];
                        }
                    }
                }
            }
            for (int ax = rank - 3; ax >= 0; ax--) {
                so += ss[ax];
                dOff += ds[ax];
                if (++idx[ax] < s[ax]) break;
                so -= ss[ax] * s[ax];
                dOff -= ds[ax] * s[ax];
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
        Shapes.requireBroadcastsTo("addScaledInPlace", "source shape", x.shapeRef(), "target shape", t.shapeRef());
        Tensor src = x.to(t.dtype());
        if (t.isContiguous() && src.isContiguous() && Arrays.equals(src.shapeRef(), t.shapeRef())) {
            // Aliasing is harmless here: element i of the target only reads element i of the source. Shared out
            // as the other elementwise ops are (an optimizer's update of a large weight is one such call).
            Object xa = src.data(), ta = t.data();
            int xo = src.offset(), to = t.offset();
            Blocks.run(t.numel(), Blocks.GRAIN, (a, b) -> Rows.axpy(b - a, alpha, xa, xo + a, ta, to + a));
            t.storage.bumpVersion();
            return;
        }
        if (t.isContiguous() && !src.sharesStorageWith(t)) {
            // A broadcast source (a bias over rows): a run of the target at a time, no temporary.
            int n = t.numel();
            int[][] c = Shapes.coalesce(t.shapeRef(), t.stridesRef(),
                    Shapes.broadcastStrides(src.shapeRef(), src.stridesRef(), t.shapeRef()));
            int[] s = c[0], ts = c[1], xs = c[2];
            int rank = s.length, inner = s[rank - 1], xi = xs[rank - 1];
            if (xi == 0 || xi == 1) {
                Object scalar = xi == 0 ? Rows.array(t.dtype(), 1) : null;
                int[] idx = new int[rank];
                int to = t.offset(), xo = src.offset();
                for (int done = 0; done < n; done += inner) {
                    if (scalar == null) {
                        Rows.axpy(inner, alpha, src.data(), xo, t.data(), to);
                    } else {
                        // y + a·x for one x: the product rounded in the dtype first, as axpy does.
                        Rows.setScalar(scalar, t.dtype() == DType.F32 ? (float) alpha * src.f32()[xo] : alpha * src.f64()[xo]);
                        Rows.binary(BinaryOp.ADD, t.data(), to, 1, scalar, 0, 0, t.data(), to, inner);
                    }
                    for (int ax = rank - 2; ax >= 0; ax--) {
                        to += ts[ax];
                        xo += xs[ax];
                        if (++idx[ax] < s[ax]) break;
                        to -= ts[ax] * s[ax];
                        xo -= xs[ax] * s[ax];
                        idx[ax] = 0;
                    }
                }
                t.storage.bumpVersion();
                return;
            }
        }
        copyFromInPlace(t, t.add(src.mul(alpha)));
    }

    static void scaleInPlace(Tensor t, double s) {
        requireWritable("mulInPlace", t);
        if (t.isContiguous()) {
            Object ta = t.data(), scalar = Rows.scalar(t.dtype(), s);
            int to = t.offset();
            Blocks.run(t.numel(), Blocks.GRAIN,
                    (a, b) -> Rows.binary(BinaryOp.MUL, ta, to + a, 1, scalar, 0, 0, ta, to + a, b - a));
            t.storage.bumpVersion();
            return;
        }
        copyFromInPlace(t, t.mul(s));
    }

    /** Writes {@code src} broadcast to t's shape into t's elements, whatever t's strides. */
    static void copyFromInPlace(Tensor t, Tensor src) {
        requireWritable("copyFromInPlace", t);
        Shapes.requireBroadcastsTo("copyFromInPlace", "source shape", src.shapeRef(), "target shape", t.shapeRef());
        Tensor s = src.to(t.dtype()).expand(t.shapeRef());
        // A source that views the target's own storage could be overwritten before it is read.
        if (s.sharesStorageWith(t)) s = s.copy();
        copyInto(s, t);
        t.storage.bumpVersion();
    }
}
