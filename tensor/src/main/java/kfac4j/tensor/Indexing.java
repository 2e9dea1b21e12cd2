package kfac4j.tensor;

import java.util.Arrays;

import kfac4j.tensor.kernel.BinaryOp;

/**
 * Indexing, scattering, segment reductions and joining. Most of these move whole rows: the tensor is read as a
 * contiguous block {@code (outer, size, inner)} around the indexed axis, so each index moves a run of {@code inner}
 * elements with {@link System#arraycopy} or an axpy kernel.
 */
final class Indexing {
    private Indexing() {
    }

    private static int product(int[] shape, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        return p;
    }

    private static void checkIndices(String op, int[] indices, int size, int axis, Tensor x) {
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= size) {
                throw new IndexOutOfBoundsException(op + ": index " + indices[i] + " at position " + i
                        + " is out of bounds for axis " + axis + " of size " + size + " (shape "
                        + Shapes.str(x.shapeRef()) + ")");
            }
        }
    }

    private static void requireSameDtype(String op, Tensor x, Tensor other, String what) {
        if (x.dtype() != other.dtype()) {
            throw new IllegalArgumentException(op + ": " + what + " has dtype " + other.dtype()
                    + " but the tensor has dtype " + x.dtype());
        }
    }

    // ---------------------------------------------------------------- index_select and its adjoint

    static Tensor indexSelect(Tensor x, int axis, int[] indices) {
        int[] shape = x.shapeRef();
        int a = Shapes.axis("indexSelect", axis, shape.length);
        checkIndices("indexSelect", indices, shape[a], a, x);
        int[] outShape = shape.clone();
        outShape[a] = indices.length;
        Tensor out = Tensor.allocateForOverwrite(x.dtype(), outShape);
        if (out.numel() == 0) return out;
        Tensor c = x.contiguous();
        int outer = product(shape, 0, a), inner = product(shape, a + 1, shape.length), size = shape[a], k = indices.length;
        Object src = c.data(), dst = out.data();
        for (int o = 0; o < outer; o++) {
            int from = c.offset() + o * size * inner, to = o * k * inner;
            for (int i = 0; i < k; i++) System.arraycopy(src, from + indices[i] * inner, dst, to + i * inner, inner);
        }
        return out;
    }

    static Tensor indexAdd(Tensor x, int axis, int[] indices, Tensor source) {
        int[] shape = x.shapeRef();
        int a = Shapes.axis("indexAdd", axis, shape.length);
        int[] expected = shape.clone();
        expected[a] = indices.length;
        if (!Arrays.equals(source.shapeRef(), expected)) {
            throw new IllegalArgumentException("indexAdd: source of shape " + Shapes.str(source.shapeRef())
                    + " does not fit " + indices.length + " indices along axis " + a + " of a tensor of shape "
                    + Shapes.str(shape) + " (expected source shape " + Shapes.str(expected) + ")");
        }
        requireSameDtype("indexAdd", x, source, "source");
        checkIndices("indexAdd", indices, shape[a], a, x);
        Tensor out = x.copy();
        if (source.numel() == 0) return out;
        Tensor s = source.contiguous();
        int outer = product(shape, 0, a), inner = product(shape, a + 1, shape.length), size = shape[a], k = indices.length;
        for (int o = 0; o < outer; o++) {
            int from = s.offset() + o * k * inner, to = o * size * inner;
            for (int i = 0; i < k; i++) {
                Rows.axpy(inner, 1.0, s.data(), from + i * inner, out.data(), to + indices[i] * inner);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- gather and scatter_add

    /** The integer values of an index tensor, checked to be whole numbers in [0, bound). */
    private static int[] indexValues(String op, Tensor index, int bound, int axis, Tensor x) {
        double[] v = index.toDoubleArray();
        int[] out = new int[v.length];
        int[] shape = index.shapeRef();
        for (int i = 0; i < v.length; i++) {
            double d = v[i];
            if (d != Math.rint(d)) {
                throw new IllegalArgumentException(op + ": index tensor holds " + d + " at " + position(shape, i)
                        + ", not an integer");
            }
            if (d < 0 || d >= bound) {
                throw new IndexOutOfBoundsException(op + ": index " + (long) d + " at " + position(shape, i)
                        + " is out of bounds for axis " + axis + " of size " + bound + " (shape "
                        + Shapes.str(x.shapeRef()) + ")");
            }
            out[i] = (int) d;
        }
        return out;
    }

    /** The multi-index of row-major position i, for messages. */
    private static String position(int[] shape, int i) {
        int[] idx = new int[shape.length];
        for (int a = shape.length - 1; a >= 0; a--) {
            idx[a] = i % shape[a];
            i /= shape[a];
        }
        return Arrays.toString(idx);
    }

    /** Index and source shapes as PyTorch requires: equal rank, index no larger than src, nor than x off the axis. */
    private static void checkScatterShapes(String op, Tensor x, int a, Tensor index, Tensor src) {
        int[] xs = x.shapeRef(), is = index.shapeRef();
        if (is.length != xs.length || (src != null && src.rank() != xs.length)) {
            throw new IllegalArgumentException(op + ": index of shape " + Shapes.str(is)
                    + (src != null ? " and source of shape " + Shapes.str(src.shapeRef()) : "")
                    + " must have the rank of the tensor's shape " + Shapes.str(xs));
        }
        for (int d = 0; d < xs.length; d++) {
            if (d != a && is[d] > xs[d]) {
                throw new IllegalArgumentException(op + ": index of shape " + Shapes.str(is)
                        + " is larger than the tensor's shape " + Shapes.str(xs) + " on axis " + d + " (only axis " + a
                        + " may differ)");
            }
            if (src != null && is[d] > src.shapeRef()[d]) {
                throw new IllegalArgumentException(op + ": index of shape " + Shapes.str(is)
                        + " is larger than the source's shape " + Shapes.str(src.shapeRef()) + " on axis " + d);
            }
        }
    }

    static Tensor gather(Tensor x, int axis, Tensor index) {
        int a = Shapes.axis("gather", axis, x.rank());
        checkScatterShapes("gather", x, a, index, null);
        Tensor out = Tensor.allocateForOverwrite(x.dtype(), index.shapeRef());
        int n = out.numel();
        if (n == 0) return out;
        int[] iv = indexValues("gather", index, x.shapeRef()[a], a, x);
        int[] is = index.shapeRef(), xst = x.stridesRef();
        int rank = is.length, last = rank - 1, inner = is[last];
        // The walk over index positions keeps xo at x[position with the axis component 0]; the index adds the rest.
        int along = xst[a], step = a == last ? 0 : xst[last];
        int[] idx = new int[rank];
        int xo = x.offset();
        for (int p = 0; p < n; p += inner) {
            if (x.dtype() == DType.F32) {
                float[] src = x.f32(), dst = out.f32();
                for (int j = 0; j < inner; j++) dst[p + j] = src[xo + j * step + iv[p + j] * along];
            } else {
                double[] src = x.f64(), dst = out.f64();
                for (int j = 0; j < inner; j++) dst[p + j] = src[xo + j * step + iv[p + j] * along];
            }
            for (int d = last - 1; d >= 0; d--) {
                int st = d == a ? 0 : xst[d];
                xo += st;
                if (++idx[d] < is[d]) break;
                xo -= st * is[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    static Tensor scatterAdd(Tensor x, int axis, Tensor index, Tensor src) {
        int a = Shapes.axis("scatterAdd", axis, x.rank());
        checkScatterShapes("scatterAdd", x, a, index, src);
        requireSameDtype("scatterAdd", x, src, "source");
        int[] iv = indexValues("scatterAdd", index, x.shapeRef()[a], a, x);
        Tensor out = x.copy();
        int n = index.numel();
        if (n == 0) return out;
        int[] is = index.shapeRef(), ost = out.stridesRef(), sst = src.stridesRef();
        int rank = is.length, last = rank - 1, inner = is[last];
        int along = ost[a], step = a == last ? 0 : ost[last], srcStep = sst[last];
        int[] idx = new int[rank];
        int oo = 0, so = src.offset();
        for (int p = 0; p < n; p += inner) {
            if (x.dtype() == DType.F32) {
                float[] s = src.f32(), dst = out.f32();
                for (int j = 0; j < inner; j++) dst[oo + j * step + iv[p + j] * along] += s[so + j * srcStep];
            } else {
                double[] s = src.f64(), dst = out.f64();
                for (int j = 0; j < inner; j++) dst[oo + j * step + iv[p + j] * along] += s[so + j * srcStep];
            }
            for (int d = last - 1; d >= 0; d--) {
                int st = d == a ? 0 : ost[d];
                oo += st;
                so += sst[d];
                if (++idx[d] < is[d]) break;
                oo -= st * is[d];
                so -= sst[d] * is[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- segment reductions (ragged batches)

    static Tensor segmentSum(Tensor x, int[] ids, int numSegments) {
        return segment("segmentSum", x, ids, numSegments, false);
    }

    static Tensor segmentMean(Tensor x, int[] ids, int numSegments) {
        return segment("segmentMean", x, ids, numSegments, true);
    }

    /** out[s] = Σ_{i: ids[i] = s} x[i] (divided by the count for the mean), rows taken in order. */
    private static Tensor segment(String op, Tensor x, int[] ids, int numSegments, boolean mean) {
        int[] shape = x.shapeRef();
        if (shape.length == 0) throw new IllegalArgumentException(op + ": needs rank ≥ 1, got a 0-d tensor");
        if (numSegments < 0) throw new IllegalArgumentException(op + ": number of segments must be ≥ 0, got " + numSegments);
        if (ids.length != shape[0]) {
            throw new IllegalArgumentException(op + ": " + ids.length + " segment ids for " + shape[0]
                    + " rows (shape " + Shapes.str(shape) + ")");
        }
        int[] count = new int[numSegments];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= numSegments) {
                throw new IndexOutOfBoundsException(op + ": segment id " + ids[i] + " of row " + i
                        + " is out of bounds for " + numSegments + " segments");
            }
            count[ids[i]]++;
        }
        int[] outShape = shape.clone();
        outShape[0] = numSegments;
        Tensor out = Tensor.allocate(x.dtype(), outShape);
        int inner = product(shape, 1, shape.length);
        if (inner == 0) return out;
        Tensor c = x.contiguous();
        for (int i = 0; i < ids.length; i++) {
            Rows.axpy(inner, 1.0, c.data(), c.offset() + i * inner, out.data(), ids[i] * inner);
        }
        if (mean) {
            for (int s = 0; s < numSegments; s++) {
                if (count[s] > 1) {
                    Object f = Rows.scalar(x.dtype(), count[s]);
                    Rows.binary(BinaryOp.DIV, out.data(), s * inner, 1, f, 0, 0, out.data(),
                            s * inner, inner);
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- joining

    static Tensor concat(int axis, Tensor... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("concat: needs at least one tensor");
        for (int p = 0; p < parts.length; p++) {
            if (parts[p] == null) throw new IllegalArgumentException("concat: tensor " + p + " is null");
        }
        int[] first = parts[0].shapeRef();
        if (first.length == 0) throw new IllegalArgumentException("concat: cannot join 0-d tensors along an axis");
        int a = Shapes.axis("concat", axis, first.length);
        DType dtype = parts[0].dtype();
        int total = 0;
        for (int p = 0; p < parts.length; p++) {
            int[] s = parts[p].shapeRef();
            boolean fits = s.length == first.length;
            for (int d = 0; d < s.length && fits; d++) fits = d == a || s[d] == first[d];
            if (!fits) {
                throw new IllegalArgumentException("concat: tensor " + p + " has shape " + Shapes.str(s)
                        + " but tensor 0 has shape " + Shapes.str(first) + "; sizes must agree except along axis " + a);
            }
            dtype = DType.promote(dtype, parts[p].dtype());
            total += s[a];
        }
        int[] outShape = first.clone();
        outShape[a] = total;
        Tensor out = Tensor.allocateForOverwrite("concat", dtype, outShape);
        if (out.numel() == 0) return out;
        int outer = product(first, 0, a), inner = product(first, a + 1, first.length);
        int start = 0;
        for (Tensor part : parts) {
            int chunk = part.shapeRef()[a] * inner;
            if (chunk == 0) continue; // an empty part may be a view at any offset: read nothing
            Tensor c = part.to(dtype).contiguous();
            for (int o = 0; o < outer; o++) {
                System.arraycopy(c.data(), c.offset() + o * chunk, out.data(), o * total * inner + start, chunk);
            }
            start += chunk;
        }
        return out;
    }

    static Tensor stack(int axis, Tensor... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("stack: needs at least one tensor");
        for (int p = 0; p < parts.length; p++) {
            if (parts[p] == null) throw new IllegalArgumentException("stack: tensor " + p + " is null");
        }
        int[] first = parts[0].shapeRef();
        int a = Shapes.axis("stack", axis, first.length + 1);
        Tensor[] expanded = new Tensor[parts.length];
        for (int p = 0; p < parts.length; p++) {
            if (!Arrays.equals(parts[p].shapeRef(), first)) {
                throw new IllegalArgumentException("stack: tensor " + p + " has shape " + Shapes.str(parts[p].shapeRef())
                        + " but tensor 0 has shape " + Shapes.str(first) + "; all shapes must be equal");
            }
            expanded[p] = parts[p].unsqueeze(a);
        }
        return concat(a, expanded);
    }

    static Tensor pad(Tensor x, int[] before, int[] after, double value) {
        int[] shape = x.shapeRef();
        if (before.length != shape.length || after.length != shape.length) {
            throw new IllegalArgumentException("pad: " + before.length + " sizes before and " + after.length
                    + " after for a tensor of shape " + Shapes.str(shape) + " (one per axis on each side)");
        }
        int[] outShape = shape.clone();
        for (int d = 0; d < shape.length; d++) {
            if (before[d] < 0 || after[d] < 0) {
                throw new IllegalArgumentException("pad: padding must be ≥ 0, got " + before[d] + " before and "
                        + after[d] + " after axis " + d + " (shape " + Shapes.str(shape) + ")");
            }
            long size = (long) shape[d] + before[d] + after[d];
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("pad: axis " + d + " would have " + size + " entries (shape "
                        + Shapes.str(shape) + ")");
            }
            outShape[d] = (int) size;
        }
        Shapes.checkShape("pad", outShape);
        Tensor out = Tensor.full(x.dtype(), value, outShape);
        if (x.numel() == 0) return out;
        // The interior of the output as a view, filled by one strided copy.
        int[] st = out.stridesRef();
        int offset = 0;
        for (int d = 0; d < shape.length; d++) offset += before[d] * st[d];
        Elementwise.copyInto(x, new Tensor(x.dtype(), shape.clone(), st.clone(), offset, out.storage));
        return out;
    }

    static Tensor oneHot(DType dtype, int[] labels, int numClasses) {
        if (numClasses < 0) throw new IllegalArgumentException("oneHot: number of classes must be ≥ 0, got " + numClasses);
        Tensor out = Tensor.allocate("oneHot", dtype, new int[]{labels.length, numClasses});
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IndexOutOfBoundsException("oneHot: label " + labels[i] + " at position " + i
                        + " is out of bounds for " + numClasses + " classes");
            }
            out.setFlat(i * numClasses + labels[i], 1.0);
        }
        return out;
    }
}
