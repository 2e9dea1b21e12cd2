package kfac4j.tensor;

/**
 * Layer normalisation over trailing elements, forward and backward each in one pass per row (the kernel behind nn's
 * LayerNorm, as PyTorch's {@code native_layer_norm}): a row's statistics are accumulated in double, and each output
 * element is rounded once. Rows are independent and every sum runs in a fixed order, so results do not depend on
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
        Tensor y = Tensor.allocate(dt, x.shapeRef()), xhat = Tensor.allocate(dt, x.shapeRef());
        Tensor rstd = Tensor.allocate(dt, new int[]{rows});
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
        double[] w = weight == null ? null : weight.reshape(-1).toDoubleArray(), rs = rstd.toDoubleArray();
        double[] dw = w == null ? null : new double[features], db = w == null ? null : new double[features];
        Tensor dx = Tensor.allocate(dt, xhat.shapeRef());
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
