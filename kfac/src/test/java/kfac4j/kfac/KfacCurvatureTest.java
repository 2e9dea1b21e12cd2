package kfac4j.kfac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import kfac4j.autograd.Variable;
import kfac4j.nn.CrossEntropyLoss;
import kfac4j.nn.Linear;
import kfac4j.nn.Loss;
import kfac4j.nn.MSELoss;
import kfac4j.nn.Reduction;
import kfac4j.nn.Sequential;
import kfac4j.nn.Tanh;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * The curvature operator over a data set (DESIGN.md §5.4): the whole block-diagonal operator against its dense
 * matrix, statistics over several batches against one batch holding them all, the vector layout, and EKFAC.
 */
class KfacCurvatureTest {

    static Sequential mlp(Rng rng) {
        return new Sequential(new Linear(3, 4, true, DType.F64, rng), new Tanh(), new Linear(4, 2, false, DType.F64, rng));
    }

    static KfacCurvature.Batch batch(Rng rng, int n) {
        Tensor x = rng.normal(DType.F64, 0, 1, n, 3);
        double[] y = new double[n];
        for (int i = 0; i < n; i++) y[i] = rng.nextInt(2);
        return new KfacCurvature.Batch(x, Tensor.fromArray(y, n));
    }

    @Test
    void operatorMatchesItsDenseBlockDiagonalMatrix() {
        Rng rng = new Rng(1);
        Sequential model = mlp(rng);
        KfacCurvature k = KfacCurvature.over(model, new CrossEntropyLoss(), List.of(batch(rng, 6))).fisher(FisherType.TYPE2).compute();
        assertThat(k.layers()).containsExactly("0", "2");
        assertThat(k.dim()).isEqualTo(4 * 4 + 2 * 4);
        assertThat(k.offset("2")).isEqualTo(16);
        double[][] dense = Dense.of(k.dense());
        // Off-diagonal blocks vanish; diagonal blocks are G ⊗ A of each layer.
        double[][] first = Dense.kron(Dense.of(k.factors("0").g()), Dense.of(k.factors("0").a()));
        double[][] second = Dense.kron(Dense.of(k.factors("2").g()), Dense.of(k.factors("2").a()));
        for (int i = 0; i < 24; i++) {
            for (int j = 0; j < 24; j++) {
                double expected = i < 16 && j < 16 ? first[i][j] : i >= 16 && j >= 16 ? second[i - 16][j - 16] : 0;
                assertThat(dense[i][j]).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-14));
            }
        }
        Tensor v = rng.normal(DType.F64, 0, 1, 24);
        assertThat(Dense.relativeError(Dense.vector(k.matvec(v)), Dense.matvec(dense, Dense.vector(v)))).isLessThan(1e-13);
        double damping = 1e-2;
        double[] solved = Dense.solve(Dense.plusIdentity(dense, damping), Dense.vector(v));
        assertThat(Dense.relativeError(Dense.vector(k.inverse(damping).apply(v)), solved)).isLessThan(1e-10);
        double logdet = Dense.logdet(Dense.plusIdentity(dense, damping));
        assertThat(k.logdet(damping)).isCloseTo(logdet, org.assertj.core.data.Offset.offset(1e-10 * Math.abs(logdet)));
        assertThat(k.inverse(damping).notes()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Approximation.class)
    void factorsAreSymmetricToTheLastBit(Approximation approx) {
        // Nothing symmetrises the factors: the Gram products must come out exactly symmetric (eigh and Cholesky read
        // one triangle, but matvec and dense read both).
        Rng rng = new Rng(9);
        Sequential model = new Sequential(new Linear(3, 40, true, DType.F32, rng), new Tanh(), new Linear(40, 30, false, DType.F32, rng));
        Tensor x = rng.normal(DType.F32, 0, 1, 300, 3);
        double[] y = new double[300];
        for (int i = 0; i < y.length; i++) y[i] = rng.nextInt(30);
        KfacCurvature k = KfacCurvature.over(model, new CrossEntropyLoss(), List.of(new KfacCurvature.Batch(x, Tensor.fromArray(y, 300))))
                .approximation(approx).fisher(FisherType.MC).compute();
        for (String name : k.layers()) {
            for (Tensor f : List.of(k.factors(name).a(), k.factors(name).g())) assertThat(f.sub(f.mT()).abs().max().item()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Reduction.class)
    void severalBatchesGiveTheFactorsOfOneBatchHoldingThemAll(Reduction reduction) {
        Rng rng = new Rng(2);
        Sequential model = mlp(rng);
        KfacCurvature.Batch b1 = batch(rng, 3), b2 = batch(rng, 5);
        KfacCurvature.Batch both = new KfacCurvature.Batch(Tensor.concat(0, b1.input(), b2.input()),
                Tensor.concat(0, b1.target(), b2.target()));
        Loss loss = new CrossEntropyLoss(reduction);
        for (Approximation approx : Approximation.values()) {
            KfacCurvature split = KfacCurvature.over(model, loss, List.of(b1, b2)).approximation(approx).fisher(FisherType.TYPE2).compute();
            KfacCurvature whole = KfacCurvature.over(model, loss, List.of(both)).approximation(approx).fisher(FisherType.TYPE2).compute();
            for (String name : whole.layers()) {
                assertThat(split.factors(name).a().allClose(whole.factors(name).a(), 1e-12, 1e-14)).isTrue();
                assertThat(split.factors(name).g().allClose(whole.factors(name).g(), 1e-12, 1e-14)).isTrue();
            }
        }
    }

    /** One linear layer applied twice in a row (tied calls). */
    static final class Twice extends kfac4j.nn.Module {
        final Linear layer;

        Twice(Rng rng) {
            layer = registerModule("layer", new Linear(3, 3, true, DType.F64, rng));
        }

        @Override
        public Variable forward(Variable x) {
            return layer.forward(layer.forward(x));
        }
    }

    @Test
    void aLayerCalledTwiceContributesTheRowsOfBothCalls() {
        Rng rng = new Rng(10);
        Twice model = new Twice(rng);
        Tensor x = rng.normal(DType.F64, 0, 1, 4, 3), y = rng.normal(DType.F64, 0, 1, 4, 3);
        Tensor h = model.layer.forward(Variable.constant(x)).value();
        double[][] rows = new double[8][];
        for (int n = 0; n < 4; n++) {
            rows[n] = new double[]{x.get(n, 0), x.get(n, 1), x.get(n, 2), 1};
            rows[4 + n] = new double[]{h.get(n, 0), h.get(n, 1), h.get(n, 2), 1};
        }
        double[][] expand = Dense.transposeTimes(rows, rows);
        double[][] reduced = new double[4][];
        for (int n = 0; n < 4; n++) {
            reduced[n] = new double[4];
            for (int j = 0; j < 4; j++) reduced[n][j] = (rows[n][j] + rows[4 + n][j]) / 2;
        }
        double[][] reduce = Dense.transposeTimes(reduced, reduced);
        for (Approximation approx : Approximation.values()) {
            KfacCurvature k = KfacCurvature.over(model, new MSELoss(), List.of(new KfacCurvature.Batch(x, y))).approximation(approx).compute();
            double[][] a = Dense.of(k.factors("layer").a());
            // Expand: (1/M) Σ over the 8 rows of both calls; reduce: (1/N) Σ over examples of their mean row.
            double[][] expected = approx == Approximation.EXPAND ? expand : reduce;
            double scale = approx == Approximation.EXPAND ? 8 : 4;
            for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) expected[i][j] /= scale;
            assertThat(Dense.relativeError(a, expected)).isLessThan(1e-14);
        }
    }

    @Test
    void gradientsAreLaidOutAsRowMajorWbPerLayer() {
        Rng rng = new Rng(3);
        Sequential model = mlp(rng);
        KfacCurvature.Batch b = batch(rng, 4);
        Loss loss = new CrossEntropyLoss();
        KfacCurvature k = KfacCurvature.over(model, loss, List.of(b)).compute();
        loss.apply(model.forward(Variable.constant(b.input())), b.target()).backward();
        Linear first = (Linear) model.get(0), last = (Linear) model.get(2);
        double[] expected = new double[k.dim()];
        double[] a = Reference.joined(first.weight().grad(), first.bias().grad());
        double[] c = Reference.joined(last.weight().grad(), null);
        System.arraycopy(a, 0, expected, 0, a.length);
        System.arraycopy(c, 0, expected, a.length, c.length);
        assertThat(Dense.vector(k.gradients())).containsExactly(expected, org.assertj.core.data.Offset.offset(0.0));
    }

    @Test
    void ekfacIsExactWhereKfacIsExactInBothSettingsAndWithRaggedRows() {
        Rng rng = new Rng(4);
        Sequential perRow = ExactnessTest.deepLinear(rng, false), pooled = ExactnessTest.deepLinear(rng, true);
        Tensor x = rng.normal(DType.F64, 0, 1, 3, 4, ExactnessTest.D0);
        Tensor yRows = rng.normal(DType.F64, 0, 1, 3, 4, ExactnessTest.C), yPooled = rng.normal(DType.F64, 0, 1, 3, ExactnessTest.C);
        assertEkfacExact(perRow, () -> perRow.forward(Variable.constant(x)), new MSELoss(Reduction.MEAN), yRows, Approximation.EXPAND);
        assertEkfacExact(pooled, () -> pooled.forward(Variable.constant(x)), new MSELoss(Reduction.SUM), yPooled, Approximation.REDUCE);
        ExactnessTest.RaggedDeepLinear ragged = new ExactnessTest.RaggedDeepLinear(rng);
        int[] ids = {0, 0, 0, 1, 2, 2, 2, 2};
        Tensor rows = rng.normal(DType.F64, 0, 1, ids.length, ExactnessTest.D0), y = rng.normal(DType.F64, 0, 1, ids.length, ExactnessTest.C);
        assertEkfacExact(ragged, () -> ragged.forward(Variable.constant(rows), ids, 3), new MSELoss(Reduction.MEAN), y, Approximation.EXPAND);
    }

    private static void assertEkfacExact(kfac4j.nn.Module model, java.util.function.Supplier<Variable> prediction, Loss loss,
                                         Tensor y, Approximation approx) {
        KfacCurvature ekfac = KfacCurvature.overLosses(model, List.of(() -> loss.apply(prediction.get(), y)))
                .approximation(approx).fisher(FisherType.TYPE2).eigenvalueCorrection(true).compute();
        Variable f = prediction.get();
        for (String name : ekfac.layers()) {
            double[][] ggn = Reference.ggn(f, loss, (kfac4j.nn.WeightSharingLinear) model.namedModules().get(name));
            assertThat(ekfac.block(name)).isInstanceOf(EigenCorrectedFactors.class);
            assertThat(Dense.relativeError(Dense.of(ekfac.block(name).dense()), ggn)).as(approx + ", layer " + name).isLessThanOrEqualTo(1e-10);
        }
    }

    @Test
    void ekfacIsAtLeastAsCloseAsKfacOnANonlinearNet() {
        Rng rng = new Rng(5);
        Sequential model = FisherTypeTest.mlp("tanh", rng);
        Tensor x = rng.normal(DType.F64, 0, 1, 8, FisherTypeTest.IN), y = FisherTypeTest.target("ce", rng, 8);
        Loss loss = new CrossEntropyLoss(Reduction.MEAN);
        assertEkfacCloser(model, () -> model.forward(Variable.constant(x)), loss, y, Approximation.EXPAND);
    }

    private static void assertEkfacCloser(kfac4j.nn.Module model, java.util.function.Supplier<Variable> prediction, Loss loss,
                                          Tensor y, Approximation approx) {
        List<java.util.function.Supplier<Variable>> data = List.of(() -> loss.apply(prediction.get(), y));
        KfacCurvature kfac = KfacCurvature.overLosses(model, data).approximation(approx).fisher(FisherType.TYPE2).compute();
        KfacCurvature ekfac = KfacCurvature.overLosses(model, data).approximation(approx).fisher(FisherType.TYPE2)
                .eigenvalueCorrection(true).compute();
        Variable f = prediction.get();
        for (String name : kfac.layers()) {
            double[][] ggn = Reference.ggn(f, loss, (kfac4j.nn.WeightSharingLinear) model.namedModules().get(name));
            double kfacError = Dense.relativeError(Dense.of(kfac.block(name).dense()), ggn);
            double ekfacError = Dense.relativeError(Dense.of(ekfac.block(name).dense()), ggn);
            assertThat(kfacError).as("K-FAC must be inexact here, layer " + name).isGreaterThan(1e-3);
            assertThat(ekfacError).as("layer " + name).isLessThan(kfacError);
        }
    }

    @Test
    void savesFactorsToSafetensorsUnderLayerNames(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Rng rng = new Rng(8);
        Sequential model = mlp(rng);
        KfacCurvature k = KfacCurvature.over(model, new CrossEntropyLoss(), List.of(batch(rng, 5)))
                .approximation("2", Approximation.REDUCE).compute();
        java.nio.file.Path file = dir.resolve("factors.safetensors");
        k.save(file);
        kfac4j.tensor.SafeTensors read = kfac4j.tensor.SafeTensors.read(file);
        assertThat(read.tensors().keySet()).containsExactlyInAnyOrder("0.A", "0.G", "2.A", "2.G");
        for (String name : k.layers()) {
            assertThat(read.tensors().get(name + ".A").allClose(k.factors(name).a(), 0, 0)).isTrue();
            assertThat(read.tensors().get(name + ".G").allClose(k.factors(name).g(), 0, 0)).isTrue();
        }
        assertThat(read.metadata()).containsEntry("0.approximation", "expand").containsEntry("2.approximation", "reduce");
    }

    @Test
    void unknownLayersAndBadVectorsAreRejectedByName() {
        Rng rng = new Rng(7);
        Sequential model = mlp(rng);
        KfacCurvature k = KfacCurvature.over(model, new CrossEntropyLoss(), List.of(batch(rng, 2))).compute();
        assertThatThrownBy(() -> k.factors("fc9")).hasMessageContaining("fc9").hasMessageContaining("[0, 2]");
        assertThatThrownBy(() -> k.matvec(Tensor.zeros(DType.F64, 5))).hasMessageContaining("length 24");
        assertThatThrownBy(() -> KfacCurvature.over(model, new CrossEntropyLoss(), List.of(batch(rng, 2)))
                .approximation("nope", Approximation.REDUCE).compute()).hasMessageContaining("nope").hasMessageContaining("[0, 2]");
        assertThatThrownBy(() -> KfacCurvature.overLosses(model, List.of(() -> model.forward(Variable.constant(batch(rng, 2).input())).sum())).compute())
                .hasMessageContaining("kfac4j.nn.Loss");
    }
}
