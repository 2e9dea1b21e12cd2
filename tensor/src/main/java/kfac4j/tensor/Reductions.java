package kfac4j.tensor;

import java.util.Arrays;

import kfac4j.tensor.kernel.Kernels;

/**
 * Reductions over any set of axes. The reduced axes are moved to the end and made contiguous, so every reduction
 * becomes "reduce each row of length r": one kernel call per output element, in a fixed order (so results do not
 * depend on threads).
 */
final class Reductions {
    private Reductions() {
    }

    /** The operand rearranged as (outer, r) rows, and the output shape with and without kept dims. */
    private record Plan(Tensor rows, int outer, int r, int[] outShape) {
    }

    private static Plan plan(String op, Tensor x, int[] axes, boolean keepDim) {
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        for (int a : axes) {
            int k = Shapes.axis(op, a, rank);
            if (reduced[k]) throw new IllegalArgumentException(op + ": axis " + a + " appears twice in " + Arrays.toString(axes));
            reduced[k] = true;
        }
        int[] order = new int[rank];
        int j = 0;
        for (int i = 0; i < rank; i++) if (!reduced[i]) order[j++] = i;
        int kept = j;
        for (int i = 0; i < rank; i++) if (reduced[i]) order[j++] = i;
        int[] shape = x.shapeRef();
        int outer = 1, r = 1;
        for (int i = 0; i < kept; i++) outer *= shape[order[i]];
        for (int i = kept; i < rank; i++) r *= shape[order[i]];
        Tensor rows = x.permute(order).contiguous();
        int[] outShape;
        if (keepDim) {
            outShape = shape.clone();
            for (int i = 0; i < rank; i++) if (reduced[i]) outShape[i] = 1;
        } else {
            outShape = new int[kept];
            for (int i = 0; i < kept; i++) outShape[i] = shape[order[i]];
        }
        return new Plan(rows, outer, r, outShape);
    }

    static Tensor sum(Tensor x, int[] axes, boolean keepDim) {
        Plan p = plan("sum", x, axes, keepDim);
        Tensor out = Tensor.allocate(x.dtype(), p.outShape);
        Kernels k = Kernels.active();
        for (int i = 0; i < p.outer; i++) {
            int o = p.rows.offset() + i * p.r;
            out.setFlat(i, x.dtype() == DType.F32 ? k.sum(p.rows.f32(), o, p.r) : k.sum(p.rows.f64(), o, p.r));
        }
        return out;
    }

    static Tensor mean(Tensor x, int[] axes, boolean keepDim) {
        Plan p = plan("mean", x, axes, keepDim);
        Tensor s = sum(x, axes, keepDim);
        // Mean over an empty set is NaN, as in NumPy and PyTorch.
        return s.mul(p.r == 0 ? Double.NaN : 1.0 / p.r);
    }

    static Tensor var(Tensor x, int[] axes, boolean keepDim, int correction) {
        Plan p = plan("var", x, axes, keepDim);
        Tensor out = Tensor.allocate(x.dtype(), p.outShape);
        for (int i = 0; i < p.outer; i++) {
            int o = p.rows.offset() + i * p.r;
            // Two passes: the mean first, then the squared deviations (stable, unlike E[x²] − E[x]²).
            double mean = 0;
            for (int j = 0; j < p.r; j++) mean += p.rows.readFlatOffset(o + j);
            mean /= p.r;
            double ss = 0;
            for (int j = 0; j < p.r; j++) {
                double d = p.rows.readFlatOffset(o + j) - mean;
                ss += d * d;
            }
            out.setFlat(i, ss / Math.max(0, p.r - correction));
        }
        return out;
    }

    static Tensor max(Tensor x, int[] axes, boolean keepDim) {
        Plan p = plan("max", x, axes, keepDim);
        requireNonEmpty("max", x, p);
        Tensor out = Tensor.allocate(x.dtype(), p.outShape);
        Kernels k = Kernels.active();
        for (int i = 0; i < p.outer; i++) {
            int o = p.rows.offset() + i * p.r;
            out.setFlat(i, x.dtype() == DType.F32 ? k.max(p.rows.f32(), o, p.r) : k.max(p.rows.f64(), o, p.r));
        }
        return out;
    }

    static Tensor min(Tensor x, int[] axes, boolean keepDim) {
        return max(x.neg(), axes, keepDim).neg();
    }

    static Tensor argmax(Tensor x, int axis, boolean keepDim) {
        Plan p = plan("argmax", x, new int[]{axis}, keepDim);
        requireNonEmpty("argmax", x, p);
        Tensor out = Tensor.allocate(x.dtype(), p.outShape);
        for (int i = 0; i < p.outer; i++) {
            int o = p.rows.offset() + i * p.r;
            int best = 0;
            double bv = p.rows.readFlatOffset(o);
            for (int j = 1; j < p.r && !Double.isNaN(bv); j++) {
                double v = p.rows.readFlatOffset(o + j);
                if (v > bv || Double.isNaN(v)) {
                    bv = v;
                    best = j;
                }
            }
            out.setFlat(i, best);
        }
        return out;
    }

    static Tensor logsumexp(Tensor x, int[] axes, boolean keepDim) {
        Plan p = plan("logsumexp", x, axes, keepDim);
        Tensor out = Tensor.allocate(x.dtype(), p.outShape);
        for (int i = 0; i < p.outer; i++) {
            out.setFlat(i, logSumExpRow(p.rows, p.rows.offset() + i * p.r, p.r));
        }
        return out;
    }

    /** log Σ exp over one contiguous row: m + log Σ exp(x − m) with m the maximum, so nothing overflows. */
    private static double logSumExpRow(Tensor rows, int o, int r) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < r; j++) m = Math.max(m, rows.readFlatOffset(o + j));
        if (Double.isInfinite(m)) return m;
        double s = 0;
        for (int j = 0; j < r; j++) s += Math.exp(rows.readFlatOffset(o + j) - m);
        return m + Math.log(s);
    }

    static Tensor softmax(Tensor x, int axis) {
        return normalised("softmax", x, axis, false);
    }

    static Tensor logSoftmax(Tensor x, int axis) {
        return normalised("logSoftmax", x, axis, true);
    }

    /** softmax(x)_j = exp(x_j − m) / Σ exp(x − m); log-softmax = x_j − logsumexp(x). */
    private static Tensor normalised(String op, Tensor x, int axis, boolean log) {
        int a = Shapes.axis(op, axis, x.rank());
        Tensor moved = x.transpose(a, x.rank() - 1).contiguous();
        int r = x.shapeRef()[a];
        int outer = r == 0 ? 0 : moved.numel() / r;
        Tensor out = Tensor.allocate(x.dtype(), moved.shapeRef());
        for (int i = 0; i < outer; i++) {
            int o = moved.offset() + i * r;
            double lse = logSumExpRow(moved, o, r);
            for (int j = 0; j < r; j++) {
                double v = moved.readFlatOffset(o + j) - lse;
                out.setFlat(i * r + j, log ? v : Math.exp(v));
            }
        }
        return out.transpose(a, x.rank() - 1).contiguous();
    }

    private static void requireNonEmpty(String op, Tensor x, Plan p) {
        if (p.r == 0) {
            throw new IllegalArgumentException(op + ": cannot reduce over zero elements (shape " + Shapes.str(x.shapeRef()) + ")");
        }
    }
}
