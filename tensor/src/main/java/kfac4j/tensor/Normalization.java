package kfac4j.tensor;

import kfac4j.tensor.kernel.BinaryOp;
import kfac4j.tensor.kernel.Kernels;

/**
 * Layer normalisation over trailing elements, forward and backward each in one pass per row (the kernel behind nn's
 * LayerNorm, as PyTorch's {@code native_layer_norm}): a row's statistics are accumulated in double; F64 rounds each
 * output element once, F32 goes through the vector kernels a step at a time. Rows are independent and every sum runs in a fixed order, so results do not depend on
 * threads; the column sums of the parameter gradients add rows in order.
 */
final class Normalization {
    private Normalization() {
    }

    /**
     * For every row of {@code features} trailing elements: μ, σ² (biased) and rstd = 1/√(σ² + ε), x̂ = (x − μ)·rstd and
     * y = x̂·weight + bias (weight and bias of {@code features} elements, or both null). Returns {y, x̂, rstd}, rstd with
     * one element per row.
     */
    static Tensor[] layerNorm(Tensor x, int features, Tensor weight, Tensor bias, double eps) {
        int rows = checkRows("layerNorm", x, features);
        checkAffine("layerNorm", weight, bias, features);
        DType dt = x.dtype();
        Tensor xc = x.contiguous();
        Tensor y = Tensor.allocateForOverwrite(dt, x.shapeRef()), xhat = Tensor.allocateForOverwrite(dt, x.shapeRef());
        Tensor rstd = Tensor.allocateForOverwrite(dt, new int[]{rows});
        if (dt == DType.F32) {
            layerNormF32(xc, features, rows, weight, bias, eps, y, xhat, rstd);
            return new Tensor[]{weight == null ? xhat : y, xhat, rstd};
        }
        double[] w = weight == null ? null : weight.reshape(-1).toDoubleArray(), b = bias == null ? null : bias.reshape(-1).toDoubleArray();
        double[] row = new double[features];
        for (int r = 0; r < rows; r++) {
            int o = r * features;
            load(xc, xc.offset() + o, row, features);
            double mean = 0;
            for (double v : row) mean += v;
            mean /= features;
            double var = 0;
            for (int j = 0; j < features; j++) {
                double c = row[j] - mean;
                row[j] = c;
                var += c * c;
            }
            double rs = 1 / Math.sqrt(var / features + eps);
            for (int j = 0; j < features; j++) row[j] *= rs;
            store(row, xhat, o, features);
            if (w != null) for (int j = 0; j < features; j++) row[j] = row[j] * w[j] + b[j];
            store(row, y, o, features);
            rstd.setFlat(r, rs);
        }
        return new Tensor[]{w == null ? xhat : y, xhat, rstd};
    }

    /**
     * F32 rows through the vector kernels, the statistics still in double: the sum, then the row centred on the float
     * mean and its sum of squares (so no cancellation), then scaled and given the weight and bias, each step rounded to
     * float as an F32 composition of these operations would be.
     */
    private static void layerNormF32(Tensor x, int d, int rows, Tensor weight, Tensor bias, double eps, Tensor y,
                                     Tensor xhat, Tensor rstd) {
        float[] xa = x.f32(), ya = y.f32(), ha = xhat.f32();
        Tensor wc = weight == null ? null : weight.to(DType.F32).contiguous(), bc = bias == null ? null : bias.to(DType.F32).contiguous();
        float[] w = wc == null ? null : wc.f32(), b = bc == null ? null : bc.f32();
        int wo = wc == null ? 0 : wc.offset(), bo = bc == null ? 0 : bc.offset();
        // Rows are independent: shared out in blocks.
        Blocks.run(rows, Math.max(1, Blocks.GRAIN / d), (r0, r1) -> {
            Object scalar = new float[1];
            for (int r = r0; r < r1; r++) {
                int o = r * d, xo = x.offset() + o;
                float mean = (float) (Rows.sum(xa, xo, d) / d);
                Rows.setScalar(scalar, mean);
                Rows.binary(BinaryOp.SUB, xa, xo, 1, scalar, 0, 0, ha, o, d);
                double rs = 1 / Math.sqrt(Rows.dot(ha, o, ha, o, d) / d + eps);
                Rows.setScalar(scalar, rs);
                Rows.binary(BinaryOp.MUL, ha, o, 1, scalar, 0, 0, ha, o, d);
                if (w != null) {
                    Rows.binary(BinaryOp.MUL, ha, o, 1, w, wo, 1, ya, o, d);
                    Rows.binary(BinaryOp.ADD, ya, o, 1, b, bo, 1, ya, o, d);
                }
                rstd.setFlat(r, rs);
            }
        });
    }

    /**
     * The backward of {@link #layerNorm} from the output gradient g, the saved x̂ and rstd: with g' = g·weight,
     * ∂x = rstd·(g' − mean(g') − x̂·mean(g'·x̂)) per row; ∂weight = Σ_rows g·x̂ and ∂bias = Σ_rows g. Returns {∂x, ∂weight,
     * ∂bias}, the last two null without a weight (and flat, of {@code features} elements).
     */
    static Tensor[] layerNormBackward(Tensor grad, Tensor xhat, Tensor rstd, Tensor weight, int features) {
        int rows = checkRows("layerNormBackward", xhat, features);
        if (!java.util.Arrays.equals(grad.shapeRef(), xhat.shapeRef()) || rstd.numel() != rows) {
            throw new IllegalArgumentException("layerNormBackward: gradient of shape " + Shapes.str(grad.shapeRef())
                    + ", normalised input of shape " + Shapes.str(xhat.shapeRef()) + " and " + rstd.numel()
                    + " row scales do not match");
        }
        checkAffine("layerNormBackward", weight, weight, features);
        DType dt = xhat.dtype();
        Tensor gc = grad.to(dt).contiguous(), hc = xhat.contiguous();
        Tensor dx = Tensor.allocateForOverwrite(dt, xhat.shapeRef());
        if (dt == DType.F32) return layerNormBackwardF32(gc, hc, rstd, weight, features, rows, dx);
        double[] w = weight == null ? null : weight.reshape(-1).toDoubleArray(), rs = rstd.toDoubleArray();
        double[] dw = w == null ? null : new double[features], db = w == null ? null : new double[features];
        double[] g = new double[features], h = new double[features];
        for (int r = 0; r < rows; r++) {
            int o = r * features;
            load(gc, gc.offset() + o, g, features);
            load(hc, hc.offset() + o, h, features);
            if (w != null) {
                for (int j = 0; j < features; j++) {
                    dw[j] += g[j] * h[j];
                    db[j] += g[j];
                    g[j] *= w[j];
                }
            }
            double mg = 0, mgh = 0;
            for (int j = 0; j < features; j++) {
                mg += g[j];
                mgh += g[j] * h[j];
            }
            mg /= features;
            mgh /= features;
            for (int j = 0; j < features; j++) g[j] = rs[r] * (g[j] - mg - h[j] * mgh);
            store(g, dx, o, features);
        }
        if (w == null) return new Tensor[]{dx, null, null};
        return new Tensor[]{dx, Tensor.fromArray(dw, features).to(dt), Tensor.fromArray(db, features).to(dt)};
    }

    /** The number of rows when {@code features} is the product of x's last few axes. */
    /**
     * The F32 backward through the vector kernels: per row g' = g·w, its mean and mean(g'·x̂) in double, then
     * ∂x = rstd·((g' − mean g') − mean(g'x̂)·x̂); the parameter gradients as column sums, in double, of g·x̂ and g.
     */
    private static Tensor[] layerNormBackwardF32(Tensor g, Tensor h, Tensor rstd, Tensor weight, int d, int rows, Tensor dx) {
        float[] ga = g.f32(), ha = h.f32(), da = dx.f32();
        Tensor wc = weight == null ? null : weight.to(DType.F32).contiguous();
        float[] w = wc == null ? null : wc.f32();
        int wo = wc == null ? 0 : wc.offset();
        double[] rs = rstd.toDoubleArray();
        // Rows in blocks; each block sums its own part of the parameter gradients, and the parts are added in block
        // order (the blocks depend on the sizes only, so the result does not depend on the threads).
        int blocks = Blocks.blocks(rows, Math.max(1, Blocks.GRAIN / d));
        double[][] dwPart = new double[blocks][], dbPart = new double[blocks][];
        Kernels.parallel(blocks, blk -> {
            int r0 = Blocks.start(rows, blocks, blk), r1 = Blocks.start(rows, blocks, blk + 1);
            double[] dw = w == null ? null : new double[d], db = w == null ? null : new double[d];
            float[] gp = new float[d], gh = new float[d];
            Object scalar = new float[1];
            for (int r = r0; r < r1; r++) {
                int go = g.offset() + r * d, ho = h.offset() + r * d, o = r * d;
                float[] gr = ga;
                int gro = go;
                if (w != null) {
                    Rows.binary(BinaryOp.MUL, ga, go, 1, ha, ho, 1, gh, 0, d);
                    Rows.accumulate(gh, 0, dw, d);
                    Rows.accumulate(ga, go, db, d);
                    Rows.binary(BinaryOp.MUL, ga, go, 1, w, wo, 1, gp, 0, d);
                    gr = gp;
                    gro = 0;
                }
                double mg = Rows.sum(gr, gro, d) / d, mgh = Rows.dot(gr, gro, ha, ho, d) / d;
                Rows.setScalar(scalar, mg);
                Rows.binary(BinaryOp.SUB, gr, gro, 1, scalar, 0, 0, da, o, d);
                Rows.axpy(d, -mgh, ha, ho, da, o);
                Rows.setScalar(scalar, rs[r]);
                Rows.binary(BinaryOp.MUL, da, o, 1, scalar, 0, 0, da, o, d);
            }
            dwPart[blk] = dw;
            dbPart[blk] = db;
        });
        if (w == null) return new Tensor[]{dx, null, null};
        double[] dw = new double[d], db = new double[d];
        for (int blk = 0; blk < blocks; blk++) {
            for (int j = 0; j < d; j++) {
                dw[j] += dwPart[blk][j];
                db[j] += dbPart[blk][j];
            }
        }
        return new Tensor[]{dx, Tensor.fromArray(dw, d).to(DType.F32), Tensor.fromArray(db, d).to(DType.F32)};
    }

    private static int checkRows(String op, Tensor x, int features) {
        int[] s = x.shapeRef();
        long trailing = 1;
        for (int i = s.length - 1; i >= 0 && trailing < features; i--) trailing *= s[i];
        if (features < 1 || trailing != features) {
            throw new IllegalArgumentException(op + ": " + features + " features are not the last axes of shape "
                    + Shapes.str(s));
        }
        return x.numel() / features;
    }

    private static void checkAffine(String op, Tensor weight, Tensor bias, int features) {
        if ((weight == null) != (bias == null)) {
            throw new IllegalArgumentException(op + ": give both a weight and a bias, or neither");
        }
        if (weight != null && (weight.numel() != features || bias.numel() != features)) {
            throw new IllegalArgumentException(op + ": weight of shape " + Shapes.str(weight.shapeRef()) + " and bias of shape "
                    + Shapes.str(bias.shapeRef()) + " for " + features + " features");
        }
    }

    private static void load(Tensor t, int at, double[] row, int n) {
        if (t.dtype() == DType.F32) {
            float[] a = t.f32();
            for (int j = 0; j < n; j++) row[j] = a[at + j];
        } else {
            System.arraycopy(t.f64(), at, row, 0, n);
        }
    }

    private static void store(double[] row, Tensor t, int at, int n) {
        if (t.dtype() == DType.F32) {
            float[] a = t.f32();
            for (int j = 0; j < n; j++) a[at + j] = (float) row[j];
        } else {
            System.arraycopy(row, 0, t.f64(), at, n);
        }
    }
}
