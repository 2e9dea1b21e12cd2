package kfac4j.tensor;

import java.util.Arrays;

import kfac4j.tensor.kernel.BinaryOp;
import kfac4j.tensor.kernel.UnaryOp;

/**
 * Reductions over any set of axes. The operand is viewed as a contiguous block {@code (outer, r, inner)} with the
 * reduced axes in the middle, which needs no copy for a contiguous tensor whose reduced axes are adjacent (size-1 axes
 * do not count) — the common cases: the last axes (a row per output element, reduced by a kernel) and the leading
 * axes (a bias gradient summed over the batch: rows accumulated into the output). Reduced axes that are not adjacent
 * are first permuted to the end and copied. Every output element is reduced in a fixed order, so results do not
 * depend on the number of threads.
 */
final class Reductions {
    private Reductions() {
    }

    /**
     * A contiguous tensor read as (outer, r, inner): output element {@code (a, b)} reduces {@code data[a, ·, b]}, and
     * sits at {@code a·inner + b} in the output.
     */
    private record Plan(Tensor data, int outer, int r, int inner, int[] outShape) {
        Object array() {
            return data.data();
        }

        /** Offset of {@code data[a, j, 0]}. */
        int at(int a, int j) {
            return data.offset() + (a * r + j) * inner;
        }
    }

    private static Plan plan(String op, Tensor x, int[] axes, boolean keepDim) {
        int rank = x.rank();
        int[] shape = x.shapeRef();
        boolean[] reduced = new boolean[rank];
        for (int a : axes) {
            int k = Shapes.axis(op, a, rank);
            if (reduced[k]) {
                throw new IllegalArgumentException(op + ": axis " + a + " appears twice in " + Arrays.toString(axes)
                        + " (shape " + Shapes.str(shape) + ")");
            }
            reduced[k] = true;
        }
        int kept = 0;
        for (boolean b : reduced) if (!b) kept++;
        int[] outShape = new int[keepDim ? rank : kept];
        for (int i = 0, j = 0; i < rank; i++) {
            if (keepDim) outShape[i] = reduced[i] ? 1 : shape[i];
            else if (!reduced[i]) outShape[j++] = shape[i];
        }
        // The span of reduced axes of size ≠ 1; it is a block when no kept axis of size ≠ 1 lies inside it.
        int first = -1, last = -1;
        for (int i = 0; i < rank; i++) {
            if (reduced[i] && shape[i] != 1) {
                if (first < 0) first = i;
                last = i;
            }
        }
        boolean block = true;
        for (int i = first + 1; i < last; i++) if (!reduced[i] && shape[i] != 1) block = false;
        int r = 1;
        for (int i = 0; i < rank; i++) if (reduced[i]) r *= shape[i];
        if (block) {
            int outer = 1, inner = 1;
            if (first < 0) {
                outer = x.numel();
            } else {
                for (int i = 0; i < first; i++) outer *= shape[i];
                for (int i = last + 1; i < rank; i++) inner *= shape[i];
            }
            return new Plan(x.contiguous(), outer, r, inner, outShape);
        }
        int[] order = new int[rank];
        int j = 0;
        for (int i = 0; i < rank; i++) if (!reduced[i]) order[j++] = i;
        for (int i = 0; i < rank; i++) if (reduced[i]) order[j++] = i;
        int outer = 1;
        for (int i = 0; i < kept; i++) outer *= shape[order[i]];
        return new Plan(x.permute(order).contiguous(), outer, r, 1, outShape);
    }

    static Tensor sum(Tensor x, int[] axes, boolean keepDim) {
        return sum("sum", x, axes, keepDim);
    }

    private static Tensor sum(String op, Tensor x, int[] axes, boolean keepDim) {
        Plan p = plan(op, x, axes, keepDim);
        Tensor out = Tensor.allocate(x.dtype(), p.outShape);
        Object d = p.array();
        if (p.inner == 1) {
            // Trailing axes reduced: one contiguous run per output element (a bias gradient sums each example's
            // channel over its positions), the runs shared out in blocks; each is summed alone, whatever the thread.
            Blocks.run(p.outer, Math.max(1, Blocks.GRAIN / Math.max(1, p.r)), (from, to) -> {
                for (int a = from; a < to; a++) out.setFlat(a, Rows.sum(d, p.at(a, 0), p.r));
            });
            return out;
        }
        // Leading axes reduced: add whole rows, in double, in row order. Kept leading axes (a sum over the rows of
        // each example, say) in blocks of them: every output element adds the same rows in the same order whichever
        // thread runs its block.
        Blocks.run(p.outer, Math.max(1, Blocks.GRAIN / Math.max(1, p.r * p.inner)), (from, to) -> {
            double[] acc = new double[p.inner];
            for (int a = from; a < to; a++) {
                Arrays.fill(acc, 0);
                for (int j = 0; j < p.r; j++) Rows.accumulate(d, p.at(a, j), acc, p.inner);
                for (int b = 0; b < p.inner; b++) out.setFlat(a * p.inner + b, acc[b]);
            }
        });
        return out;
    }

    static Tensor mean(Tensor x, int[] axes, boolean keepDim) {
        Tensor s = sum("mean", x, axes, keepDim);
        if (s.numel() == 0) return s;
        int r = x.numel() / s.numel();
        // Mean over an empty set is NaN, as in NumPy and PyTorch.
        return s.mulInPlace(r == 0 ? Double.NaN : 1.0 / r);
    }

    /** Two passes per output element: the mean, then the squared deviations (stable, unlike E[x²] − E[x]²). */
    static Tensor var(Tensor x, int[] axes, boolean keepDim, int correction) {
        if (correction < 0) throw new IllegalArgumentException("var: correction must be ≥ 0, got " + correction);
        Plan p = plan("var", x, axes, keepDim);
        Tensor out = Tensor.allocate(x.dtype(), p.outShape);
        Object d = p.array();
        double divisor = Math.max(0, p.r - correction);
        if (p.inner == 1) {
            double[] row = new double[p.r];
            for (int a = 0; a < p.outer; a++) {
                Rows.toDouble(d, p.at(a, 0), 1, row, p.r);
                double mean = 0;
                for (double v : row) mean += v;
                mean /= p.r;
                double ss = 0;
                for (double v : row) ss += (v - mean) * (v - mean);
                out.setFlat(a, ss / divisor);
            }
            return out;
        }
        double[] row = new double[p.inner], mean = new double[p.inner], ss = new double[p.inner];
        for (int a = 0; a < p.outer; a++) {
            Arrays.fill(mean, 0);
            Arrays.fill(ss, 0);
            for (int j = 0; j < p.r; j++) Rows.accumulate(d, p.at(a, j), mean, p.inner);
            for (int b = 0; b < p.inner; b++) mean[b] /= p.r;
            for (int j = 0; j < p.r; j++) {
                Rows.toDouble(d, p.at(a, j), 1, row, p.inner);
                for (int b = 0; b < p.inner; b++) ss[b] += (row[b] - mean[b]) * (row[b] - mean[b]);
            }
            for (int b = 0; b < p.inner; b++) out.setFlat(a * p.inner + b, ss[b] / divisor);
        }
        return out;
    }

    static Tensor max(Tensor x, int[] axes, boolean keepDim) {
        return extreme("max", x, axes, keepDim, true);
    }

    static Tensor min(Tensor x, int[] axes, boolean keepDim) {
        return extreme("min", x, axes, keepDim, false);
    }

    /** Maximum or minimum; NaN wins, as in NumPy and PyTorch. */
    private static Tensor extreme(String op, Tensor x, int[] axes, boolean keepDim, boolean max) {
        Plan p = plan(op, x, axes, keepDim);
        requireNonEmpty(op, x, axes, p);
        Tensor out = Tensor.allocate(x.dtype(), p.outShape);
        Object d = p.array();
        if (p.inner == 1 && max) {
            for (int a = 0; a < p.outer; a++) out.setFlat(a, Rows.max(d, p.at(a, 0), p.r));
            return out;
        }
        int width = p.inner == 1 ? p.r : p.inner;
        double[] row = new double[width], best = new double[p.inner];
        for (int a = 0; a < p.outer; a++) {
            if (p.inner == 1) {
                Rows.toDouble(d, p.at(a, 0), 1, row, p.r);
                double m = row[0];
                for (int j = 1; j < p.r && m == m; j++) m = better(row[j], m, max) ? row[j] : m;
                out.setFlat(a, m);
                continue;
            }
            Rows.toDouble(d, p.at(a, 0), 1, best, p.inner);
            for (int j = 1; j < p.r; j++) {
                Rows.toDouble(d, p.at(a, j), 1, row, p.inner);
                for (int b = 0; b < p.inner; b++) if (better(row[b], best[b], max)) best[b] = row[b];
            }
            for (int b = 0; b < p.inner; b++) out.setFlat(a * p.inner + b, best[b]);
        }
        return out;
    }

    /** Whether v replaces the current best: strictly better, or NaN (which then stays, since nothing beats it). */
    private static boolean better(double v, double best, boolean max) {
        if (best != best) return false;
        return v != v || (max ? v > best : v < best);
    }

    /** Index of the first maximum along one axis (the first NaN, if any), as PyTorch's argmax. */
    static Tensor argmax(Tensor x, int axis, boolean keepDim) {
        Plan p = plan("argmax", x, new int[]{axis}, keepDim);
        requireNonEmpty("argmax", x, new int[]{axis}, p);
        Tensor out = Tensor.allocate(x.dtype(), p.outShape);
        Object d = p.array();
        if (p.inner == 1) {
            double[] row = new double[p.r];
            for (int a = 0; a < p.outer; a++) {
                Rows.toDouble(d, p.at(a, 0), 1, row, p.r);
                int k = 0;
                for (int j = 1; j < p.r; j++) if (better(row[j], row[k], true)) k = j;
                out.setFlat(a, k);
            }
            return out;
        }
        double[] row = new double[p.inner], best = new double[p.inner];
        int[] index = new int[p.inner];
        for (int a = 0; a < p.outer; a++) {
            Rows.toDouble(d, p.at(a, 0), 1, best, p.inner);
            Arrays.fill(index, 0);
            for (int j = 1; j < p.r; j++) {
                Rows.toDouble(d, p.at(a, j), 1, row, p.inner);
                for (int b = 0; b < p.inner; b++) {
                    if (better(row[b], best[b], true)) {
                        best[b] = row[b];
                        index[b] = j;
                    }
                }
            }
            for (int b = 0; b < p.inner; b++) out.setFlat(a * p.inner + b, index[b]);
        }
        return out;
    }

    /** log Σ exp(x) = m + log Σ exp(x − m) with m the maximum, so nothing overflows; −∞ for an empty set. */
    static Tensor logsumexp(Tensor x, int[] axes, boolean keepDim) {
        Plan p = plan("logsumexp", x, axes, keepDim);
        Tensor out = Tensor.allocate(x.dtype(), p.outShape);
        Object d = p.array();
        if (p.inner == 1) {
            for (int a = 0; a < p.outer; a++) {
                int o = p.at(a, 0);
                double max = p.r == 0 ? Double.NEGATIVE_INFINITY : Rows.max(d, o, p.r);
                out.setFlat(a, Double.isInfinite(max) ? max : max + Math.log(sumExp(d, o, p.r, max, null, 0)));
            }
            return out;
        }
        double[] row = new double[p.inner], max = new double[p.inner], s = new double[p.inner];
        for (int a = 0; a < p.outer; a++) {
            Arrays.fill(max, Double.NEGATIVE_INFINITY);
            Arrays.fill(s, 0);
            for (int j = 0; j < p.r; j++) {
                Rows.toDouble(d, p.at(a, j), 1, row, p.inner);
                for (int b = 0; b < p.inner; b++) if (better(row[b], max[b], true)) max[b] = row[b];
            }
            for (int j = 0; j < p.r; j++) {
                Rows.toDouble(d, p.at(a, j), 1, row, p.inner);
                for (int b = 0; b < p.inner; b++) s[b] += Math.exp(row[b] - max[b]);
            }
            for (int b = 0; b < p.inner; b++) {
                out.setFlat(a * p.inner + b, Double.isInfinite(max[b]) ? max[b] : max[b] + Math.log(s[b]));
            }
        }
        return out;
    }

    static Tensor softmax(Tensor x, int axis) {
        return normalised("softmax", x, axis, false);
    }

    static Tensor logSoftmax(Tensor x, int axis) {
        return normalised("logSoftmax", x, axis, true);
    }

    /**
     * softmax(x)_j = exp(x_j − m) / Σ_k exp(x_k − m) and log-softmax(x)_j = x_j − m − log Σ_k exp(x_k − m), m the
     * maximum: one exp per element, nothing overflows. Over the last axis each row is a handful of kernel calls on
     * contiguous memory; over another axis the same is done with whole rows of the trailing axes at a time.
     */
    private static Tensor normalised(String op, Tensor x, int axis, boolean log) {
        if (x.rank() == 0) throw new IllegalArgumentException(op + ": needs rank ≥ 1, got a 0-d tensor");
        Plan p = plan(op, x, new int[]{axis}, true);
        DType dt = x.dtype();
        Tensor out = Tensor.allocateForOverwrite(dt, x.shapeRef());
        if (out.numel() == 0) return out;
        Object d = p.array(), od = out.data();
        int base = p.data.offset(), r = p.r, inner = p.inner;
        if (inner == 1) {
            // Rows are independent: shared out in blocks.
            Blocks.run(p.outer, Math.max(1, Blocks.GRAIN / Math.max(1, r)), (a0, a1) -> {
                Object c = Rows.scalar(dt, 0);
                for (int a = a0; a < a1; a++) {
                    int o = p.at(a, 0), oo = o - base;
                    double m = Rows.max(d, o, r);
                    // Softmax keeps the exponentials in the output row and scales them; log-softmax needs their sum.
                    double s = sumExp(d, o, r, m, log ? null : od, oo);
                    if (log) {
                        Rows.setScalar(c, m + Math.log(s));
                        Rows.binary(BinaryOp.SUB, d, o, 1, c, 0, 0, od, oo, r);
                    } else {
                        Rows.setScalar(c, 1 / s);
                        Rows.binary(BinaryOp.MUL, od, oo, 1, c, 0, 0, od, oo, r);
                    }
                }
            });
            return out;
        }
        Object m = Rows.array(dt, inner), s = Rows.array(dt, inner);
        for (int a = 0; a < p.outer; a++) {
            System.arraycopy(d, p.at(a, 0), m, 0, inner);
            for (int j = 1; j < r; j++) Rows.binary(BinaryOp.MAX, m, 0, 1, d, p.at(a, j), 1, m, 0, inner);
            Rows.fill(s, 0, inner, 0);
            for (int j = 0; j < r; j++) {
                int o = p.at(a, j), oo = o - base;
                Rows.binary(BinaryOp.SUB, d, o, 1, m, 0, 1, od, oo, inner);
                Rows.unary(UnaryOp.EXP, od, oo, od, oo, inner);
                Rows.binary(BinaryOp.ADD, s, 0, 1, od, oo, 1, s, 0, inner);
            }
            if (log) {
                // c = m + log s, then x − c.
                Rows.unary(UnaryOp.LOG, s, 0, s, 0, inner);
                Rows.binary(BinaryOp.ADD, m, 0, 1, s, 0, 1, s, 0, inner);
            }
            for (int j = 0; j < r; j++) {
                int o = p.at(a, j), oo = o - base;
                if (log) Rows.binary(BinaryOp.SUB, d, o, 1, s, 0, 1, od, oo, inner);
                else Rows.binary(BinaryOp.DIV, od, oo, 1, s, 0, 1, od, oo, inner);
            }
        }
        return out;
    }

    /**
     * Softmax over the last axis of scale·x with the entries where {@code mask} (broadcast to x's shape) is non-zero
     * left out (they get probability 0): attention's scaled, masked softmax. The operations of
     * {@code x.mul(scale).maskedFill(mask, −∞).softmax(−1)}, in the same order, a row at a time without temporaries.
     */
    static Tensor maskedSoftmax(Tensor x, double scale, Tensor mask) {
        if (x.rank() == 0) throw new IllegalArgumentException("maskedSoftmax: needs rank ≥ 1, got a 0-d tensor");
        int[] shape = x.shapeRef();
        Shapes.requireBroadcastsTo("maskedSoftmax", "mask of shape", mask.shapeRef(), "scores' shape", shape);
        DType dt = x.dtype();
        Tensor xc = x.contiguous(), out = Tensor.allocateForOverwrite(dt, shape);
        int n = out.numel(), rank = shape.length, r = shape[rank - 1];
        if (n == 0 || r == 0) return out;
        // The mask's strides over the scores' axes (0 where broadcast). Its few distinct rows are turned into lists of
        // masked positions once, so that a row of scores costs a pass over its masked entries only.
        Tensor m = mask.contiguous();
        int[] ms = Shapes.broadcastStrides(m.shapeRef(), m.stridesRef(), shape);
        int[][] masked = new int[m.numel()][];
        int rows = n / r;
        int[] keyOfRow = new int[rows];
        int[] idx = new int[rank];
        int mo = m.offset();
        for (int row = 0; row < rows; row++) {
            int key = mo - m.offset();
            if (masked[key] == null) masked[key] = maskedPositions(m.data(), mo, ms[rank - 1], r);
            keyOfRow[row] = key;
            for (int ax = rank - 2; ax >= 0; ax--) {
                mo += ms[ax];
                if (++idx[ax] < shape[ax]) break;
                mo -= ms[ax] * shape[ax];
                idx[ax] = 0;
            }
        }
        Object xd = xc.data(), od = out.data();
        int x0 = xc.offset();
        // Rows are independent: shared out in blocks.
        Blocks.run(rows, Math.max(1, Blocks.GRAIN / r), (r0, r1) -> {
            Object c = Rows.scalar(dt, scale), shift = Rows.scalar(dt, 0);
            for (int row = r0; row < r1; row++) {
                int o = row * r;
                Rows.binary(BinaryOp.MUL, xd, x0 + o, 1, c, 0, 0, od, o, r);
                int[] off = masked[keyOfRow[row]];
                fill(od, o, off, Double.NEGATIVE_INFINITY);
                double max = Rows.max(od, o, r), sum;
                if (off.length == 0 || off.length == r) {
                    sum = sumExp(od, o, r, max, od, o);
                } else {
                    // Masked entries get exponential 0. They are set to the maximum for the exp and zeroed after:
                    // exp(−∞) goes through an underflow, which costs a microcode assist per value on x86 (half of a
                    // causal mask's entries). The sum is the same: exact zeros add nothing.
                    fill(od, o, off, max);
                    sumExp(od, o, r, max, od, o);
                    fill(od, o, off, 0);
                    sum = Rows.sum(od, o, r);
                }
                Rows.setScalar(shift, 1 / sum);
                Rows.binary(BinaryOp.MUL, od, o, 1, shift, 0, 0, od, o, r);
            }
        });
        return out;
    }

    /** {@code y[o + j] = v} for the positions j listed. */
    private static void fill(Object y, int o, int[] at, double v) {
        if (y instanceof float[] f) {
            float w = (float) v;
            for (int j : at) f[o + j] = w;
        } else {
            double[] d = (double[]) y;
            for (int j : at) d[o + j] = v;
        }
    }

    /** The positions j in [0, r) where {@code mask[mo + j·step]} is non-zero. */
    private static int[] maskedPositions(Object mask, int mo, int step, int r) {
        int[] at = new int[r];
        int k = 0;
        for (int j = 0; j < r; j++) {
            double v = mask instanceof float[] f ? f[mo + j * step] : ((double[]) mask)[mo + j * step];
            if (v != 0) at[k++] = j;
        }
        return java.util.Arrays.copyOf(at, k);
    }

    /**
     * The backward of a softmax over the last axis (times the scale of a scaled softmax):
     * {@code scale·p ⊙ (g − Σ_j g_j p_j)} from the probabilities p and the output gradient g, one row at a time (the
     * row sum in double).
     */
    static Tensor softmaxBackward(Tensor p, Tensor g, double scale) {
        if (!Arrays.equals(p.shapeRef(), g.shapeRef()) || p.rank() == 0) {
            throw new IllegalArgumentException("softmaxBackward: probabilities of shape " + Shapes.str(p.shapeRef())
                    + " and gradient of shape " + Shapes.str(g.shapeRef()) + " must have one shape of rank ≥ 1");
        }
        DType dt = p.dtype();
        Tensor pc = p.contiguous(), gc = g.to(dt).contiguous(), out = Tensor.allocateForOverwrite(dt, p.shapeRef());
        int n = out.numel(), r = p.size(-1);
        if (n == 0 || r == 0) return out;
        Object pd = pc.data(), gd = gc.data(), od = out.data();
        Blocks.run(n / r, Math.max(1, Blocks.GRAIN / r), (r0, r1) -> {
            Object c = Rows.scalar(dt, 0), sc = Rows.scalar(dt, scale);
            for (int o = r0 * r; o < r1 * r; o += r) {
                Rows.setScalar(c, Rows.dot(gd, gc.offset() + o, pd, pc.offset() + o, r));
                Rows.binary(BinaryOp.SUB, gd, gc.offset() + o, 1, c, 0, 0, od, o, r);
                Rows.binary(BinaryOp.MUL, pd, pc.offset() + o, 1, od, o, 1, od, o, r);
                if (scale != 1) Rows.binary(BinaryOp.MUL, od, o, 1, sc, 0, 0, od, o, r);
            }
        });
        return out;
    }

    /**
     * Σ_j exp(x[o+j] − m) over a contiguous row, in double, also storing each exponential in {@code y[yo+j]} when y is
     * not null. F32 rows with an output go through the kernels (x − m, then exp in place: vectorised, within an ulp
     * of the rounded double exponential); otherwise one fused pass with {@link Math#exp} in double.
     */
    private static double sumExp(Object x, int o, int r, double m, Object y, int yo) {
        if (x instanceof float[] && y != null) {
            Rows.binary(BinaryOp.SUB, x, o, 1, Rows.scalar(DType.F32, m), 0, 0, y, yo, r);
            Rows.unary(UnaryOp.EXP, y, yo, y, yo, r);
            return Rows.sum(y, yo, r);
        }
        double s = 0;
        if (x instanceof float[] f) {
            float[] out = (float[]) y;
            for (int j = 0; j < r; j++) {
                double e = Math.exp(f[o + j] - m);
                if (out != null) out[yo + j] = (float) e;
                s += e;
            }
        } else {
            double[] v = (double[]) x, out = (double[]) y;
            for (int j = 0; j < r; j++) {
                double e = Math.exp(v[o + j] - m);
                if (out != null) out[yo + j] = e;
                s += e;
            }
        }
        return s;
    }

    private static void requireNonEmpty(String op, Tensor x, int[] axes, Plan p) {
        if (p.r == 0) {
            throw new IllegalArgumentException(op + ": cannot reduce over zero elements (axes " + Arrays.toString(axes)
                    + " of shape " + Shapes.str(x.shapeRef()) + ")");
        }
    }
}
