package kfac4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/**
 * Reference-counted release of storages and the pool that reuses their arrays. The tests run with every array
 * poolable ({@code -Dkfac4j.pool.minBytes=0}, see the parent pom), so small tensors stand in for large ones.
 */
class RecyclerTest {
    private static Tensor filled(DType dtype, double v, int n) {
        return Tensor.full(dtype, v, n);
    }

    /** The array of a float tensor of n copies of v, allocated under a recycler and released by it. */
    private static float[] released(double v, int n) {
        try (Recycler r = Recycler.open()) {
            Tensor t = filled(DType.F32, v, n);
            float[] array = t.f32();
            r.retain(t);
            r.drop(t);
            assertThat(Recycler.isReleased(t)).isTrue();
            return array;
        }
    }

    @Test
    void theLastDropReleasesTheStorageAndEveryViewOfItFailsWithAMessage() {
        Tensor t, view;
        try (Recycler r = Recycler.open()) {
            t = filled(DType.F32, 3, 12);
            view = t.reshape(3, 4).transpose(0, 1);
            r.retain(t);
            r.retain(view); // the same storage, counted twice
            r.drop(t);
            assertThat(Recycler.isReleased(t)).isFalse();
            assertThat(view.get(1, 2)).isEqualTo(3.0);
            r.drop(view);
        }
        assertThat(Recycler.isReleased(t)).isTrue();
        assertThat(Recycler.isReleased(view)).isTrue();
        assertThatThrownBy(() -> t.get(0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("recycled");
        assertThatThrownBy(view::toDoubleArray).hasMessageContaining("recycled");
        assertThatThrownBy(() -> t.add(t)).hasMessageContaining("recycled");
    }

    @Test
    void aReleasedArrayBacksTheNextAllocationOfItsLengthAndType() {
        float[] array = released(5, 1031);
        // Other lengths and the other type do not take it.
        assertThat(Tensor.allocateForOverwrite(DType.F32, new int[]{1030}).f32()).isNotSameAs(array);
        assertThat(Tensor.allocateForOverwrite(DType.F64, new int[]{1031}).f64()).isNotNull();
        Tensor reused = Tensor.allocateForOverwrite(DType.F32, new int[]{1031});
        assertThat(reused.f32()).isSameAs(array);
    }

    @Test
    void zerosDrawnFromThePoolAreZeroedAgain() {
        float[] array = released(7, 1033);
        Tensor z = Tensor.zeros(DType.F32, 1033);
        assertThat(z.f32()).isSameAs(array);
        assertThat(z.toFloatArray()).containsOnly(0f);
    }

    @Test
    void onlyStoragesAllocatedOnItsThreadWhileItIsOpenAreReleased() throws Exception {
        Tensor before = filled(DType.F64, 1, 8);
        AtomicReference<Tensor> elsewhere = new AtomicReference<>();
        Tensor after;
        Tensor pinned;
        try (Recycler r = Recycler.open()) {
            Thread other = new Thread(() -> elsewhere.set(filled(DType.F64, 2, 8)));
            other.start();
            other.join();
            pinned = filled(DType.F64, 3, 8);
            r.pin(pinned);
            for (Tensor t : new Tensor[]{before, elsewhere.get(), pinned}) {
                r.retain(t);
                r.drop(t);
                assertThat(Recycler.isReleased(t)).isFalse();
            }
            try (Recycler inner = Recycler.open()) {
                after = filled(DType.F64, 4, 8); // adopted by the inner recycler, not the outer
            }
            r.retain(after);
            r.drop(after);
            assertThat(Recycler.isReleased(after)).isFalse();
        }
        assertThat(before.toDoubleArray()).containsOnly(1.0);
        assertThat(elsewhere.get().toDoubleArray()).containsOnly(2.0);
        assertThat(pinned.toDoubleArray()).containsOnly(3.0);
        assertThat(after.toDoubleArray()).containsOnly(4.0);
    }

    @Test
    void anInactiveRecyclerShadowsTheOuterOneAndAdoptsNothing() {
        try (Recycler outer = Recycler.open()) {
            Tensor t;
            try (Recycler inactive = Recycler.openInactive()) {
                t = filled(DType.F32, 1, 16);
                inactive.retain(t);
                inactive.drop(t);
            }
            outer.retain(t);
            outer.drop(t);
            assertThat(Recycler.isReleased(t)).isFalse();
        }
    }

    @Test
    void misuseIsReportedNotIgnored() {
        try (Recycler r = Recycler.open()) {
            Tensor t = filled(DType.F32, 1, 16);
            assertThatThrownBy(() -> r.drop(t)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("dropped more often than it was retained");
            Recycler inner = Recycler.open();
            assertThatThrownBy(r::close).hasMessageContaining("reverse order");
            inner.close();
        }
    }

    @Test
    void thePoolKeepsOnlyLargeEnoughArraysAndDropsTheLeastRecentlyUsedLengthsPastItsBound() {
        ArrayPool pool = new ArrayPool(64, 1000); // bytes
        pool.give(new float[15]); // 60 bytes: too small to keep
        assertThat(pool.heldBytes()).isZero();
        float[] a = new float[100], b = new float[100], c = new float[50];
        pool.give(a);
        pool.give(b);
        pool.give(c); // 400 + 400 + 200 bytes: at the bound
        assertThat(pool.heldBytes()).isEqualTo(1000);
        assertThat(pool.take(DType.F32, 50)).isSameAs(c); // 50 is now the most recently used length
        pool.give(c);
        double[] d = new double[50]; // 400 more bytes: one array of length 100 goes
        pool.give(d);
        assertThat(pool.heldBytes()).isEqualTo(1000);
        assertThat(pool.take(DType.F64, 50)).isSameAs(d);
        assertThat(pool.take(DType.F32, 50)).isSameAs(c);
        assertThat(pool.take(DType.F32, 100)).isNotNull();
        assertThat(pool.take(DType.F32, 100)).isNull();
        assertThat(pool.heldBytes()).isZero();
        pool.give(new float[300]); // 1200 bytes: larger than the bound, not kept
        assertThat(pool.heldBytes()).isZero();
    }
}
