package kfac4j.tensor;

import java.util.Arrays;

import kfac4j.tensor.kernel.BinaryOp;
import kfac4j.tensor.kernel.UnaryOp;

/**
 * An n-dimensional array of {@link DType#F32} or {@link DType#F64} values: a shape, strides and an offset over a
 * heap array that views share.
 *
 * <p>Tensors are values: every operation returns a new tensor (a view where it can, a fresh contiguous array where it
 * must) and leaves its inputs alone. The few operations that write in place exist for optimizers, say so in their
 * name ({@code ...InPlace}) and bump a version counter shared by all views of the storage.
 *
 * <p>Binary operations broadcast as NumPy does and promote F32 with F64 to F64. Axes may be negative, counting from
 * the end. Every shape, dtype or index error names the operation and the offending shapes or indices.
 */
public final class Tensor {
    private final DType dtype;
    private final int[] shape;
    private final int[] strides;
    private final int offset;
    final Storage storage;

    Tensor(DType dtype, int[] shape, int[] strides, int offset, Storage storage) {
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.storage = storage;
    }

    /** A fresh contiguous tensor of zeros (over a new array, or a released one zeroed again). */
    static Tensor allocate(DType dtype, int[] shape) {
        return allocate("allocate", dtype, shape);
    }

    /** As {@link #allocate(DType, int[])}, naming the operation when the shape is invalid. */
    static Tensor allocate(String op, DType dtype, int[] shape) {
        return fresh(op, dtype, shape, true);
    }

    /**
     * A fresh contiguous tensor whose values are unspecified, for an operation that writes every element of its
     * output before reading any: it may reuse a released array without zeroing it ({@link ArrayPool}).
     */
    static Tensor allocateForOverwrite(DType dtype, int[] shape) {
        return allocateForOverwrite("allocate", dtype, shape);
    }

    /** As {@link #allocateForOverwrite(DType, int[])}, naming the operation when the shape is invalid. */
    static Tensor allocateForOverwrite(String op, DType dtype, int[] shape) {
        return fresh(op, dtype, shape, false);
    }

    private static Tensor fresh(String op, DType dtype, int[] shape, boolean zeroed) {
        Shapes.checkShape(op, shape);
        int n = Shapes.numel(shape);
        return new Tensor(dtype, shape.clone(), Shapes.contiguousStrides(shape), 0,
                zeroed ? Storage.allocate(dtype, n) : Storage.allocateForOverwrite(dtype, n));
    }

    // ---------------------------------------------------------------- factories

    public static Tensor zeros(DType dtype, int... shape) {
        return allocate("zeros", dtype, shape);
    }

    public static Tensor ones(DType dtype, int... shape) {
        return full(dtype, 1.0, shape);
    }

    public static Tensor full(DType dtype, double value, int... shape) {
        Tensor t = allocate("full", dtype, shape);
        if (dtype == DType.F32) Arrays.fill(t.storage.f32(), (float) value);
        else Arrays.fill(t.storage.f64(), value);
        return t;
    }

    /** A 0-dimensional tensor holding one value. */
    public static Tensor scalar(DType dtype, double value) {
        return full(dtype, value);
    }

    /** Values {@code start, start+step, ...} below {@code end} (above it for a negative step), as NumPy's arange. */
    public static Tensor arange(DType dtype, double start, double end, double step) {
        if (step == 0 || !Double.isFinite(step)) throw new IllegalArgumentException("arange: step must be finite and non-zero, got " + step);
        if (!Double.isFinite(start) || !Double.isFinite(end)) {
            throw new IllegalArgumentException("arange: start and end must be finite, got " + start + " and " + end);
        }
        double count = Math.max(0, Math.ceil((end - start) / step));
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("arange: [" + start + ", " + end + ") with step " + step + " has "
                    + (long) count + " values, more than a Java array can hold");
        }
        int n = (int) count;
        Tensor t = allocate("arange", dtype, new int[]{n});
        for (int i = 0; i < n; i++) t.setFlat(i, start + i * step);
        return t;
    }

    /** {@code 0, 1, ..., n-1}. */
    public static Tensor arange(DType dtype, int n) {
        return arange(dtype, 0, n, 1);
    }

    /** {@code steps} evenly spaced values from {@code start} to {@code end}, both included. */
    public static Tensor linspace(DType dtype, double start, double end, int steps) {
        if (steps < 0) throw new IllegalArgumentException("linspace: steps must be ≥ 0, got " + steps);
        Tensor t = allocate("linspace", dtype, new int[]{steps});
        for (int i = 0; i < steps; i++) {
            t.setFlat(i, steps == 1 ? start : start + (end - start) * i / (steps - 1));
        }
        // Both ends exact, as NumPy: (end − start)·(steps−1)/(steps−1) need not round back to end − start.
        if (steps > 1) t.setFlat(steps - 1, end);
        return t;
    }

    /** The n×n identity. */
    public static Tensor eye(DType dtype, int n) {
        if (n < 0) throw new IllegalArgumentException("eye: size must be ≥ 0, got " + n);
        Tensor t = allocate("eye", dtype, new int[]{n, n});
        for (int i = 0; i < n; i++) t.setFlat(i * n + i, 1.0);
        return t;
    }

    /** A copy of {@code data}, read in row-major order into the given shape. */
    public static Tensor fromArray(float[] data, int... shape) {
        checkLength("fromArray", data.length, shape);
        return new Tensor(DType.F32, shape.clone(), Shapes.contiguousStrides(shape), 0, new Storage(data.clone()));
    }

    /** A copy of {@code data}, read in row-major order into the given shape. */
    public static Tensor fromArray(double[] data, int... shape) {
        checkLength("fromArray", data.length, shape);
        return new Tensor(DType.F64, shape.clone(), Shapes.contiguousStrides(shape), 0, new Storage(data.clone()));
    }

    /** A 1-D F64 tensor of the given values. */
    public static Tensor of(double... values) {
        return fromArray(values, values.length);
    }

    /** A 1-D tensor of the given values in the given dtype. */
    public static Tensor of(DType dtype, double... values) {
        return fromArray(values, values.length).to(dtype);
    }

    /** A rows×cols F64 matrix from nested arrays (all rows of one length). */
    public static Tensor of(double[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        double[] data = new double[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) {
                throw new IllegalArgumentException("of: row " + i + " has " + rows[i].length + " values, row 0 has " + cols);
            }
            System.arraycopy(rows[i], 0, data, i * cols, cols);
        }
        return new Tensor(DType.F64, new int[]{rows.length, cols}, new int[]{cols, 1}, 0, new Storage(data));
    }

    /** Zeros with this tensor's dtype and shape. */
    public Tensor zerosLike() {
        return zeros(dtype, shape);
    }

    /** Ones with this tensor's dtype and shape. */
    public Tensor onesLike() {
        return ones(dtype, shape);
    }

    private static void checkLength(String op, int length, int[] shape) {
        Shapes.checkShape(op, shape);
        if (Shapes.numel(shape) != length) {
            throw new IllegalArgumentException(op + ": " + length + " values do not fill shape " + Shapes.str(shape)
                    + " (" + Shapes.numel(shape) + " elements)");
        }
    }

    // ---------------------------------------------------------------- metadata

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** The size of one axis (negative axes count from the end). */
    public int size(int axis) {
        return shape[Shapes.axis("size", axis, shape.length)];
    }

    public int rank() {
        return shape.length;
    }

    public int numel() {
        return Shapes.numel(shape);
    }

    /** A copy of the strides, in elements. */
    public int[] strides() {
        return strides.clone();
    }

    /** Offset of the first element in the underlying array. */
    int offset() {
        return offset;
    }

    int[] shapeRef() {
        return shape;
    }

    int[] stridesRef() {
        return strides;
    }

    float[] f32() {
        return storage.f32();
    }

    double[] f64() {
        return storage.f64();
    }

    /** The storage array, {@code float[]} or {@code double[]}, for dtype-generic row operations ({@link Rows}). */
    Object data() {
        return storage.array();
    }

    /** Whether the elements lie in row-major order without gaps (then offset..offset+numel covers them). */
    public boolean isContiguous() {
        if (numel() == 0) return true;
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != s) return false;
            s *= shape[i];
        }
        return true;
    }

    /** Whether two tensors view the same storage. */
    public boolean sharesStorageWith(Tensor other) {
        return storage == other.storage;
    }

    /** A counter bumped by every in-place write to this tensor's storage (through any view). */
    public int version() {
        return storage.version();
    }

    // ---------------------------------------------------------------- element access

    /** The element at a full index. */
    public double get(int... index) {
        return readFlatOffset(offsetOf("get", index));
    }

    /** The single value of a tensor with one element (of any rank). */
    public double item() {
        if (numel() != 1) {
            throw new IllegalStateException("item: tensor of shape " + Shapes.str(shape) + " has " + numel()
                    + " elements, not 1");
        }
        return readFlatOffset(offset);
    }

    private int offsetOf(String op, int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException(op + ": index " + Arrays.toString(index) + " has " + index.length
                    + " components for a tensor of shape " + Shapes.str(shape));
        }
        int o = offset;
        for (int i = 0; i < index.length; i++) {
            int k = index[i] < 0 ? index[i] + shape[i] : index[i];
            if (k < 0 || k >= shape[i]) {
                throw new IndexOutOfBoundsException(op + ": index " + index[i] + " is out of bounds for axis " + i
                        + " of size " + shape[i] + " (shape " + Shapes.str(shape) + ")");
            }
            o += k * strides[i];
        }
        return o;
    }

    double readFlatOffset(int o) {
        return dtype == DType.F32 ? storage.f32()[o] : storage.f64()[o];
    }

    /** Writes element {@code i} of a fresh contiguous tensor; only for tensors this package just allocated. */
    void setFlat(int i, double v) {
        if (dtype == DType.F32) storage.f32()[offset + i] = (float) v;
        else storage.f64()[offset + i] = v;
    }

    /** All elements in row-major order, as doubles. */
    public double[] toDoubleArray() {
        int n = numel();
        // An empty view may sit at any offset, even past the end of its array: read nothing.
        if (n == 0) return new double[0];
        Tensor c = contiguous();
        if (dtype == DType.F64) return Arrays.copyOfRange(c.storage.f64(), c.offset, c.offset + n);
        double[] out = new double[n];
        float[] in = c.storage.f32();
        for (int i = 0; i < n; i++) out[i] = in[c.offset + i];
        return out;
    }

    /** All elements in row-major order, as floats. */
    public float[] toFloatArray() {
        int n = numel();
        if (n == 0) return new float[0];
        Tensor c = contiguous();
        if (dtype == DType.F32) return Arrays.copyOfRange(c.storage.f32(), c.offset, c.offset + n);
        float[] out = new float[n];
        double[] in = c.storage.f64();
        for (int i = 0; i < n; i++) out[i] = (float) in[c.offset + i];
        return out;
    }

    /** This tensor in another dtype (itself when the dtype already matches). */
    public Tensor to(DType target) {
        if (target == dtype) return this;
        Tensor c = contiguous();
        int n = numel();
        Tensor out = allocateForOverwrite(target, shape);
        if (target == DType.F64) {
            double[] o = out.storage.f64();
            float[] in = c.storage.f32();
            for (int i = 0; i < n; i++) o[i] = in[c.offset + i];
        } else {
            float[] o = out.storage.f32();
            double[] in = c.storage.f64();
            for (int i = 0; i < n; i++) o[i] = (float) in[c.offset + i];
        }
        return out;
    }

    /** A contiguous copy that shares nothing with this tensor. */
    public Tensor copy() {
        Tensor out = allocateForOverwrite(dtype, shape);
        Elementwise.copyInto(this, out);
        return out;
    }

    /** This tensor if it is contiguous, else a contiguous copy. */
    public Tensor contiguous() {
        return isContiguous() ? this : copy();
    }

    // ---------------------------------------------------------------- views

    /**
     * The same elements in another shape; one size may be -1 (inferred). A view when the layout allows it (always
     * for contiguous tensors), a copy otherwise, as PyTorch's {@code reshape}.
     */
    public Tensor reshape(int... newShape) {
        int[] target = inferShape(newShape);
        int[] viewStrides = Views.reshapeStrides(shape, strides, target);
        if (viewStrides != null) return new Tensor(dtype, target, viewStrides, offset, storage);
        Tensor c = copy();
        return new Tensor(dtype, target, Shapes.contiguousStrides(target), 0, c.storage);
    }

    private int[] inferShape(int[] newShape) {
        int[] target = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: only one size may be -1 in " + Arrays.toString(newShape));
                infer = i;
            } else if (target[i] < 0) {
                throw new IllegalArgumentException("reshape: negative size in " + Arrays.toString(newShape));
            } else {
                known *= target[i];
            }
        }
        int n = numel();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException("reshape: cannot reshape tensor of shape " + Shapes.str(shape)
                        + " into " + Arrays.toString(newShape));
            }
            target[infer] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException("reshape: cannot reshape tensor of shape " + Shapes.str(shape) + " ("
                    + n + " elements) into " + Arrays.toString(newShape) + " (" + known + " elements)");
        }
        return target;
    }

    /** A view with the axes reordered: axis i of the result is axis {@code order[i]} of this tensor. */
    public Tensor permute(int... order) {
        if (order.length != shape.length) {
            throw new IllegalArgumentException("permute: order " + Arrays.toString(order) + " does not match rank "
                    + shape.length + " of shape " + Shapes.str(shape));
        }
        int[] s = new int[order.length], st = new int[order.length];
        boolean[] seen = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            int a = Shapes.axis("permute", order[i], shape.length);
            if (seen[a]) throw new IllegalArgumentException("permute: axis " + a + " repeats in " + Arrays.toString(order));
            seen[a] = true;
            s[i] = shape[a];
            st[i] = strides[a];
        }
        return new Tensor(dtype, s, st, offset, storage);
    }

    /** A view with two axes swapped. */
    public Tensor transpose(int axis0, int axis1) {
        int a = Shapes.axis("transpose", axis0, shape.length), b = Shapes.axis("transpose", axis1, shape.length);
        int[] order = new int[shape.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        order[a] = b;
        order[b] = a;
        return permute(order);
    }

    /** The transpose of a matrix (the last two axes swapped, for any rank ≥ 2). */
    public Tensor mT() {
        if (shape.length < 2) throw new IllegalArgumentException("mT: needs rank ≥ 2, got shape " + Shapes.str(shape));
        return transpose(-2, -1);
    }

    /** A view of {@code length} consecutive entries along an axis, starting at {@code start}. */
    public Tensor narrow(int axis, int start, int length) {
        int a = Shapes.axis("narrow", axis, shape.length);
        if (start < 0 || length < 0 || start + length > shape[a]) {
            throw new IndexOutOfBoundsException("narrow: range [" + start + ", " + (start + length)
                    + ") is out of bounds for axis " + a + " of size " + shape[a] + " (shape " + Shapes.str(shape) + ")");
        }
        int[] s = shape.clone();
        s[a] = length;
        return new Tensor(dtype, s, strides, offset + start * strides[a], storage);
    }

    /** A view of entries {@code start, start+step, ...} below {@code end} along an axis (step ≥ 1). */
    public Tensor slice(int axis, int start, int end, int step) {
        int a = Shapes.axis("slice", axis, shape.length);
        if (step < 1) throw new IllegalArgumentException("slice: step must be ≥ 1, got " + step);
        if (start < 0 || end > shape[a] || start > end) {
            throw new IndexOutOfBoundsException("slice: range [" + start + ", " + end + ") is out of bounds for axis "
                    + a + " of size " + shape[a] + " (shape " + Shapes.str(shape) + ")");
        }
        int[] s = shape.clone(), st = strides.clone();
        s[a] = (end - start + step - 1) / step;
        st[a] = strides[a] * step;
        return new Tensor(dtype, s, st, offset + start * strides[a], storage);
    }

    /** A view with one axis removed, fixed at {@code index}. */
    public Tensor select(int axis, int index) {
        int a = Shapes.axis("select", axis, shape.length);
        int k = index < 0 ? index + shape[a] : index;
        if (k < 0 || k >= shape[a]) {
            throw new IndexOutOfBoundsException("select: index " + index + " is out of bounds for axis " + a
                    + " of size " + shape[a] + " (shape " + Shapes.str(shape) + ")");
        }
        return new Tensor(dtype, Views.remove(shape, a), Views.remove(strides, a), offset + k * strides[a], storage);
    }

    /** A view broadcast to a larger shape (size-1 axes repeat with stride 0; -1 keeps a size), as PyTorch's expand. */
    public Tensor expand(int... target) {
        if (target.length < shape.length) {
            throw new IllegalArgumentException("expand: cannot expand shape " + Shapes.str(shape) + " to "
                    + Arrays.toString(target) + " of lower rank");
        }
        int[] s = target.clone();
        int lead = target.length - shape.length;
        for (int i = 0; i < lead; i++) {
            if (s[i] < 0) {
                throw new IllegalArgumentException("expand: new leading axes need sizes ≥ 0, got " + s[i] + " in "
                        + Arrays.toString(target) + " (shape " + Shapes.str(shape) + ")");
            }
        }
        for (int i = 0; i < shape.length; i++) {
            if (s[lead + i] == -1) s[lead + i] = shape[i];
            if (s[lead + i] < 0 || (shape[i] != s[lead + i] && shape[i] != 1)) {
                throw new IllegalArgumentException("expand: cannot expand shape " + Shapes.str(shape) + " to "
                        + Arrays.toString(target));
            }
        }
        return new Tensor(dtype, s, Shapes.broadcastStrides(shape, strides, s), offset, storage);
    }

    /** A view with all size-1 axes removed. */
    public Tensor squeeze() {
        int keep = 0;
        for (int s : shape) if (s != 1) keep++;
        int[] s = new int[keep], st = new int[keep];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (shape[i] != 1) {
                s[j] = shape[i];
                st[j++] = strides[i];
            }
        }
        return new Tensor(dtype, s, st, offset, storage);
    }

    /** A view with one size-1 axis removed. */
    public Tensor squeeze(int axis) {
        int a = Shapes.axis("squeeze", axis, shape.length);
        if (shape[a] != 1) {
            throw new IllegalArgumentException("squeeze: axis " + a + " of shape " + Shapes.str(shape) + " has size "
                    + shape[a] + ", not 1");
        }
        return new Tensor(dtype, Views.remove(shape, a), Views.remove(strides, a), offset, storage);
    }

    /** A view with a size-1 axis inserted at {@code axis} (in [-rank-1, rank]). */
    public Tensor unsqueeze(int axis) {
        int a = Shapes.axis("unsqueeze", axis, shape.length + 1);
        int st = a < shape.length ? strides[a] * shape[a] : 1;
        return new Tensor(dtype, Views.insert(shape, a, 1), Views.insert(strides, a, st), offset, storage);
    }

    /** Axes {@code start..end} (inclusive) merged into one. */
    public Tensor flatten(int startAxis, int endAxis) {
        if (shape.length == 0) {
            // A 0-d tensor flattens to one element, with axes 0 and -1 naming its one implicit axis (as PyTorch).
            for (int axis : new int[]{startAxis, endAxis}) {
                if (axis != 0 && axis != -1) {
                    throw new IndexOutOfBoundsException("flatten: axis " + axis + " is out of range for a 0-d tensor"
                            + " (only 0 and -1 are allowed)");
                }
            }
            return reshape(1);
        }
        int a = Shapes.axis("flatten", startAxis, shape.length), b = Shapes.axis("flatten", endAxis, shape.length);
        if (a > b) throw new IllegalArgumentException("flatten: start axis " + startAxis + " is after end axis " + endAxis);
        int[] s = new int[shape.length - (b - a)];
        int k = 0;
        for (int i = 0; i < a; i++) s[k++] = shape[i];
        int m = 1;
        for (int i = a; i <= b; i++) m *= shape[i];
        s[k++] = m;
        for (int i = b + 1; i < shape.length; i++) s[k++] = shape[i];
        return reshape(s);
    }

    // ---------------------------------------------------------------- elementwise (Elementwise.java)

    public Tensor add(Tensor other) { return Elementwise.binary("add", BinaryOp.ADD, this, other); }
    public Tensor sub(Tensor other) { return Elementwise.binary("sub", BinaryOp.SUB, this, other); }
    public Tensor mul(Tensor other) { return Elementwise.binary("mul", BinaryOp.MUL, this, other); }
    public Tensor div(Tensor other) { return Elementwise.binary("div", BinaryOp.DIV, this, other); }
    public Tensor pow(Tensor other) { return Elementwise.binary("pow", BinaryOp.POW, this, other); }
    public Tensor minimum(Tensor other) { return Elementwise.binary("minimum", BinaryOp.MIN, this, other); }
    public Tensor maximum(Tensor other) { return Elementwise.binary("maximum", BinaryOp.MAX, this, other); }

    public Tensor add(double s) { return Elementwise.binaryScalar("add", BinaryOp.ADD, this, s); }
    public Tensor sub(double s) { return Elementwise.binaryScalar("sub", BinaryOp.SUB, this, s); }
    public Tensor mul(double s) { return Elementwise.binaryScalar("mul", BinaryOp.MUL, this, s); }
    public Tensor div(double s) { return Elementwise.binaryScalar("div", BinaryOp.DIV, this, s); }
    public Tensor pow(double s) { return Elementwise.binaryScalar("pow", BinaryOp.POW, this, s); }
    public Tensor minimum(double s) { return Elementwise.binaryScalar("minimum", BinaryOp.MIN, this, s); }
    public Tensor maximum(double s) { return Elementwise.binaryScalar("maximum", BinaryOp.MAX, this, s); }

    /** {@code s - this}. */
    public Tensor rsub(double s) { return neg().add(s); }

    /** Values clamped to [lo, hi]. */
    public Tensor clamp(double lo, double hi) {
        if (lo > hi) throw new IllegalArgumentException("clamp: lower bound " + lo + " exceeds upper bound " + hi);
        return maximum(lo).minimum(hi);
    }

    /** Masks (1 where true, 0 where false) in this tensor's dtype, broadcast as the other ops. */
    public Tensor eq(Tensor other) { return Elementwise.binary("eq", BinaryOp.EQ, this, other); }
    public Tensor ne(Tensor other) { return Elementwise.binary("ne", BinaryOp.NE, this, other); }
    public Tensor lt(Tensor other) { return Elementwise.binary("lt", BinaryOp.LT, this, other); }
    public Tensor le(Tensor other) { return Elementwise.binary("le", BinaryOp.LE, this, other); }
    public Tensor gt(Tensor other) { return Elementwise.binary("gt", BinaryOp.GT, this, other); }
    public Tensor ge(Tensor other) { return Elementwise.binary("ge", BinaryOp.GE, this, other); }
    public Tensor eq(double s) { return Elementwise.binaryScalar("eq", BinaryOp.EQ, this, s); }
    public Tensor ne(double s) { return Elementwise.binaryScalar("ne", BinaryOp.NE, this, s); }
    public Tensor lt(double s) { return Elementwise.binaryScalar("lt", BinaryOp.LT, this, s); }
    public Tensor le(double s) { return Elementwise.binaryScalar("le", BinaryOp.LE, this, s); }
    public Tensor gt(double s) { return Elementwise.binaryScalar("gt", BinaryOp.GT, this, s); }
    public Tensor ge(double s) { return Elementwise.binaryScalar("ge", BinaryOp.GE, this, s); }

    public Tensor neg() { return Elementwise.unary(UnaryOp.NEG, this); }
    public Tensor exp() { return Elementwise.unary(UnaryOp.EXP, this); }
    public Tensor log() { return Elementwise.unary(UnaryOp.LOG, this); }
    public Tensor log1p() { return Elementwise.unary(UnaryOp.LOG1P, this); }
    public Tensor sqrt() { return Elementwise.unary(UnaryOp.SQRT, this); }
    public Tensor rsqrt() { return Elementwise.unary(UnaryOp.RSQRT, this); }
    public Tensor abs() { return Elementwise.unary(UnaryOp.ABS, this); }
    public Tensor sign() { return Elementwise.unary(UnaryOp.SIGN, this); }
    public Tensor tanh() { return Elementwise.unary(UnaryOp.TANH, this); }
    public Tensor sigmoid() { return Elementwise.unary(UnaryOp.SIGMOID, this); }
    public Tensor relu() { return Elementwise.unary(UnaryOp.RELU, this); }
    /** GELU, exact form {@code x Φ(x)} (PyTorch's default). */
    public Tensor gelu() { return Elementwise.unary(UnaryOp.GELU_ERF, this); }
    /** The derivative of {@link #gelu()}, {@code Φ(x) + x φ(x)}, computed in one pass (its backward). */
    public Tensor geluDerivative() { return Elementwise.unary(UnaryOp.GELU_ERF_GRAD, this); }
    /** {@code grad ⊙ GELU'(this)}, GELU's backward, with one temporary fewer than {@code grad.mul(geluDerivative())}. */
    public Tensor geluBackward(Tensor grad) { return Elementwise.geluBackward(this, grad); }
    /** GELU, tanh approximation (PyTorch's {@code approximate='tanh'}). */
    public Tensor geluTanh() { return Elementwise.unary(UnaryOp.GELU_TANH, this); }
    public Tensor erf() { return Elementwise.unary(UnaryOp.ERF, this); }
    public Tensor sin() { return Elementwise.unary(UnaryOp.SIN, this); }
    public Tensor cos() { return Elementwise.unary(UnaryOp.COS, this); }
    public Tensor square() { return Elementwise.unary(UnaryOp.SQUARE, this); }
    public Tensor reciprocal() { return Elementwise.unary(UnaryOp.RECIPROCAL, this); }

    /** Any elementwise function of one argument, applied in double precision. */
    public Tensor map(UnaryOp op) { return Elementwise.unary(op, this); }

    /** Elements of {@code ifTrue} where {@code condition} is non-zero, else of {@code ifFalse}; all three broadcast. */
    public static Tensor where(Tensor condition, Tensor ifTrue, Tensor ifFalse) {
        return Elementwise.where(condition, ifTrue, ifFalse);
    }

    /**
     * This tensor where {@code x > 0} and 0 elsewhere (also where x is NaN); x has this tensor's shape. ReLU's
     * backward, {@code g·[x > 0]}, in one pass.
     */
    public Tensor wherePositive(Tensor x) { return Elementwise.wherePositive(this, x); }

    /** This tensor with {@code value} wherever the mask (broadcast to this tensor's shape) is non-zero. */
    public Tensor maskedFill(Tensor mask, double value) {
        Shapes.requireBroadcastsTo("maskedFill", "mask of shape", mask.shapeRef(), "tensor's shape", shape);
        return Elementwise.where(mask, scalar(dtype, value), this);
    }

    /**
     * Whether the shapes are equal and every pair of elements satisfies {@code |a − b| ≤ atol + rtol·|b|} (as
     * NumPy's allclose, with equal infinities close and NaN close to nothing). Different shapes give false.
     */
    public boolean allClose(Tensor other, double rtol, double atol) {
        if (!Arrays.equals(shape, other.shape)) return false;
        double[] x = toDoubleArray(), y = other.toDoubleArray();
        for (int i = 0; i < x.length; i++) {
            if (Double.isInfinite(x[i]) || Double.isInfinite(y[i])) {
                if (x[i] != y[i]) return false;
            } else if (!(Math.abs(x[i] - y[i]) <= atol + rtol * Math.abs(y[i]))) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- reductions (Reductions.java)

    /** Sum of all elements, as a 0-d tensor. */
    public Tensor sum() { return Reductions.sum(this, allAxes(), false); }
    public Tensor sum(int axis) { return Reductions.sum(this, new int[]{axis}, false); }
    public Tensor sum(int[] axes, boolean keepDim) { return Reductions.sum(this, axes, keepDim); }
    public Tensor mean() { return Reductions.mean(this, allAxes(), false); }
    public Tensor mean(int axis) { return Reductions.mean(this, new int[]{axis}, false); }
    public Tensor mean(int[] axes, boolean keepDim) { return Reductions.mean(this, axes, keepDim); }

    /** Variance over the axes, dividing by (count − correction): 0 is the population variance, 1 the unbiased one. */
    public Tensor var(int[] axes, boolean keepDim, int correction) { return Reductions.var(this, axes, keepDim, correction); }

    public Tensor max() { return Reductions.max(this, allAxes(), false); }
    public Tensor max(int[] axes, boolean keepDim) { return Reductions.max(this, axes, keepDim); }
    public Tensor min() { return Reductions.min(this, allAxes(), false); }
    public Tensor min(int[] axes, boolean keepDim) { return Reductions.min(this, axes, keepDim); }

    /** Index of the (first) maximum along an axis, as integer values in this tensor's dtype. */
    public Tensor argmax(int axis, boolean keepDim) { return Reductions.argmax(this, axis, keepDim); }

    /** {@code log Σ exp(x)} over the axes, computed stably (the maximum is subtracted first). */
    public Tensor logsumexp(int[] axes, boolean keepDim) { return Reductions.logsumexp(this, axes, keepDim); }

    /** Softmax along one axis, stable for large logits. */
    public Tensor softmax(int axis) { return Reductions.softmax(this, axis); }

    /**
     * Attention's scaled, masked softmax over the last axis: softmax(scale·x) with the entries where {@code mask}
     * (broadcast to this shape) is non-zero given probability 0. The values of
     * {@code mul(scale).maskedFill(mask, −∞).softmax(−1)}, without their temporaries.
     */
    public Tensor maskedSoftmax(double scale, Tensor mask) { return Reductions.maskedSoftmax(this, scale, mask); }

    /**
     * The backward of a softmax over the last axis, times {@code scale} (that of a scaled softmax):
     * {@code scale·p ⊙ (g − Σ_last g ⊙ p)} for the probabilities p and the output gradient g, row by row.
     */
    public static Tensor softmaxBackward(Tensor p, Tensor g, double scale) { return Reductions.softmaxBackward(p, g, scale); }

    /** Log-softmax along one axis: {@code x - logsumexp(x)}. */
    public Tensor logSoftmax(int axis) { return Reductions.logSoftmax(this, axis); }

    /** The Frobenius (Euclidean) norm of all elements. */
    public double norm() {
        double[] v = toDoubleArray();
        double scale = 0, ssq = 1;
        // Scaled sum of squares, as LAPACK's nrm2: no overflow or underflow for extreme magnitudes.
        for (double x : v) {
            if (x != 0) {
                double ax = Math.abs(x);
                if (scale < ax) {
                    ssq = 1 + ssq * (scale / ax) * (scale / ax);
                    scale = ax;
                } else {
                    ssq += (ax / scale) * (ax / scale);
                }
            }
        }
        return scale * Math.sqrt(ssq);
    }

    private int[] allAxes() {
        int[] a = new int[shape.length];
        for (int i = 0; i < a.length; i++) a[i] = i;
        return a;
    }

    // ---------------------------------------------------------------- matmul (MatMul.java)

    /**
     * Matrix product with NumPy semantics: 1-D operands are promoted (and the added axis removed), leading axes are
     * batch axes and broadcast. Transposed and strided views are read without copying.
     */
    public Tensor matmul(Tensor other) {
        return MatMul.matmul(this, other);
    }

    /**
     * Writes {@code a · b} (matmul's broadcasting, operands of rank ≥ 2 and of this dtype) into this tensor's elements:
     * this has the product's shape and unit stride along its last axis, a slice of a larger tensor say, so that a
     * product lands where it belongs without a copy. Returns this.
     */
    public Tensor matmulInPlace(Tensor a, Tensor b) {
        MatMul.matmulInto(a, b, this);
        storage.bumpVersion();
        return this;
    }

    // ---------------------------------------------------------------- indexing and joining (Indexing.java)

    /** Entries {@code indices[i]} along an axis, in order (repeats allowed). */
    public Tensor indexSelect(int axis, int[] indices) { return Indexing.indexSelect(this, axis, indices); }

    /**
     * A tensor of this shape plus {@code source} added at the given positions along an axis: {@code out[..., indices[i],
     * ...] += source[..., i, ...]} (the adjoint of {@link #indexSelect}).
     */
    public Tensor indexAdd(int axis, int[] indices, Tensor source) { return Indexing.indexAdd(this, axis, indices, source); }

    /** {@code out[i][j][k] = this[i][index[i][j][k]][k]} for axis 1, likewise for others; index holds integer values. */
    public Tensor gather(int axis, Tensor index) { return Indexing.gather(this, axis, index); }

    /** This tensor plus {@code src} added at positions {@code index} along an axis (the adjoint of gather). */
    public Tensor scatterAdd(int axis, Tensor index, Tensor src) { return Indexing.scatterAdd(this, axis, index, src); }

    /** Rows (axis 0) summed per segment: {@code out[s] = Σ_{i: ids[i]=s} this[i]}, for s in [0, numSegments). */
    public Tensor segmentSum(int[] segmentIds, int numSegments) { return Indexing.segmentSum(this, segmentIds, numSegments); }

    /** Rows (axis 0) averaged per segment; an empty segment gives zeros. */
    public Tensor segmentMean(int[] segmentIds, int numSegments) { return Indexing.segmentMean(this, segmentIds, numSegments); }

    /** Tensors joined along an existing axis; all other sizes and the dtypes must agree. */
    public static Tensor concat(int axis, Tensor... parts) { return Indexing.concat(axis, parts); }

    /** Tensors of one shape stacked along a new axis. */
    public static Tensor stack(int axis, Tensor... parts) { return Indexing.stack(axis, parts); }

    /** Constant padding: {@code before[i]} and {@code after[i]} entries added on each side of axis i. */
    public Tensor pad(int[] before, int[] after, double value) { return Indexing.pad(this, before, after, value); }

    /** One-hot rows: shape {@code (labels.length, numClasses)}. */
    public static Tensor oneHot(DType dtype, int[] labels, int numClasses) { return Indexing.oneHot(dtype, labels, numClasses); }

    // ---------------------------------------------------------------- convolution support (Convolution.java)

    /**
     * im2col: an input of shape (N, C, H, W) becomes (N, C·kH·kW, L), one column per output position (L = outH·outW),
     * rows ordered (c, kh, kw) as PyTorch's {@code unfold}.
     */
    public Tensor unfold(ConvGeometry g) { return Convolution.unfold(this, g); }

    /** col2im, the adjoint of {@link #unfold}: (N, C·kH·kW, L) summed back into (N, C, H, W). */
    public Tensor fold(ConvGeometry g, int height, int width) { return Convolution.fold(this, g, height, width); }

    /**
     * The patches of all images side by side: (N, C, H, W) becomes (C·kH·kW, N·L), column n·L + l holding patch l of
     * image n. These are {@link #unfold}'s entries with the batch moved into the columns, so that a convolution of the
     * whole batch is one matrix product {@code W · cols}, and the patches as rows, (N·L, C·kH·kW), are its transpose.
     */
    public Tensor unfoldColumns(ConvGeometry g) { return Convolution.unfoldColumns(this, g); }

    /** The adjoint of {@link #unfoldColumns}: (C·kH·kW, N·L) summed back into (N, C, H, W). */
    public Tensor foldColumns(ConvGeometry g, int height, int width) {
        return Convolution.foldColumns(this, g, height, width);
    }

    /**
     * The convolution of this input (N, C, H, W) with {@code weight} (C_out, C·kH·kW, PyTorch's (C_out, C, kH, kW)
     * flattened) plus an optional {@code bias} (C_out): (N, C_out, outH, outW). The values of
     * {@code weight · unfoldColumns(g) + bias}, rearranged, computed image by image without the batch's patches.
     */
    public Tensor conv2d(Tensor weight, Tensor bias, ConvGeometry g) { return Convolution.conv2d(this, weight, bias, g); }

    /**
     * The gradient of {@link #conv2d} with respect to its weight, for this input and the output gradient
     * {@code grad} (N, C_out, outH, outW): {@code Σ_n G_n P_nᵀ}, (C_out, C·kH·kW), summed over the fixed blocks of
     * images of {@link #conv2dWeightGradBlocks}: per block the values of {@code G_blk · unfoldColumns(x_blk)ᵀ}, the
     * blocks added in order.
     */
    public Tensor conv2dWeightGrad(Tensor grad, ConvGeometry g) { return Convolution.conv2dWeightGrad(this, grad, g); }

    /**
     * Where the blocks of images of {@link #conv2dWeightGrad} start, for a batch of n, plus n at the end: its order of
     * summation, fixed by n alone (not by the thread count), for a differentiable form that must give the same bits.
     */
    public static int[] conv2dWeightGradBlocks(int n) { return Convolution.imageBlocks(n); }

    /**
     * The gradient of {@link #conv2d} with respect to its input (N, C, height, width), for the weight and the output
     * gradient {@code grad}: the columns {@code Wᵀ G_n} folded back, image by image.
     */
    public static Tensor conv2dInputGrad(Tensor weight, Tensor grad, ConvGeometry g, int height, int width) {
        return Convolution.conv2dInputGrad(weight, grad, g, height, width);
    }

    // ---------------------------------------------------------------- layer normalisation (Normalization.java)

    /**
     * Layer normalisation over the trailing {@code features} elements (the product of the last axes): per row
     * x̂ = (x − μ)/√(σ² + ε), μ and the biased σ² accumulated in double, and the output x̂·weight + bias (weight and bias
     * of {@code features} elements, or both null). Returns {output, x̂, rstd}, rstd = 1/√(σ² + ε) with one element per
     * row, which {@link #layerNormBackward} takes.
     */
    public Tensor[] layerNorm(int features, Tensor weight, Tensor bias, double eps) {
        return Normalization.layerNorm(this, features, weight, bias, eps);
    }

    /**
     * The gradients of {@link #layerNorm} for the output gradient {@code grad}: with g' = grad·weight,
     * ∂x = rstd·(g' − mean(g') − x̂·mean(g'·x̂)) per row, ∂weight = Σ_rows grad·x̂ and ∂bias = Σ_rows grad (flat, of
     * {@code features} elements; null without a weight). Returns {∂x, ∂weight, ∂bias}.
     */
    public static Tensor[] layerNormBackward(Tensor grad, Tensor normalized, Tensor rstd, Tensor weight, int features) {
        return Normalization.layerNormBackward(grad, normalized, rstd, weight, features);
    }

    // ---------------------------------------------------------------- in place, for optimizers

    /** {@code this += alpha · x} in place (x broadcast to this shape); returns this. */
    public Tensor addScaledInPlace(double alpha, Tensor x) {
        Elementwise.addScaledInPlace(this, alpha, x);
        return this;
    }

    /** {@code this *= s} in place; returns this. */
    public Tensor mulInPlace(double s) {
        Elementwise.scaleInPlace(this, s);
        return this;
    }

    /** Overwrites this tensor with {@code src} (broadcast to this shape); returns this. */
    public Tensor copyFromInPlace(Tensor src) {
        Elementwise.copyFromInPlace(this, src);
        return this;
    }

    /**
     * {@code this = this · [x > 0]} in place (0 also where x is NaN), for a contiguous tensor of x's shape; returns
     * this. ReLU's backward over a gradient that nothing else holds.
     */
    public Tensor wherePositiveInPlace(Tensor x) {
        Elementwise.wherePositiveInPlace(this, x);
        return this;
    }

    /** Sets every element to {@code value}; returns this. */
    public Tensor fillInPlace(double value) {
        return copyFromInPlace(full(dtype, value));
    }

    // ---------------------------------------------------------------- printing

    /** NumPy-like text for tensors up to 1000 elements; a summary for larger ones. */
    @Override
    public String toString() {
        return TensorFormat.format(this);
    }
}
