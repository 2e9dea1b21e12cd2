package kfac4j.kfac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * One Kronecker block as an operator (DESIGN.md §5.1, §5.3): its dense form and matvec in row-major {@code vec([W b])}
 * order, the exactly damped and the π-damped inverses against dense solves, log-determinants against a dense LU, and
 * the Cholesky retry policy.
 */
class KroneckerFactorsTest {

    /** A random symmetric positive semi-definite matrix of rank {@code rank}: Xᵀ X / rank. */
    static Tensor gram(Rng rng, int n, int rank) {
        Tensor x = rng.normal(DType.F64, 0, 1, rank, n);
        return x.mT().matmul(x).div(rank);
    }

    static KroneckerFactors factors(long seed, int dOut, int dIn) {
        Rng rng = new Rng(seed);
        return new KroneckerFactors(gram(rng, dIn, dIn + 2), gram(rng, dOut, dOut + 1));
    }

    @Test
    void denseBlockIsGKroneckerAInRowMajorOrderBuiltEntryByEntry() {
        KroneckerFactors f = factors(1, 3, 4);
        double[][] g = Dense.of(f.g()), a = Dense.of(f.a());
        double[][] dense = Dense.of(f.dense());
        // Entry ((i, j), (k, l)) of the block couples W[i][j] and W[k][l]: G[i][k]·A[j][l].
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
                for (int k = 0; k < 3; k++)
                    for (int l = 0; l < 4; l++) {
                        assertThat(dense[i * 4 + j][k * 4 + l]).isCloseTo(g[i][k] * a[j][l], org.assertj.core.data.Offset.offset(1e-14));
                    }
    }

    @Test
    void matvecIsTheDenseBlockTimesRowMajorVec() {
        KroneckerFactors f = factors(2, 3, 5);
        Tensor v = new Rng(3).normal(DType.F64, 0, 1, 3, 5);
        double[] expected = Dense.matvec(Dense.kron(Dense.of(f.g()), Dense.of(f.a())), Dense.vector(v));
        assertThat(Dense.relativeError(Dense.vector(f.matvec(v)), expected)).isLessThan(1e-13);
    }

    @ParameterizedTest(name = "damping {0}")
    @ValueSource(doubles = {1e-6, 1e-3, 1.0})
    void exactlyDampedInverseEqualsDenseSolve(double damping) {
        KroneckerFactors f = factors(4, 4, 6);
        Tensor v = new Rng(5).normal(DType.F64, 0, 1, 4, 6);
        double[] expected = Dense.solve(Dense.plusIdentity(Dense.kron(Dense.of(f.g()), Dense.of(f.a())), damping), Dense.vector(v));
        double[] actual = Dense.vector(f.inverse(damping, DampingMode.EXACT).apply(v));
        // The dense system's condition number grows to ~1e6 at the smallest damping; allow for it.
        assertThat(Dense.relativeError(actual, expected)).isLessThan(damping < 1e-3 ? 1e-8 : 1e-11);
    }

    @ParameterizedTest(name = "damping {0}")
    @ValueSource(doubles = {1e-4, 1e-2, 1.0})
    void factoredDampingEqualsDenseSolveWithPiShiftedFactors(double damping) {
        KroneckerFactors f = factors(6, 3, 5);
        double[][] a = Dense.of(f.a()), g = Dense.of(f.g());
        // π = √((tr A / dim A) / (tr G / dim G)); (G + √λ/π I) ⊗ (A + π√λ I).
        double pi = Math.sqrt((Dense.trace(a) / 5) / (Dense.trace(g) / 3));
        assertThat(f.pi()).isCloseTo(pi, org.assertj.core.data.Offset.offset(1e-12 * pi));
        double[][] damped = Dense.kron(Dense.plusIdentity(g, Math.sqrt(damping) / pi), Dense.plusIdentity(a, pi * Math.sqrt(damping)));
        Tensor v = new Rng(7).normal(DType.F64, 0, 1, 3, 5);
        double[] expected = Dense.solve(damped, Dense.vector(v));
        double[] actual = Dense.vector(f.inverse(damping, DampingMode.FACTORED).apply(v));
        assertThat(Dense.relativeError(actual, expected)).isLessThan(1e-10);
        // And it is not the exactly damped inverse: the cross terms π√λ G ⊗ I + (√λ/π) I ⊗ A are extra damping.
        double[] exact = Dense.vector(f.inverse(damping, DampingMode.EXACT).apply(v));
        assertThat(Dense.relativeError(actual, exact)).isGreaterThan(1e-4);
    }

    @Test
    void logdetMatchesDenseLogdetInBothModes() {
        KroneckerFactors f = factors(8, 3, 4);
        double damping = 1e-2;
        double[][] g = Dense.of(f.g()), a = Dense.of(f.a());
        double exact = Dense.logdet(Dense.plusIdentity(Dense.kron(g, a), damping));
        assertThat(f.logdet(damping, DampingMode.EXACT)).isCloseTo(exact, org.assertj.core.data.Offset.offset(1e-10 * Math.abs(exact)));
        double pi = f.pi();
        double factored = Dense.logdet(Dense.kron(Dense.plusIdentity(g, Math.sqrt(damping) / pi), Dense.plusIdentity(a, pi * Math.sqrt(damping))));
        assertThat(f.logdet(damping, DampingMode.FACTORED)).isCloseTo(factored, org.assertj.core.data.Offset.offset(1e-10 * Math.abs(factored)));
    }

    @Test
    void failedCholeskyRetriesWithMoreDampingAndSaysSo() {
        // A rank-1 G cannot be factorised without damping; the inverse must still come back, and say what it did.
        Rng rng = new Rng(9);
        KroneckerFactors f = new KroneckerFactors(gram(rng, 4, 6), gram(rng, 3, 1));
        DampedInverse inv = f.inverse(0, DampingMode.FACTORED);
        assertThat(inv.notes()).hasSize(1);
        assertThat(inv.notes().get(0)).contains("G").contains("Cholesky failed").contains("damping raised to");
        Tensor out = inv.apply(rng.normal(DType.F64, 0, 1, 3, 4));
        assertThat(KroneckerFactors.allFinite(out)).isTrue();
    }

    @Test
    void failedF32CholeskyIsRetriedInF64First() {
        // [[1, 1], [1, 1]] + 1e-9·I is positive definite, but in F32 the damping vanishes (1 + 1e-9 rounds to 1).
        Tensor s = Tensor.ones(DType.F32, 2, 2);
        DampedCholesky c = DampedCholesky.factor("A", s, 1e-9);
        assertThat(c.note()).contains("F32").endsWith("succeeded in F64");
        assertThat(c.shift()).isEqualTo(1e-9);
        assertThat(c.inverse().dtype()).isEqualTo(DType.F32);
    }

    @Test
    void movingAverageWeighsOldAndNew() {
        KroneckerFactors old = factors(10, 2, 3), latest = factors(11, 2, 3);
        KroneckerFactors avg = old.movingAverage(latest, 0.95);
        assertThat(avg.a().allClose(old.a().mul(0.95).add(latest.a().mul(0.05)), 1e-15, 1e-15)).isTrue();
        assertThat(avg.g().allClose(old.g().mul(0.95).add(latest.g().mul(0.05)), 1e-15, 1e-15)).isTrue();
    }

    @Test
    void badShapesAndDampingAreRejectedWithClearMessages() {
        KroneckerFactors f = factors(12, 2, 3);
        assertThatThrownBy(() -> f.matvec(Tensor.zeros(DType.F64, 3, 2))).hasMessageContaining("[2, 3]").hasMessageContaining("[3, 2]");
        assertThatThrownBy(() -> f.inverse(-1, DampingMode.EXACT)).hasMessageContaining("damping");
        assertThatThrownBy(() -> new KroneckerFactors(Tensor.zeros(DType.F64, 2, 3), Tensor.zeros(DType.F64, 2, 2)))
                .hasMessageContaining("A must be a square matrix");
    }
}
