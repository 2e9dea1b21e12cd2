package kfac4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;

import org.junit.jupiter.api.Test;

/** Per-image patch sums against the straightforward computation: unfold every image, then sum its columns. */
class PatchSumsTest {

    @Test
    void equalsTheSummedUnfoldedPatchesForRandomGeometriesAndLayouts() {
        Random rnd = new Random(7);
        int tested = 0;
        while (tested < 80) {
            ConvGeometry g = new ConvGeometry(1 + rnd.nextInt(4), 1 + rnd.nextInt(4), 1 + rnd.nextInt(3),
                    1 + rnd.nextInt(3), rnd.nextInt(3), rnd.nextInt(3), 1 + rnd.nextInt(2), 1 + rnd.nextInt(3));
            int n = 1 + rnd.nextInt(3), c = 1 + rnd.nextInt(4), h = 1 + rnd.nextInt(9), w = 1 + rnd.nextInt(9);
            if (g.outH(h) < 1 || g.outW(w) < 1) continue;
            tested++;
            DType dt = tested % 4 == 0 ? DType.F32 : DType.F64;
            int[] shape = {n, c, h, w};
            Tensor x = Layouts.build(Layouts.values(rnd, Reference.numel(shape), dt), shape, dt,
                    Layouts.Layout.values()[rnd.nextInt(3)]);
            Tensor expected = x.unfold(g).sum(2);
            Tensor actual = PatchSums.perImage(x, g);
            assertThat(actual.dtype()).isEqualTo(dt);
            assertThat(actual.shape()).containsExactly(n, c * g.kernelH() * g.kernelW());
            double tol = dt == DType.F64 ? 1e-12 : 1e-5;
            assertThat(actual.allClose(expected, tol, tol)).as("%s on %dx%dx%dx%d", g, n, c, h, w).isTrue();
        }
    }

    @Test
    void manyImagesSplitOverThreadsGiveTheSameSumsAsOneByOne() {
        Rng rng = new Rng(3);
        Tensor x = rng.normal(DType.F64, 0, 1, 40, 16, 12, 12);
        ConvGeometry g = ConvGeometry.square(3, 2, 1, 1);
        Tensor all = PatchSums.perImage(x, g);
        for (int b = 0; b < 40; b++) {
            Tensor one = PatchSums.perImage(x.narrow(0, b, 1), g);
            assertThat(all.narrow(0, b, 1).toDoubleArray()).containsExactly(one.toDoubleArray());
        }
        assertThat(all.allClose(x.unfold(g).sum(2), 1e-12, 1e-12)).isTrue();
    }

    @Test
    void rejectsInputsThatAreNotImagesOrTooSmall() {
        ConvGeometry g = ConvGeometry.square(3, 1, 0, 1);
        assertThatThrownBy(() -> PatchSums.perImage(Tensor.zeros(DType.F32, 2, 3, 4), g))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(N, C, H, W)");
        assertThatThrownBy(() -> PatchSums.perImage(Tensor.zeros(DType.F32, 1, 1, 2, 2), g))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too small");
    }
}
