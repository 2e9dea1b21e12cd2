package kfac4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** matmul with NumPy semantics against a triple loop, on every layout, 1-D case and broadcast batch. */
class MatMulTest {

    /** A random operand: values, shape and a tensor in a random layout (often a transposed view). */
    private record Operand(double[] v, int[] shape, Tensor t) {
    }

    private static Operand operand(Random rnd, int[] shape, DType dt) {
        double[] v = Layouts.values(rnd, Reference.numel(shape), dt);
        Tensor t;
        int r = rnd.nextInt(4);
        if (r == 3 && shape.length >= 2) {
            // Stored transposed (the other matrix axis order), read through mT without a copy.
            int[] st = shape.clone();
            st[st.length - 1] = shape[shape.length - 2];
            st[st.length - 2] = shape[shape.length - 1];
            double[] sv = new double[v.length];
            for (int flat = 0; flat < v.length; flat++) {
                int[] idx = Reference.unravel(flat, shape);
                int tmp = idx[idx.length - 1];
                idx[idx.length - 1] = idx[idx.length - 2];
                idx[idx.length - 2] = tmp;
                sv[Reference.ravel(idx, st)] = v[flat];
            }
            t = Tensor.fromArray(sv, st).to(dt).mT();
        } else {
            t = Layouts.build(v, shape, dt, Layouts.Layout.values()[Math.min(r, 2)]);
        }
        return new Operand(v, shape, t);
    }

    /**
     * Checks C = A·B with NumPy's rules written out: 1-D operands promoted and their axis dropped, batch axes
     * broadcast. Error bound per entry: (k + 2)·u·Σ_p |a_ip b_pj| (u the unit roundoff), the classic bound for any
     * summation order, so blocked and FMA kernels pass too.
     */
    private static void check(Operand a, Operand b, DType dt) {
        int[] as = a.shape.length == 1 ? new int[]{1, a.shape[0]} : a.shape;
        int[] bs = b.shape.length == 1 ? new int[]{b.shape[0], 1} : b.shape;
        int m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
        int[] batch = ElementwiseTest.broadcastShape(Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2));
        int[] full = Arrays.copyOf(batch, batch.length + 2);
        full[batch.length] = m;
        full[batch.length + 1] = n;
        Tensor c = a.t.matmul(b.t);
        int[] expectedShape;
        if (a.shape.length == 1 && b.shape.length == 1) expectedShape = batch;
        else if (a.shape.length == 1) expectedShape = Arrays.copyOf(batch, batch.length + 1);
        else if (b.shape.length == 1) expectedShape = Arrays.copyOf(full, full.length - 1);
        else expectedShape = full;
        if (a.shape.length == 1 && b.shape.length != 1) expectedShape[expectedShape.length - 1] = n;
        assertThat(c.shape()).as("shape of %s @ %s", Arrays.toString(a.shape), Arrays.toString(b.shape))
                .containsExactly(expectedShape);
        assertThat(c.dtype()).isEqualTo(dt);
        double[] got = c.toDoubleArray();
        double u = dt == DType.F32 ? 0x1p-24 : 0x1p-53;
        for (int flat = 0; flat < got.length; flat++) {
            int[] idx = Reference.unravel(flat, full);
            int i = idx[batch.length], j = idx[batch.length + 1];
            double sum = 0, abs = 0;
            for (int p = 0; p < k; p++) {
                int[] ai = Arrays.copyOf(Arrays.copyOf(idx, batch.length), batch.length + 2);
                ai[batch.length] = i;
                ai[batch.length + 1] = p;
                int[] bi = ai.clone();
                bi[batch.length] = p;
                bi[batch.length + 1] = j;
                double x = ElementwiseTest.at(a.v, as, ai), y = ElementwiseTest.at(b.v, bs, bi);
                sum += x * y;
                abs += Math.abs(x * y);
            }
            double bound = (k + 2) * u * abs + 1e-300;
            if (!(Math.abs(got[flat] - sum) <= bound)) {
                throw new AssertionError(Arrays.toString(a.shape) + " @ " + Arrays.toString(b.shape) + " at "
                        + Arrays.toString(idx) + ": expected " + sum + " but got " + got[flat] + " (bound " + bound + ")");
            }
        }
    }

    @Test
    void batchedProductsBroadcastAsNumPyInEveryLayout() {
        Random rnd = new Random(30);
        for (int trial = 0; trial < 150; trial++) {
            int m = 1 + rnd.nextInt(6), k = rnd.nextInt(7) + (trial % 15 == 0 ? 0 : 1), n = 1 + rnd.nextInt(6);
            if (trial % 25 == 0) m = 0;
            if (trial % 25 == 1) n = 0;
            int[] batch = Layouts.shape(rnd, rnd.nextInt(3), 1, 2, 3);
            int[] ab = batch.clone(), bb = batch.clone();
            for (int i = 0; i < batch.length; i++) {
                if (rnd.nextInt(3) == 0) ab[i] = 1;
                else if (rnd.nextInt(3) == 0) bb[i] = 1;
            }
            if (rnd.nextBoolean() && ab.length > 0) ab = Arrays.copyOfRange(ab, 1, ab.length);
            if (rnd.nextInt(3) == 0) bb = new int[0];
            int[] as = Arrays.copyOf(ab, ab.length + 2), bs = Arrays.copyOf(bb, bb.length + 2);
            as[ab.length] = m;
            as[ab.length + 1] = k;
            bs[bb.length] = k;
            bs[bb.length + 1] = n;
            DType da = rnd.nextBoolean() ? DType.F32 : DType.F64, db = rnd.nextInt(4) == 0 ? DType.F64 : da;
            check(operand(rnd, as, da), operand(rnd, bs, db), DType.promote(da, db));
        }
    }

    @Test
    void oneDimensionalOperandsFollowNumPy() {
        Random rnd = new Random(31);
        for (DType dt : DType.values()) {
            check(operand(rnd, new int[]{5}, dt), operand(rnd, new int[]{5}, dt), dt);
            check(operand(rnd, new int[]{4}, dt), operand(rnd, new int[]{4, 3}, dt), dt);
            check(operand(rnd, new int[]{3, 4}, dt), operand(rnd, new int[]{4}, dt), dt);
            check(operand(rnd, new int[]{4}, dt), operand(rnd, new int[]{2, 4, 3}, dt), dt);
            check(operand(rnd, new int[]{2, 3, 4}, dt), operand(rnd, new int[]{4}, dt), dt);
            check(operand(rnd, new int[]{0}, dt), operand(rnd, new int[]{0}, dt), dt);
        }
        assertThat(Tensor.of(1, 2, 3).matmul(Tensor.of(4, 5, 6)).item()).isEqualTo(32);
        assertThat(Tensor.of(1, 2, 3).matmul(Tensor.of(4, 5, 6)).rank()).isZero();
        assertThat(Tensor.zeros(DType.F32, 0).matmul(Tensor.zeros(DType.F32, 0)).item()).isZero();
    }

    @Test
    void linearLayerOverTokensMatchesPerTokenProducts() {
        // (B, T, D) @ (D, E) with the weight read transposed: the shape of every linear layer over a sequence.
        Random rnd = new Random(32);
        Operand x = operand(rnd, new int[]{3, 5, 7}, DType.F64);
        Tensor w = new Rng(1).normal(DType.F64, 0, 1, 4, 7);
        Tensor y = x.t.matmul(w.mT());
        for (int b = 0; b < 3; b++) {
            Tensor expected = x.t.select(0, b).contiguous().matmul(w.mT().contiguous());
            assertThat(y.select(0, b).allClose(expected, 1e-14, 1e-14)).isTrue();
        }
        check(x, new Operand(w.mT().toDoubleArray(), new int[]{7, 4}, w.mT()), DType.F64);
        // A strided (non-foldable) left operand takes the per-batch path and must agree.
        Tensor strided = Layouts.build(x.v, x.shape, DType.F64, Layouts.Layout.STRIDED);
        assertThat(strided.matmul(w.mT()).allClose(y, 1e-14, 1e-14)).isTrue();
    }

    @Test
    void shapeErrorsNameBothShapes() {
        Tensor a = Tensor.zeros(DType.F32, 2, 3);
        assertThatThrownBy(() -> a.matmul(Tensor.zeros(DType.F32, 4, 2)))
                .hasMessage("matmul: inner dimensions differ: shapes [2, 3] and [4, 2] (3 ≠ 4)");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 3).matmul(Tensor.zeros(DType.F32, 4)))
                .hasMessage("matmul: inner dimensions differ: shapes [3] and [4] (3 ≠ 4)");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 2, 2, 3).matmul(Tensor.zeros(DType.F32, 3, 3, 1)))
                .hasMessage("matmul: batch dimensions of shapes [2, 2, 3] and [3, 3, 1] cannot be broadcast together");
        assertThatThrownBy(() -> Tensor.scalar(DType.F32, 1).matmul(a))
                .hasMessage("matmul: operands must have rank ≥ 1, got shapes [] and [2, 3]");
    }

    /**
     * aᵀa (and a·aᵀ) of one view, the K-FAC factor product, takes the kernels' symmetric path and must give the
     * bits of the same product from a copy; so must a view that only looks like one (the right operand a column
     * further along the same storage). Sizes are odd and deep enough for the blocked path; a is a strided slice.
     */
    @Test
    void productOfAViewWithItsOwnTransposeMatchesTheProductOfCopies() {
        Random rnd = new Random(81);
        for (DType dt : DType.values()) {
            Tensor base = Tensor.fromArray(Layouts.values(rnd, 600 * 75, dt), 600, 75).to(dt);
            Tensor a = base.slice(1, 1, 74, 2); // 600×37, column stride 2
            Tensor copy = a.contiguous();
            assertThat(a.mT().matmul(a).toDoubleArray()).containsExactly(copy.mT().contiguous().matmul(copy).toDoubleArray());
            assertThat(a.matmul(a.mT()).toDoubleArray()).containsExactly(copy.matmul(copy.mT().contiguous()).toDoubleArray());
            Tensor shifted = base.slice(1, 2, 75, 2).narrow(1, 0, 36);
            Tensor left = a.narrow(1, 0, 36);
            assertThat(left.mT().matmul(shifted).toDoubleArray())
                    .containsExactly(left.contiguous().mT().contiguous().matmul(shifted.contiguous()).toDoubleArray());
        }
    }

    @Test
    void matmulInPlaceWritesTheProductIntoAView() {
        // Batched products into the head slices of a wider tensor, as attention does: the bits of matmul, the rest untouched.
        Random rnd = new Random(80);
        for (DType dt : DType.values()) {
            Tensor a = Tensor.fromArray(Layouts.values(rnd, 2 * 3 * 4 * 5, dt), 2, 3, 4, 5).to(dt);
            Tensor b = Tensor.fromArray(Layouts.values(rnd, 2 * 3 * 5 * 6, dt), 2, 3, 5, 6).to(dt);
            Tensor wide = Tensor.full(dt, 7, 2, 4, 3 * 6 + 2);
            Tensor slice = wide.narrow(2, 2, 18).reshape(2, 4, 3, 6).permute(0, 2, 1, 3);
            assertThat(slice.matmulInPlace(a, b)).isSameAs(slice);
            assertThat(slice.toDoubleArray()).containsExactly(a.matmul(b).toDoubleArray());
            assertThat(wide.narrow(2, 0, 2).toDoubleArray()).containsOnly(7.0);
            // A shared right operand (one GEMM over all rows) into a row-strided view.
            Tensor w = Tensor.fromArray(Layouts.values(rnd, 5 * 6, dt), 5, 6).to(dt);
            Tensor rows = Tensor.zeros(dt, 2, 3, 4, 9).narrow(3, 1, 6).permute(0, 1, 2, 3);
            rows.matmulInPlace(a, w);
            assertThat(rows.toDoubleArray()).containsExactly(a.matmul(w).toDoubleArray());
        }
        Tensor a = Tensor.zeros(DType.F32, 2, 3), b = Tensor.zeros(DType.F32, 3, 4);
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 2, 5).matmulInPlace(a, b))
                .hasMessage("matmulInPlace: shapes [2, 3] and [3, 4] do not multiply to the target's shape [2, 5]");
        assertThatThrownBy(() -> Tensor.zeros(DType.F32, 4, 2).mT().matmulInPlace(a, b))
                .hasMessageStartingWith("matmulInPlace: the target of shape [2, 4] needs unit stride along its last axis");
        assertThatThrownBy(() -> Tensor.zeros(DType.F64, 2, 4).matmulInPlace(a, b))
                .hasMessageStartingWith("matmulInPlace: needs matrices of the target's dtype");
        Tensor c = Tensor.zeros(DType.F32, 3, 3);
        assertThatThrownBy(() -> c.matmulInPlace(c, c)).hasMessage("matmulInPlace: the target shares storage with an operand");
    }
}
