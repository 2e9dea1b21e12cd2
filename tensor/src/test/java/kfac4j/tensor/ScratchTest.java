package kfac4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

/** The per-thread work arrays of {@link Scratch}: reuse, no sharing between holders, and what a taken array holds. */
class ScratchTest {
    @Test
    void anArrayGivenBackIsTakenAgainByItsThreadButNeverHandedToTwoHoldersAtOnce() {
        Object first = Scratch.take(Scratch.Slot.PATCHES, DType.F32, 1000);
        // While it is out, the slot is empty: a nested use gets an array of its own.
        Object nested = Scratch.take(Scratch.Slot.PATCHES, DType.F32, 1000);
        assertThat(nested).isNotSameAs(first);
        Scratch.give(Scratch.Slot.PATCHES, nested);
        Scratch.give(Scratch.Slot.PATCHES, first);
        // Either may be kept (both have 1000 elements); a shorter request takes it again.
        Object again = Scratch.take(Scratch.Slot.PATCHES, DType.F32, 600);
        assertThat(again).isIn(first, nested);
        // Other slots and the other dtype are separate.
        Object padded = Scratch.take(Scratch.Slot.PADDED, DType.F32, 600);
        Object f64 = Scratch.take(Scratch.Slot.PATCHES, DType.F64, 600);
        assertThat(padded).isNotSameAs(again).isInstanceOf(float[].class);
        assertThat(f64).isInstanceOf(double[].class);
        Scratch.give(Scratch.Slot.PATCHES, again);
        Scratch.give(Scratch.Slot.PADDED, padded);
        Scratch.give(Scratch.Slot.PATCHES, f64);
    }

    @Test
    void aLongerRequestGetsALongerArrayAndALongerArrayIsKeptOverAShorterOne() {
        Object small = Scratch.take(Scratch.Slot.PATCHES, DType.F64, 10);
        Scratch.give(Scratch.Slot.PATCHES, small);
        Object large = Scratch.take(Scratch.Slot.PATCHES, DType.F64, 5000);
        assertThat((double[]) large).hasSizeGreaterThanOrEqualTo(5000);
        Object shortOne = Scratch.take(Scratch.Slot.PATCHES, DType.F64, 10);
        Scratch.give(Scratch.Slot.PATCHES, large);
        Scratch.give(Scratch.Slot.PATCHES, shortOne);
        assertThat(Scratch.take(Scratch.Slot.PATCHES, DType.F64, 4000)).isSameAs(large);
        Scratch.give(Scratch.Slot.PATCHES, large);
    }

    @Test
    void eachThreadHasItsOwnArrays() throws Exception {
        Object mine = Scratch.take(Scratch.Slot.PADDED, DType.F32, 256);
        Scratch.give(Scratch.Slot.PADDED, mine);
        Object theirs = CompletableFuture.supplyAsync(() -> Scratch.take(Scratch.Slot.PADDED, DType.F32, 256)).get();
        assertThat(theirs).isNotSameAs(mine);
    }

    @Test
    void takenArraysAreZeroedOnRequestAndPoisonedUnderTheTestsFlag() {
        float[] used = (float[]) Scratch.take(Scratch.Slot.PADDED, DType.F32, 64);
        java.util.Arrays.fill(used, 7f);
        Scratch.give(Scratch.Slot.PADDED, used);
        float[] zeroed = (float[]) Scratch.takeZeroed(Scratch.Slot.PADDED, DType.F32, 64);
        assertThat(zeroed).isSameAs(used);
        for (int i = 0; i < 64; i++) assertThat(zeroed[i]).as("element %d", i).isZero();
        Scratch.give(Scratch.Slot.PADDED, zeroed);
        // The tests run with -Dkfac4j.pool.poison=true: a stale value would hide a read of an element nobody wrote.
        assertThat(ArrayPool.POISON).isTrue();
        float[] poisoned = (float[]) Scratch.take(Scratch.Slot.PADDED, DType.F32, 64);
        for (int i = 0; i < 64; i++) assertThat(poisoned[i]).as("element %d", i).isNaN();
        Scratch.give(Scratch.Slot.PADDED, poisoned);
    }
}
