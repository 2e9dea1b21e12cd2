package kfac4j.tensor;

import static kfac4j.tensor.Reference.assertTensor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Indexing, scattering, segment reductions, joining and padding, against index arithmetic written here. */
class IndexingTest {
    private static final Layouts.Layout[] LAYOUTS = Layouts.Layout.values();

    private static DType dtype(Random rnd) {
        return rnd.nextBoolean() ? DType.F32 : DType.F64;
    }

    private static double dot(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += x[i] * y[i];
        return s;
    }

    // ---------------------------------------------------------------- indexSelect / indexAdd

    @Test
    void indexSelectPicksEntriesInOrderWithRepeats() {
        Random rnd = new Random(40);
        for (int trial = 0; trial < 60; trial++) {
            int rank = 1 + rnd.nextInt(3);
            int[] shape = Layouts.shape(rnd, rank, 1, 2, 3, 5, trial % 10 == 0 ? 0 : 4);
            int axis = rnd.nextInt(rank);
            int[] idx = new int[shape[axis] == 0 ? 0 : rnd.nextInt(6)];
            for (int i = 0; i < idx.length; i++) idx[i] = rnd.nextInt(shape[axis]);
            DType dt = dtype(rnd);
            double[] v = Layouts.values(rnd, Reference.numel(shape), dt);
            Tensor x = Layouts.build(v, shape, dt, LAYOUTS[rnd.nextInt(3)]);
            int[] os = shape.clone();
            os[axis] = idx.length;
            double[] expected = new double[Reference.numel(os)];
            for (int flat = 0; flat < expected.length; flat++) {
                int[] o = Reference.unravel(flat, os);
                o[axis] = idx[o[axis]];
                expected[flat] = v[Reference.ravel(o, shape)];
            }
            assertTensor(x.indexSelect(axis - (rnd.nextBoolean() ? rank : 0), idx), dt, os, expected, 0);
        }
    }

    @Test
    void indexAddAccumulatesRepeatsAndIsTheAdjointOfIndexSelect() {
        Random rnd = new Random(41);
        for (int trial = 0; trial < 40; trial++) {
            int rank = 1 + rnd.nextInt(3);
            int[] shape = Layouts.shape(rnd, rank, 1, 2, 3, 5);
            int axis = rnd.nextInt(rank);
            int[] idx = new int[rnd.nextInt(7)];
            for (int i = 0; i < idx.length; i++) idx[i] = rnd.nextInt(shape[axis]);
            int[] ss = shape.clone();
            ss[axis] = idx.length;
            DType dt = DType.F64;
            double[] base = Layouts.values(rnd, Reference.numel(shape), dt), sv = Layouts.values(rnd, Reference.numel(ss), dt);
            Tensor x = Layouts.build(base, shape, dt, LAYOUTS[rnd.nextInt(3)]);
            Tensor src = Layouts.build(sv, ss, dt, LAYOUTS[rnd.nextInt(3)]);
            double[] expected = base.clone();
            for (int flat = 0; flat < sv.length; flat++) {
                int[] s = Reference.unravel(flat, ss);
                s[axis] = idx[s[axis]];
                expected[Reference.ravel(s, shape)] += sv[flat];
            }
            assertTensor(x.indexAdd(axis, idx, src), dt, shape, expected, 1e-15);
            assertThat(x.toDoubleArray()).containsExactly(base);
            // ⟨select(x), y⟩ = ⟨x, add(0, y)⟩
            assertThat(dot(x.indexSelect(axis, idx), src))
                    .isCloseTo(dot(x, x.zerosLike().indexAdd(axis, idx, src)), org.assertj.core.data.Offset.offset(1e-12));
        }
    }

    @Test
    void indexErrorsNameTheIndexAndTheBound() {
        Tensor x = Tensor.zeros(DType.F32, 4, 3);
        assertThatThrownBy(() -> x.indexSelect(0, new int[]{1, 4}))
                .hasMessage("indexSelect: index 4 at position 1 is out of bounds for axis 0 of size 4 (shape [4, 3])");
        assertThatThrownBy(() -> x.indexSelect(1, new int[]{-1}))
                .hasMessage("indexSelect: index -1 at position 0 is out of bounds for axis 1 of size 3 (shape [4, 3])");
        assertThatThrownBy(() -> x.indexSelect(2, new int[]{0}))
                .hasMessage("indexSelect: axis 2 is out of range for a tensor of rank 2");
        assertThatThrownBy(() -> x.indexAdd(0, new int[]{0, 9}, Tensor.zeros(DType.F32, 2, 3)))
                .hasMessage("indexAdd: index 9 at position 1 is out of bounds for axis 0 of size 4 (shape [4, 3])");
        assertThatThrownBy(() -> x.indexAdd(0, new int[]{0}, Tensor.zeros(DType.F32, 2, 3)))
                .hasMessage("indexAdd: source of shape [2, 3] does not fit 1 indices along axis 0 of a tensor of shape "
                        + "[4, 3] (expected source shape [1, 3])");
        assertThatThrownBy(() -> x.indexAdd(1, new int[]{0}, Tensor.zeros(DType.F64, 4, 1)))
                .hasMessage("indexAdd: source has dtype F64 but the tensor has dtype F32");
    }

    // ---------------------------------------------------------------- gather / scatterAdd

    /** A random index tensor for gather/scatter: no larger than {@code limit} off the axis, values in [0, size). */
    private static int[] indexShape(Random rnd, int[] limit, int axis) {
        int[] s = limit.clone();
        for (int d = 0; d < s.length; d++) s[d] = d == axis ? rnd.nextInt(5) : rnd.nextInt(limit[d] + 1);
        return s;
    }

    @Test
    void gatherReadsAlongTheAxisAtTheGivenIndices() {
        Random rnd = new Random(42);
        for (int trial = 0; trial < 80; trial++) {
            int rank = 1 + rnd.nextInt(3);
            int[] shape = Layouts.shape(rnd, rank, 1, 2, 3, 5);
            int axis = rnd.nextInt(rank);
            int[] is = trial % 2 == 0 ? shape.clone() : indexShape(rnd, shape, axis);
            if (trial % 2 == 0) is[axis] = 1 + rnd.nextInt(4);
            double[] iv = new double[Reference.numel(is)];
            for (int i = 0; i < iv.length; i++) iv[i] = rnd.nextInt(shape[axis]);
            DType dt = dtype(rnd);
            double[] v = Layouts.values(rnd, Reference.numel(shape), dt);
            Tensor x = Layouts.build(v, shape, dt, LAYOUTS[rnd.nextInt(3)]);
            Tensor index = Layouts.build(iv, is, dtype(rnd), LAYOUTS[rnd.nextInt(3)]);
            double[] expected = new double[iv.length];
            for (int flat = 0; flat < iv.length; flat++) {
                int[] p = Reference.unravel(flat, is);
                p[axis] = (int) iv[flat];
                expected[flat] = v[Reference.ravel(p, shape)];
            }
            assertTensor(x.gather(axis, index), dt, is, expected, 0);
        }
        // The cross-entropy pattern: one class per row.
        Tensor logits = Tensor.arange(DType.F32, 12).reshape(3, 4);
        assertTensor(logits.gather(1, Tensor.of(2, 0, 3).reshape(3, 1)), new int[]{3, 1}, new double[]{2, 4, 11});
    }

    @Test
    void scatterAddAccumulatesAndIsTheAdjointOfGather() {
        Random rnd = new Random(43);
        for (int trial = 0; trial < 60; trial++) {
            int rank = 1 + rnd.nextInt(3);
            int[] shape = Layouts.shape(rnd, rank, 1, 2, 3, 5);
            int axis = rnd.nextInt(rank);
            int[] is = indexShape(rnd, shape, axis);
            int[] ss = is.clone();
            for (int d = 0; d < ss.length; d++) ss[d] += rnd.nextInt(2); // the source may be larger than the index
            double[] iv = new double[Reference.numel(is)];
            for (int i = 0; i < iv.length; i++) iv[i] = rnd.nextInt(shape[axis]);
            DType dt = DType.F64;
            double[] base = Layouts.values(rnd, Reference.numel(shape), dt), sv = Layouts.values(rnd, Reference.numel(ss), dt);
            Tensor x = Layouts.build(base, shape, dt, LAYOUTS[rnd.nextInt(3)]);
            Tensor index = Layouts.build(iv, is, DType.F32, LAYOUTS[rnd.nextInt(3)]);
            Tensor src = Layouts.build(sv, ss, dt, LAYOUTS[rnd.nextInt(3)]);
            double[] expected = base.clone();
            for (int flat = 0; flat < iv.length; flat++) {
                int[] p = Reference.unravel(flat, is);
                double s = sv[Reference.ravel(p, ss)];
                p[axis] = (int) iv[flat];
                expected[Reference.ravel(p, shape)] += s;
            }
            assertTensor(x.scatterAdd(axis, index, src), dt, shape, expected, 1e-15);
            if (Arrays.equals(ss, is)) {
                assertThat(dot(x.gather(axis, index), src)).isCloseTo(
                        dot(x, x.zerosLike().scatterAdd(axis, index, src)), org.assertj.core.data.Offset.offset(1e-12));
            }
        }
    }

    @Test
    void gatherAndScatterErrorsNameShapesIndicesAndBounds() {
        Tensor x = Tensor.zeros(DType.F32, 2, 3);
        assertThatThrownBy(() -> x.gather(1, Tensor.of(new double[][]{{0, 3}})))
                .hasMessage("gather: index 3 at [0, 1] is out of bounds for axis 1 of size 3 (shape [2, 3])");
        assertThatThrownBy(() -> x.gather(0, Tensor.of(new double[][]{{0, -1}})))
                .hasMessage("gather: index -1 at [0, 1] is out of bounds for axis 0 of size 2 (shape [2, 3])");
        assertThatThrownBy(() -> x.gather(1, Tensor.of(new double[][]{{0.5}})))
                .hasMessage("gather: index tensor holds 0.5 at [0, 0], not an integer");
        assertThatThrownBy(() -> x.gather(1, Tensor.of(new double[][]{{Double.NaN}})))
                .hasMessage("gather: index tensor holds NaN at [0, 0], not an integer");
        assertThatThrownBy(() -> x.gather(1, Tensor.of(0, 1)))
                .hasMessage("gather: index of shape [2] must have the rank of the tensor's shape [2, 3]");
        assertThatThrownBy(() -> x.gather(1, Tensor.zeros(DType.F32, 3, 1)))
                .hasMessage("gather: index of shape [3, 1] is larger than the tensor's shape [2, 3] on axis 0 (only axis 1 may differ)");
        assertThatThrownBy(() -> x.scatterAdd(0, Tensor.zeros(DType.F32, 1, 2), Tensor.zeros(DType.F32, 1, 1)))
                .hasMessage("scatterAdd: index of shape [1, 2] is larger than the source's shape [1, 1] on axis 1");
        assertThatThrownBy(() -> x.scatterAdd(0, Tensor.zeros(DType.F32, 1, 2), Tensor.zeros(DType.F64, 1, 2)))
                .hasMessage("scatterAdd: source has dtype F64 but the tensor has dtype F32");
        assertThatThrownBy(() -> x.scatterAdd(0, Tensor.full(DType.F32, 2, 1, 1), Tensor.zeros(DType.F32, 1, 1)))
                .hasMessage("scatterAdd: index 2 at [0, 0] is out of bounds for axis 0 of size 2 (shape [2, 3])");
        assertThatThrownBy(() -> x.scatterAdd(0, Tensor.zeros(DType.F32, 1, 1), Tensor.zeros(DType.F32, 1)))
                .hasMessage("scatterAdd: index of shape [1, 1] and source of shape [1] must have the rank of the tensor's shape [2, 3]");
    }

    // ---------------------------------------------------------------- segment reductions

    @Test
    void segmentSumAndMeanGroupRaggedRows() {
        Random rnd = new Random(44);
        for (int trial = 0; trial < 40; trial++) {
            int rows = rnd.nextInt(12), segments = 1 + rnd.nextInt(5);
            int[] shape = trial % 3 == 0 ? new int[]{rows} : new int[]{rows, 1 + rnd.nextInt(4), trial % 5 == 0 ? 0 : 2};
            int[] ids = new int[rows];
            for (int i = 0; i < rows; i++) ids[i] = rnd.nextInt(segments); // unsorted, some segments empty
            DType dt = dtype(rnd);
            double[] v = Layouts.values(rnd, Reference.numel(shape), dt);
            Tensor x = Layouts.build(v, shape, dt, LAYOUTS[rnd.nextInt(3)]);
            int[] os = shape.clone();
            os[0] = segments;
            int inner = Reference.numel(os) / segments;
            double[] sum = new double[Reference.numel(os)], mean = new double[sum.length];
            int[] count = new int[segments];
            for (int i = 0; i < rows; i++) {
                count[ids[i]]++;
                for (int j = 0; j < inner; j++) sum[ids[i] * inner + j] += v[i * inner + j];
            }
            for (int s = 0; s < segments; s++) {
                for (int j = 0; j < inner; j++) mean[s * inner + j] = count[s] == 0 ? 0 : sum[s * inner + j] / count[s];
            }
            assertTensor(x.segmentSum(ids, segments), dt, os, sum, Reference.tol(dt) * 4);
            assertTensor(x.segmentMean(ids, segments), dt, os, mean, Reference.tol(dt) * 4);
        }
    }

    @Test
    void segmentErrorsNameTheIdAndTheBound() {
        Tensor x = Tensor.zeros(DType.F32, 3, 2);
        assertThatThrownBy(() -> x.segmentSum(new int[]{0, 1}, 2))
                .hasMessage("segmentSum: 2 segment ids for 3 rows (shape [3, 2])");
        assertThatThrownBy(() -> x.segmentSum(new int[]{0, 2, 1}, 2))
                .hasMessage("segmentSum: segment id 2 of row 1 is out of bounds for 2 segments");
        assertThatThrownBy(() -> x.segmentMean(new int[]{0, -1, 1}, 2))
                .hasMessage("segmentMean: segment id -1 of row 1 is out of bounds for 2 segments");
        assertThatThrownBy(() -> x.segmentMean(new int[]{0, 0, 0}, -1))
                .hasMessage("segmentMean: number of segments must be ≥ 0, got -1");
        assertThatThrownBy(() -> Tensor.scalar(DType.F32, 1).segmentSum(new int[0], 1))
                .hasMessage("segmentSum: needs rank ≥ 1, got a 0-d tensor");
        assertTensor(Tensor.zeros(DType.F64, 0, 2).segmentSum(new int[0], 0), new int[]{0, 2}, new double[0]);
    }

    // ---------------------------------------------------------------- joining, padding, one-hot

    @Test
    void concatJoinsAlongAnyAxisAndPromotes() {
        Random rnd = new Random(45);
        for (int trial = 0; trial < 50; trial++) {
            int rank = 1 + rnd.nextInt(3);
            int[] shape = Layouts.shape(rnd, rank, 1, 2, 3);
            int axis = rnd.nextInt(rank);
            int parts = 1 + rnd.nextInt(4);
            Tensor[] ts = new Tensor[parts];
            double[][] vs = new double[parts][];
            int[][] ss = new int[parts][];
            boolean any64 = false;
            for (int p = 0; p < parts; p++) {
                ss[p] = shape.clone();
                ss[p][axis] = rnd.nextInt(4); // zero-size parts are allowed
                DType dt = dtype(rnd);
                any64 |= dt == DType.F64;
                vs[p] = Layouts.values(rnd, Reference.numel(ss[p]), dt);
                ts[p] = Layouts.build(vs[p], ss[p], dt, LAYOUTS[rnd.nextInt(3)]);
            }
            int[] os = shape.clone();
            os[axis] = 0;
            for (int[] s : ss) os[axis] += s[axis];
            double[] expected = new double[Reference.numel(os)];
            for (int flat = 0; flat < expected.length; flat++) {
                int[] o = Reference.unravel(flat, os);
                int p = 0;
                while (o[axis] >= ss[p][axis]) o[axis] -= ss[p++][axis];
                expected[flat] = vs[p][Reference.ravel(o, ss[p])];
            }
            assertTensor(Tensor.concat(axis - (rnd.nextBoolean() ? rank : 0), ts), any64 ? DType.F64 : DType.F32, os,
                    expected, 0);
        }
    }

    @Test
    void stackAddsANewAxis() {
        Tensor a = Tensor.arange(DType.F64, 6).reshape(2, 3), b = a.mul(-1);
        assertTensor(Tensor.stack(0, a, b), new int[]{2, 2, 3}, new double[]{0, 1, 2, 3, 4, 5, 0, -1, -2, -3, -4, -5});
        assertTensor(Tensor.stack(1, a, b), new int[]{2, 2, 3}, new double[]{0, 1, 2, 0, -1, -2, 3, 4, 5, -3, -4, -5});
        assertTensor(Tensor.stack(-1, a, b.mT().contiguous().mT()), new int[]{2, 3, 2},
                new double[]{0, 0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5});
        assertTensor(Tensor.stack(0, Tensor.scalar(DType.F32, 1), Tensor.scalar(DType.F32, 2)), new int[]{2}, new double[]{1, 2});
        assertThatThrownBy(() -> Tensor.stack(0, a, a.mT()))
                .hasMessage("stack: tensor 1 has shape [3, 2] but tensor 0 has shape [2, 3]; all shapes must be equal");
        assertThatThrownBy(() -> Tensor.stack(3, a, b)).hasMessage("stack: axis 3 is out of range for a tensor of rank 3");
        assertThatThrownBy(() -> Tensor.stack(0)).hasMessage("stack: needs at least one tensor");
    }

    @Test
    void concatErrorsNameTheShapes() {
        Tensor a = Tensor.zeros(DType.F32, 2, 3);
        assertThatThrownBy(() -> Tensor.concat(0, a, Tensor.zeros(DType.F32, 2, 4)))
                .hasMessage("concat: tensor 1 has shape [2, 4] but tensor 0 has shape [2, 3]; sizes must agree except along axis 0");
        assertThatThrownBy(() -> Tensor.concat(1, a, Tensor.zeros(DType.F32, 2)))
                .hasMessage("concat: tensor 1 has shape [2] but tensor 0 has shape [2, 3]; sizes must agree except along axis 1");
        assertThatThrownBy(() -> Tensor.concat(2, a)).hasMessage("concat: axis 2 is out of range for a tensor of rank 2");
        assertThatThrownBy(() -> Tensor.concat(0)).hasMessage("concat: needs at least one tensor");
        assertThatThrownBy(() -> Tensor.concat(0, a, null)).hasMessage("concat: tensor 1 is null");
        assertThatThrownBy(() -> Tensor.concat(0, Tensor.scalar(DType.F32, 1)))
                .hasMessage("concat: cannot join 0-d tensors along an axis");
    }

    @Test
    void padSurroundsWithAConstantAndNarrowUndoesIt() {
        Random rnd = new Random(46);
        for (int trial = 0; trial < 40; trial++) {
            int rank = 1 + rnd.nextInt(3);
            int[] shape = Layouts.shape(rnd, rank, 0, 1, 2, 3);
            int[] before = new int[rank], after = new int[rank], os = new int[rank];
            for (int d = 0; d < rank; d++) {
                before[d] = rnd.nextInt(3);
                after[d] = rnd.nextInt(3);
                os[d] = shape[d] + before[d] + after[d];
            }
            DType dt = dtype(rnd);
            double[] v = Layouts.values(rnd, Reference.numel(shape), dt);
            Tensor x = Layouts.build(v, shape, dt, LAYOUTS[rnd.nextInt(3)]);
            double[] expected = new double[Reference.numel(os)];
            Arrays.fill(expected, -7.5);
            for (int flat = 0; flat < v.length; flat++) {
                int[] i = Reference.unravel(flat, shape);
                for (int d = 0; d < rank; d++) i[d] += before[d];
                expected[Reference.ravel(i, os)] = v[flat];
            }
            Tensor p = x.pad(before, after, -7.5);
            assertTensor(p, dt, os, expected, 0);
            Tensor back = p;
            for (int d = 0; d < rank; d++) back = back.narrow(d, before[d], shape[d]);
            assertTensor(back, dt, shape, v, 0);
        }
        Tensor x = Tensor.zeros(DType.F32, 2, 2);
        assertThatThrownBy(() -> x.pad(new int[]{1}, new int[]{1, 1}, 0))
                .hasMessage("pad: 1 sizes before and 2 after for a tensor of shape [2, 2] (one per axis on each side)");
        assertThatThrownBy(() -> x.pad(new int[]{0, -1}, new int[]{0, 0}, 0))
                .hasMessage("pad: padding must be ≥ 0, got -1 before and 0 after axis 1 (shape [2, 2])");
    }

    @Test
    void broadcastViewsAreReadLikeAnyOther() {
        Random rnd = new Random(47);
        double[] base = Layouts.values(rnd, 3, DType.F64), ev = new double[12];
        Tensor x = Layouts.expanded(base, new int[]{1, 3}, new int[]{4, 3}, DType.F64, ev); // four equal rows
        assertTensor(x.indexSelect(0, new int[]{3, 0}), new int[]{2, 3}, Arrays.copyOf(ev, 6));
        assertTensor(x.indexSelect(1, new int[]{2}), new int[]{4, 1}, new double[]{base[2], base[2], base[2], base[2]});
        assertTensor(x.gather(1, Tensor.of(new double[][]{{2}, {0}})), new int[]{2, 1}, new double[]{base[2], base[0]});
        assertTensor(Tensor.concat(0, x, x.narrow(0, 0, 1)), new int[]{5, 3}, concatRows(ev, base));
        assertTensor(x.segmentSum(new int[]{0, 1, 1, 1}, 2), new int[]{2, 3},
                new double[]{base[0], base[1], base[2], 3 * base[0], 3 * base[1], 3 * base[2]});
        Tensor p = x.pad(new int[]{0, 1}, new int[]{0, 0}, 9);
        assertTensor(p.select(0, 2), new int[]{4}, new double[]{9, base[0], base[1], base[2]});
        Tensor src = Tensor.ones(DType.F64, 2, 3);
        assertTensor(x.scatterAdd(0, Tensor.of(new double[][]{{0, 3, 0}, {0, 0, 0}}), src).select(0, 0), new int[]{3},
                new double[]{base[0] + 2, base[1] + 1, base[2] + 2});
    }

    private static double[] concatRows(double[] ev, double[] base) {
        double[] out = Arrays.copyOf(ev, 15);
        System.arraycopy(base, 0, out, 12, 3);
        return out;
    }

    @Test
    void oneHotMarksTheLabel() {
        assertTensor(Tensor.oneHot(DType.F32, new int[]{2, 0, 2}, 3), DType.F32, new int[]{3, 3},
                new double[]{0, 0, 1, 1, 0, 0, 0, 0, 1}, 0);
        assertTensor(Tensor.oneHot(DType.F64, new int[0], 4), new int[]{0, 4}, new double[0]);
        assertThatThrownBy(() -> Tensor.oneHot(DType.F32, new int[]{1, 3}, 3))
                .hasMessage("oneHot: label 3 at position 1 is out of bounds for 3 classes");
        assertThatThrownBy(() -> Tensor.oneHot(DType.F32, new int[]{-1}, 3))
                .hasMessage("oneHot: label -1 at position 0 is out of bounds for 3 classes");
        assertThatThrownBy(() -> Tensor.oneHot(DType.F32, new int[0], -2))
                .hasMessage("oneHot: number of classes must be ≥ 0, got -2");
    }
}
