package kfac4j.tensor;

import static kfac4j.tensor.Reference.assertTensor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;

import org.junit.jupiter.api.Test;

/** Factories, metadata, element access, dtype conversion, views and the in-place writes. */
class TensorCoreTest {

    // ---------------------------------------------------------------- factories

    @Test
    void factoriesFillTheirShape() {
        assertTensor(Tensor.zeros(DType.F32, 2, 3), new int[]{2, 3}, new double[6]);
        assertTensor(Tensor.ones(DType.F64, 3), new int[]{3}, new double[]{1, 1, 1});
        assertTensor(Tensor.full(DType.F32, 2.5, 1, 2), new int[]{1, 2}, new double[]{2.5, 2.5});
        assertTensor(Tensor.scalar(DType.F64, -4), new int[]{}, new double[]{-4});
        assertTensor(Tensor.zeros(DType.F64, 4, 0, 2), new int[]{4, 0, 2}, new double[0]);
        assertTensor(Tensor.eye(DType.F64, 3), new int[]{3, 3}, new double[]{1, 0, 0, 0, 1, 0, 0, 0, 1});
        assertTensor(Tensor.eye(DType.F32, 0), new int[]{0, 0}, new double[0]);
        Tensor x = Tensor.ones(DType.F32, 2, 2);
        assertThat(x.zerosLike().dtype()).isEqualTo(DType.F32);
        assertThat(x.onesLike().toDoubleArray()).containsExactly(1, 1, 1, 1);
    }

    @Test
    void arangeFollowsNumPy() {
        assertTensor(Tensor.arange(DType.F64, 5), new int[]{5}, new double[]{0, 1, 2, 3, 4});
        assertTensor(Tensor.arange(DType.F64, 1, 2, 0.25), new int[]{4}, new double[]{1, 1.25, 1.5, 1.75});
        assertTensor(Tensor.arange(DType.F32, 3, 0, -1), new int[]{3}, new double[]{3, 2, 1});
        assertTensor(Tensor.arange(DType.F64, 2, 2, 1), new int[]{0}, new double[0]);
        assertTensor(Tensor.arange(DType.F64, 5, 2, 1), new int[]{0}, new double[0]);
        assertThatThrownBy(() -> Tensor.arange(DType.F64, 0, 1, 0))
                .hasMessage("arange: step must be finite and non-zero, got 0.0");
        assertThatThrownBy(() -> Tensor.arange(DType.F64, 0, 1e12, 1))
                .hasMessageStartingWith("arange: [0.0, 1.0E12) with step 1.0 has 1000000000000 values");
        assertThatThrownBy(() -> Tensor.arange(DType.F64, 0, Double.NaN, 1))
                .hasMessage("arange: start and end must be finite, got 0.0 and NaN");
    }

    @Test
    void linspaceHitsBothEndsExactly() {
        Tensor t = Tensor.linspace(DType.F64, 0.1, 0.7, 7);
        double[] v = t.toDoubleArray();
        assertThat(v[0]).isEqualTo(0.1);
        assertThat(v[6]).isEqualTo(0.7);
        for (int i = 0; i < 7; i++) assertThat(v[i]).isCloseTo(0.1 + 0.1 * i, org.assertj.core.data.Offset.offset(1e-15));
        assertTensor(Tensor.linspace(DType.F32, 3, 9, 1), new int[]{1}, new double[]{3});
        assertTensor(Tensor.linspace(DType.F32, 3, 9, 0), new int[]{0}, new double[0]);
        assertThatThrownBy(() -> Tensor.linspace(DType.F32, 0, 1, -1)).hasMessage("linspace: steps must be ≥ 0, got -1");
    }

    @Test
    void fromArrayCopiesAndChecksTheLength() {
        double[] data = {1, 2, 3, 4, 5, 6};
        Tensor t = Tensor.fromArray(data, 3, 2);
        data[0] = 99;
        assertThat(t.get(0, 0)).isEqualTo(1);
        assertThat(t.get(2, 1)).isEqualTo(6);
        assertThat(Tensor.fromArray(new float[]{1.5f}, 1, 1).dtype()).isEqualTo(DType.F32);
        assertThatThrownBy(() -> Tensor.fromArray(new double[5], 2, 3))
                .hasMessage("fromArray: 5 values do not fill shape [2, 3] (6 elements)");
        assertThatThrownBy(() -> Tensor.fromArray(new float[0], 0, -1))
                .hasMessage("fromArray: negative size in shape [0, -1]");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 2, -3)).hasMessage("zeros: negative size in shape [2, -3]");
        assertThatThrownBy(() -> Tensor.full(DType.F32, 1, -1)).hasMessage("full: negative size in shape [-1]");
        assertThatThrownBy(() -> Tensor.eye(DType.F32, -2)).hasMessage("eye: size must be ≥ 0, got -2");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 65536, 65536))
                .hasMessage("shape [65536, 65536] has 4294967296 elements, more than a Java array can hold");
    }

    @Test
    void ofBuildsVectorsAndMatrices() {
        assertTensor(Tensor.of(1, 2, 3), new int[]{3}, new double[]{1, 2, 3});
        assertTensor(Tensor.of(DType.F32, 0.5, 1), DType.F32, new int[]{2}, new double[]{0.5, 1}, 0);
        assertTensor(Tensor.of(new double[][]{{1, 2}, {3, 4}, {5, 6}}), new int[]{3, 2}, new double[]{1, 2, 3, 4, 5, 6});
        assertTensor(Tensor.of(new double[0][]), new int[]{0, 0}, new double[0]);
        assertThatThrownBy(() -> Tensor.of(new double[][]{{1, 2}, {3}})).hasMessage("of: row 1 has 1 values, row 0 has 2");
    }

    // ---------------------------------------------------------------- metadata and element access

    @Test
    void metadataDescribesTheLayout() {
        Tensor t = Tensor.zeros(DType.F64, 2, 3, 4);
        assertThat(t.rank()).isEqualTo(3);
        assertThat(t.numel()).isEqualTo(24);
        assertThat(t.size(-1)).isEqualTo(4);
        assertThat(t.size(0)).isEqualTo(2);
        assertThat(t.strides()).containsExactly(12, 4, 1);
        assertThat(t.isContiguous()).isTrue();
        assertThat(t.transpose(0, 2).isContiguous()).isFalse();
        assertThat(t.narrow(0, 1, 1).isContiguous()).isTrue();
        assertThat(t.narrow(1, 0, 1).isContiguous()).isFalse();
        assertThat(Tensor.zeros(DType.F32, 3, 0).isContiguous()).isTrue();
        assertThat(Tensor.zeros(DType.F32, 3, 0).transpose(0, 1).isContiguous()).isTrue();
        int[] shape = t.shape();
        shape[0] = 7;
        assertThat(t.shape()).containsExactly(2, 3, 4);
        assertThatThrownBy(() -> t.size(3)).hasMessage("size: axis 3 is out of range for a tensor of rank 3");
        assertThatThrownBy(() -> t.size(-4)).hasMessage("size: axis -4 is out of range for a tensor of rank 3");
    }

    @Test
    void getReadsAnyIndexIncludingNegative() {
        Tensor t = Tensor.arange(DType.F64, 12).reshape(3, 4);
        assertThat(t.get(1, 2)).isEqualTo(6);
        assertThat(t.get(-1, -1)).isEqualTo(11);
        assertThat(t.mT().get(3, 0)).isEqualTo(3);
        assertThat(Tensor.scalar(DType.F32, 2).get()).isEqualTo(2);
        assertThatThrownBy(() -> t.get(3, 0))
                .hasMessage("get: index 3 is out of bounds for axis 0 of size 3 (shape [3, 4])");
        assertThatThrownBy(() -> t.get(0, -5))
                .hasMessage("get: index -5 is out of bounds for axis 1 of size 4 (shape [3, 4])");
        assertThatThrownBy(() -> t.get(1))
                .hasMessage("get: index [1] has 1 components for a tensor of shape [3, 4]");
    }

    @Test
    void itemNeedsExactlyOneElement() {
        assertThat(Tensor.full(DType.F32, 7, 1, 1, 1).item()).isEqualTo(7);
        assertThat(Tensor.arange(DType.F64, 6).narrow(0, 4, 1).item()).isEqualTo(4);
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 2).item())
                .hasMessage("item: tensor of shape [2] has 2 elements, not 1");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 0).item())
                .hasMessage("item: tensor of shape [0] has 0 elements, not 1");
    }

    @Test
    void toArraysReadEveryLayoutInRowMajorOrder() {
        Random rnd = new Random(1);
        for (Layouts.Layout layout : Layouts.Layout.values()) {
            for (DType dt : DType.values()) {
                int[] shape = {3, 1, 4, 2};
                double[] v = Layouts.values(rnd, 24, dt);
                Tensor t = Layouts.build(v, shape, dt, layout);
                assertThat(t.toDoubleArray()).containsExactly(v);
                float[] f = t.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    assertThat(f[i]).isEqualTo((float) v[i]);
                    assertThat(t.get(Reference.unravel(i, shape))).isEqualTo(v[i]);
                }
            }
        }
    }

    @Test
    void emptyViewsPastTheEndOfTheirArrayReadNothing() {
        // Strided slices of an empty axis start beyond the buffer's last element; no operation may touch it.
        Tensor e = Layouts.build(new double[0], new int[]{0, 3, 2}, DType.F64, Layouts.Layout.STRIDED);
        assertThat(e.toDoubleArray()).isEmpty();
        assertThat(e.toFloatArray()).isEmpty();
        assertThat(e.copy().shape()).containsExactly(0, 3, 2);
        assertThat(e.to(DType.F32).numel()).isZero();
        assertThat(e.exp().shape()).containsExactly(0, 3, 2);
        assertThat(e.add(Tensor.ones(DType.F64, 3, 1)).shape()).containsExactly(0, 3, 2);
        assertTensor(e.sum(new int[]{0}, false), new int[]{3, 2}, new double[6]);
        assertThat(e.softmax(1).shape()).containsExactly(0, 3, 2);
        assertThat(e.reshape(-1, 6).shape()).containsExactly(0, 6);
        assertTensor(Tensor.concat(0, e, Tensor.ones(DType.F64, 1, 3, 2)), new int[]{1, 3, 2}, new double[]{1, 1, 1, 1, 1, 1});
        assertTensor(e.matmul(Tensor.ones(DType.F64, 2, 4)), new int[]{0, 3, 4}, new double[0]);
        assertTensor(e.pad(new int[]{1, 0, 0}, new int[]{0, 0, 0}, 2), new int[]{1, 3, 2}, new double[]{2, 2, 2, 2, 2, 2});
        assertThat(e.toString()).isEqualTo("tensor([], dtype=F64, shape=[0, 3, 2])");
    }

    // ---------------------------------------------------------------- dtype conversion and copies

    @Test
    void conversionRoundsToFloatAndWidensExactly() {
        Tensor d = Tensor.of(0.1, 1e40, -3);
        Tensor f = d.to(DType.F32);
        assertThat(f.dtype()).isEqualTo(DType.F32);
        assertThat(f.toDoubleArray()).containsExactly((double) 0.1f, Double.POSITIVE_INFINITY, -3);
        assertThat(f.to(DType.F64).toDoubleArray()).containsExactly((double) 0.1f, Double.POSITIVE_INFINITY, -3);
        assertThat(d.to(DType.F64)).isSameAs(d);
        Tensor strided = Tensor.arange(DType.F32, 10).slice(0, 1, 10, 3);
        assertTensor(strided.to(DType.F64), DType.F64, new int[]{3}, new double[]{1, 4, 7}, 0);
    }

    @Test
    void copySharesNothingAndContiguousCopiesOnlyWhenNeeded() {
        Tensor x = Tensor.arange(DType.F64, 6).reshape(2, 3);
        Tensor c = x.copy();
        assertThat(c.sharesStorageWith(x)).isFalse();
        assertThat(c.toDoubleArray()).containsExactly(x.toDoubleArray());
        assertThat(x.contiguous()).isSameAs(x);
        Tensor t = x.mT().contiguous();
        assertThat(t.sharesStorageWith(x)).isFalse();
        assertThat(t.isContiguous()).isTrue();
        assertThat(t.toDoubleArray()).containsExactly(0, 3, 1, 4, 2, 5);
    }

    @Test
    void transposedCopiesCoverEveryTileAndBatch() {
        // Sizes that are not multiples of the copy's tile, a batch axis, an offset and a strided batch.
        Random rnd = new Random(4);
        for (int[] shape : new int[][]{{1, 1}, {37, 70}, {3, 33, 65}, {2, 64, 1}, {2, 1, 40}}) {
            for (DType dt : DType.values()) {
                double[] v = Layouts.values(rnd, Reference.numel(shape), dt);
                Tensor x = Tensor.fromArray(v, shape).to(dt);
                int r = shape.length;
                int[] ts = shape.clone();
                ts[r - 1] = shape[r - 2];
                ts[r - 2] = shape[r - 1];
                double[] expected = new double[v.length];
                for (int flat = 0; flat < v.length; flat++) {
                    int[] i = Reference.unravel(flat, ts);
                    int tmp = i[r - 1];
                    i[r - 1] = i[r - 2];
                    i[r - 2] = tmp;
                    expected[flat] = v[Reference.ravel(i, shape)];
                }
                assertTensor(x.mT().contiguous(), dt, ts, expected, 0);
                assertTensor(x.mT().neg().neg(), dt, ts, expected, 0);
                assertTensor(x.mT().add(Tensor.scalar(dt, 0)), dt, ts, expected, 0);
            }
        }
        Tensor big = Tensor.arange(DType.F64, 4 * 40 * 50).reshape(4, 40, 50);
        Tensor view = big.slice(0, 1, 4, 2).narrow(2, 3, 41).mT(); // shape [2, 41, 40], offset and gaps
        Tensor c = view.contiguous();
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < 41; i++) {
                for (int j = 0; j < 40; j++) assertThat(c.get(b, i, j)).isEqualTo((1 + 2 * b) * 2000 + j * 50 + 3 + i);
            }
        }
    }

    // ---------------------------------------------------------------- views

    @Test
    void transposedViewReadsWithoutCopy() {
        Tensor x = Tensor.arange(DType.F64, 6).reshape(2, 3);
        Tensor t = x.mT();
        assertThat(t.sharesStorageWith(x)).isTrue();
        assertThat(t.toDoubleArray()).containsExactly(0, 3, 1, 4, 2, 5);
    }

    @Test
    void permuteMatchesIndexArithmetic() {
        Random rnd = new Random(2);
        int[] shape = {2, 3, 5, 1};
        int[] order = {2, 0, 3, 1};
        double[] v = Layouts.values(rnd, 30, DType.F64);
        for (Layouts.Layout layout : Layouts.Layout.values()) {
            Tensor p = Layouts.build(v, shape, DType.F64, layout).permute(order);
            int[] ps = {5, 2, 1, 3};
            double[] expected = new double[30];
            for (int flat = 0; flat < 30; flat++) {
                int[] j = Reference.unravel(flat, ps);
                int[] i = new int[4];
                for (int k = 0; k < 4; k++) i[order[k]] = j[k];
                expected[flat] = v[Reference.ravel(i, shape)];
            }
            assertTensor(p, ps, expected);
        }
        Tensor x = Tensor.zeros(DType.F32, 2, 3);
        assertThat(x.permute(-1, 0).shape()).containsExactly(3, 2);
        assertThatThrownBy(() -> x.permute(0)).hasMessage("permute: order [0] does not match rank 2 of shape [2, 3]");
        assertThatThrownBy(() -> x.permute(1, -1)).hasMessage("permute: axis 1 repeats in [1, -1]");
        assertThatThrownBy(() -> x.permute(0, 2)).hasMessage("permute: axis 2 is out of range for a tensor of rank 2");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 3).mT()).hasMessage("mT: needs rank ≥ 2, got shape [3]");
        assertThat(Tensor.zeros(DType.F32, 4, 2, 3).mT().shape()).containsExactly(4, 3, 2);
        assertThat(x.transpose(-1, -2).shape()).containsExactly(3, 2);
    }

    @Test
    void reshapeIsAViewWhenTheLayoutAllowsAndACopyOtherwise() {
        Tensor x = Tensor.arange(DType.F64, 24).reshape(2, 3, 4);
        Tensor v = x.reshape(6, -1);
        assertThat(v.shape()).containsExactly(6, 4);
        assertThat(v.sharesStorageWith(x)).isTrue();
        // Merging the outer axes of a column slice keeps the view; merging across the gap needs a copy.
        Tensor col = x.narrow(2, 1, 2);
        Tensor merged = col.reshape(6, 2);
        assertThat(merged.sharesStorageWith(x)).isTrue();
        Tensor flat = col.reshape(12);
        assertThat(flat.sharesStorageWith(x)).isFalse();
        assertTensor(flat, new int[]{12}, new double[]{1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22});
        assertTensor(merged, new int[]{6, 2}, new double[]{1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22});
        Tensor sub = x.narrow(0, 1, 1).reshape(3, 4);
        assertThat(sub.sharesStorageWith(x)).isTrue();
        assertThat(sub.get(0, 0)).isEqualTo(12);
        // A transposed matrix cannot be flattened without a copy.
        Tensor t = x.select(0, 0).mT().reshape(-1);
        assertThat(t.sharesStorageWith(x)).isFalse();
        assertTensor(t, new int[]{12}, new double[]{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
        // Size-1 axes may be added and dropped anywhere without a copy.
        Tensor ones = x.mT().reshape(2, 1, 4, 1, 3);
        assertThat(ones.sharesStorageWith(x)).isTrue();
        assertThat(ones.get(1, 0, 2, 0, 1)).isEqualTo(x.get(1, 1, 2));
        assertThat(Tensor.zeros(DType.F32, 0, 3).reshape(3, 0, 5).shape()).containsExactly(3, 0, 5);
        assertThat(Tensor.scalar(DType.F32, 1).reshape(1, 1).shape()).containsExactly(1, 1);
        assertThat(Tensor.zeros(DType.F32, 1, 1).reshape().shape()).isEmpty();
    }

    @Test
    void reshapeOfAnyLayoutKeepsRowMajorOrder() {
        Random rnd = new Random(3);
        int[][] targets = {{30}, {5, 6}, {2, 15}, {3, 1, 10}, {1, 30, 1}, {2, 3, 5}, {-1, 2}};
        for (Layouts.Layout layout : Layouts.Layout.values()) {
            double[] v = Layouts.values(rnd, 30, DType.F32);
            Tensor x = Layouts.build(v, new int[]{2, 3, 5}, DType.F32, layout);
            for (int[] target : targets) {
                Tensor r = x.reshape(target);
                int[] s = target[0] == -1 ? new int[]{15, 2} : target;
                assertTensor(r, s, v);
            }
        }
    }

    @Test
    void reshapeErrorsNameTheShapes() {
        Tensor x = Tensor.zeros(DType.F32, 2, 3);
        assertThatThrownBy(() -> x.reshape(4, 2))
                .hasMessage("reshape: cannot reshape tensor of shape [2, 3] (6 elements) into [4, 2] (8 elements)");
        assertThatThrownBy(() -> x.reshape(-1, 4)).hasMessage("reshape: cannot reshape tensor of shape [2, 3] into [-1, 4]");
        assertThatThrownBy(() -> x.reshape(-1, -1)).hasMessage("reshape: only one size may be -1 in [-1, -1]");
        assertThatThrownBy(() -> x.reshape(-2, -3)).hasMessage("reshape: negative size in [-2, -3]");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 0, 3).reshape(-1, 0))
                .hasMessage("reshape: cannot reshape tensor of shape [0, 3] into [-1, 0]");
    }

    @Test
    void narrowSliceAndSelectAreViews() {
        Tensor x = Tensor.arange(DType.F64, 20).reshape(4, 5);
        Tensor n = x.narrow(1, 1, 3);
        assertThat(n.sharesStorageWith(x)).isTrue();
        assertTensor(n, new int[]{4, 3}, new double[]{1, 2, 3, 6, 7, 8, 11, 12, 13, 16, 17, 18});
        assertTensor(x.narrow(-2, 3, 0), new int[]{0, 5}, new double[0]);
        assertTensor(x.slice(1, 0, 5, 2), new int[]{4, 3}, new double[]{0, 2, 4, 5, 7, 9, 10, 12, 14, 15, 17, 19});
        assertTensor(x.slice(0, 1, 4, 2).slice(1, 3, 5, 1), new int[]{2, 2}, new double[]{8, 9, 18, 19});
        assertTensor(x.slice(0, 2, 2, 3), new int[]{0, 5}, new double[0]);
        assertTensor(x.select(1, -1), new int[]{4}, new double[]{4, 9, 14, 19});
        assertTensor(x.select(0, 2), new int[]{5}, new double[]{10, 11, 12, 13, 14});
        assertThatThrownBy(() -> x.narrow(1, 3, 3))
                .hasMessage("narrow: range [3, 6) is out of bounds for axis 1 of size 5 (shape [4, 5])");
        assertThatThrownBy(() -> x.narrow(0, -1, 2))
                .hasMessage("narrow: range [-1, 1) is out of bounds for axis 0 of size 4 (shape [4, 5])");
        assertThatThrownBy(() -> x.slice(0, 0, 5, 1))
                .hasMessage("slice: range [0, 5) is out of bounds for axis 0 of size 4 (shape [4, 5])");
        assertThatThrownBy(() -> x.slice(0, 0, 4, 0)).hasMessage("slice: step must be ≥ 1, got 0");
        assertThatThrownBy(() -> x.select(1, 5))
                .hasMessage("select: index 5 is out of bounds for axis 1 of size 5 (shape [4, 5])");
        assertThatThrownBy(() -> x.select(2, 0)).hasMessage("select: axis 2 is out of range for a tensor of rank 2");
    }

    @Test
    void expandRepeatsSizeOneAxesWithStrideZero() {
        Tensor col = Tensor.of(1, 2, 3).reshape(3, 1);
        Tensor e = col.expand(2, 3, 4);
        assertThat(e.strides()).containsExactly(0, 1, 0);
        assertThat(e.sharesStorageWith(col)).isTrue();
        double[] expected = new double[24];
        for (int i = 0; i < 24; i++) expected[i] = Reference.unravel(i, new int[]{2, 3, 4})[1] + 1;
        assertTensor(e, new int[]{2, 3, 4}, expected);
        assertThat(col.expand(-1, 2).shape()).containsExactly(3, 2);
        assertThat(col.expand(3, 0).shape()).containsExactly(3, 0);
        assertThatThrownBy(() -> col.expand(4, 2)).hasMessage("expand: cannot expand shape [3, 1] to [4, 2]");
        assertThatThrownBy(() -> col.expand(2)).hasMessage("expand: cannot expand shape [3, 1] to [2] of lower rank");
        assertThatThrownBy(() -> col.expand(3, -2)).hasMessage("expand: cannot expand shape [3, 1] to [3, -2]");
        assertThatThrownBy(() -> col.expand(-1, 3, 1))
                .hasMessage("expand: new leading axes need sizes ≥ 0, got -1 in [-1, 3, 1] (shape [3, 1])");
    }

    @Test
    void squeezeUnsqueezeAndFlatten() {
        Tensor x = Tensor.arange(DType.F32, 6).reshape(1, 2, 1, 3);
        assertThat(x.squeeze().shape()).containsExactly(2, 3);
        assertThat(x.squeeze(-2).shape()).containsExactly(1, 2, 3);
        assertThat(x.unsqueeze(4).shape()).containsExactly(1, 2, 1, 3, 1);
        assertThat(x.unsqueeze(-1).shape()).containsExactly(1, 2, 1, 3, 1);
        assertThat(x.unsqueeze(0).shape()).containsExactly(1, 1, 2, 1, 3);
        Tensor t = x.squeeze().mT().unsqueeze(1);
        assertTensor(t, new int[]{3, 1, 2}, new double[]{0, 3, 1, 4, 2, 5});
        assertThat(x.flatten(1, 3).shape()).containsExactly(1, 6);
        assertThat(x.flatten(0, -1).shape()).containsExactly(6);
        assertThat(Tensor.scalar(DType.F32, 5).flatten(0, -1).shape()).containsExactly(1);
        assertThatThrownBy(() -> Tensor.scalar(DType.F32, 5).flatten(0, 1))
                .hasMessage("flatten: axis 1 is out of range for a 0-d tensor (only 0 and -1 are allowed)");
        assertTensor(x.squeeze().mT().flatten(0, 1), new int[]{6}, new double[]{0, 3, 1, 4, 2, 5});
        assertThatThrownBy(() -> x.squeeze(1)).hasMessage("squeeze: axis 1 of shape [1, 2, 1, 3] has size 2, not 1");
        assertThatThrownBy(() -> x.unsqueeze(5)).hasMessage("unsqueeze: axis 5 is out of range for a tensor of rank 5");
        assertThatThrownBy(() -> x.flatten(2, 1)).hasMessage("flatten: start axis 2 is after end axis 1");
    }

    // ---------------------------------------------------------------- in place

    @Test
    void inPlaceWritesGoThroughViewsAndBumpTheVersion() {
        Tensor base = Tensor.zeros(DType.F64, 3, 4);
        Tensor col = base.select(1, 2);
        int v0 = base.version();
        col.copyFromInPlace(Tensor.of(1, 2, 3));
        assertThat(base.version()).isGreaterThan(v0);
        assertThat(col.version()).isEqualTo(base.version());
        assertTensor(base, new int[]{3, 4}, new double[]{0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0});
        base.mT().addScaledInPlace(2, Tensor.of(1, 1, 1));
        assertTensor(base, new int[]{3, 4}, new double[]{2, 2, 3, 2, 2, 2, 4, 2, 2, 2, 5, 2});
        base.narrow(0, 1, 1).mulInPlace(-1);
        assertTensor(base, new int[]{3, 4}, new double[]{2, 2, 3, 2, -2, -2, -4, -2, 2, 2, 5, 2});
        base.fillInPlace(0.5);
        assertThat(base.toDoubleArray()).containsOnly(0.5);
        Tensor f = Tensor.ones(DType.F32, 4);
        f.addScaledInPlace(0.5, Tensor.of(1, 2, 3, 4));
        assertTensor(f, DType.F32, new int[]{4}, new double[]{1.5, 2, 2.5, 3}, 0);
        int v1 = f.version();
        f.mulInPlace(2);
        assertThat(f.version()).isEqualTo(v1 + 1);
        assertTensor(f, DType.F32, new int[]{4}, new double[]{3, 4, 5, 6}, 0);
    }

    @Test
    void inPlaceReadsAnAliasedSourceBeforeWriting() {
        Tensor x = Tensor.arange(DType.F64, 4).reshape(2, 2);
        x.copyFromInPlace(x.mT());
        assertTensor(x, new int[]{2, 2}, new double[]{0, 2, 1, 3});
        x.addScaledInPlace(1, x);
        assertTensor(x, new int[]{2, 2}, new double[]{0, 4, 2, 6});
    }

    @Test
    void inPlaceErrorsNameTheShapes() {
        Tensor x = Tensor.zeros(DType.F32, 2, 3);
        assertThatThrownBy(() -> x.copyFromInPlace(Tensor.zeros(DType.F32, 3, 3)))
                .hasMessage("copyFromInPlace: source shape [3, 3] does not broadcast to the target shape [2, 3]");
        assertThatThrownBy(() -> x.addScaledInPlace(1, Tensor.zeros(DType.F32, 2, 2, 3)))
                .hasMessage("addScaledInPlace: source shape [2, 2, 3] does not broadcast to the target shape [2, 3]");
        Tensor e = Tensor.zeros(DType.F32, 3).expand(2, 3);
        assertThatThrownBy(() -> e.mulInPlace(2))
                .hasMessage("mulInPlace: cannot write in place to a broadcast (expanded) view of shape [2, 3]");
        assertThatThrownBy(() -> e.fillInPlace(2))
                .hasMessage("copyFromInPlace: cannot write in place to a broadcast (expanded) view of shape [2, 3]");
    }

    // ---------------------------------------------------------------- comparisons and norms

    @Test
    void allCloseComparesShapesAndValues() {
        Tensor a = Tensor.of(1, 2, Double.POSITIVE_INFINITY);
        assertThat(a.allClose(Tensor.of(1 + 1e-9, 2, Double.POSITIVE_INFINITY), 1e-8, 0)).isTrue();
        assertThat(a.allClose(Tensor.of(1.1, 2, Double.POSITIVE_INFINITY), 1e-8, 0)).isFalse();
        assertThat(a.allClose(Tensor.of(1, 2, Double.NEGATIVE_INFINITY), 1, 1)).isFalse();
        assertThat(a.allClose(a.reshape(1, 3), 1, 1)).isFalse();
        assertThat(Tensor.of(Double.NaN).allClose(Tensor.of(Double.NaN), 1, 1)).isFalse();
        assertThat(Tensor.of(0.0).allClose(Tensor.of(1e-9), 0, 1e-8)).isTrue();
        assertThat(a.to(DType.F32).allClose(a, 1e-6, 0)).isTrue();
    }

    @Test
    void normIsTheFrobeniusNormWithoutOverflow() {
        assertThat(Tensor.of(3, 4).norm()).isEqualTo(5);
        assertThat(Tensor.of(3e200, 4e200).norm()).isCloseTo(5e200, org.assertj.core.data.Percentage.withPercentage(1e-12));
        assertThat(Tensor.of(3e-200, 4e-200).norm()).isCloseTo(5e-200, org.assertj.core.data.Percentage.withPercentage(1e-12));
        assertThat(Tensor.zeros(DType.F32, 0).norm()).isZero();
        assertThat(Tensor.arange(DType.F32, 4).reshape(2, 2).mT().norm()).isCloseTo(Math.sqrt(14), org.assertj.core.data.Offset.offset(1e-12));
    }
}
