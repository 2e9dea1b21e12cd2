package kfac4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Linear algebra against independent references: every factorisation is multiplied back with loops written here,
 * summed with a compensated dot product (so that the check itself is accurate to a few ulps), and compared with
 * the input; small cases are compared with values known in closed form.
 */
class LinalgTest {

    // ---------------------------------------------------------------- eigh

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 17, 64, 200})
    void eighReconstructsRandomSpdMatrixInF64(int n) {
        double[] s = randomSpd(n, 100 + n);
        Linalg.Eigh e = Linalg.eigh(Tensor.fromArray(s, n, n));
        assertThat(e.values().dtype()).isEqualTo(DType.F64);
        assertThat(e.values().shape()).containsExactly(n);
        assertThat(e.vectors().shape()).containsExactly(n, n);
        double[] lambda = e.values().toDoubleArray(), q = e.vectors().toDoubleArray();
        assertAscending(lambda);
        assertThat(reconstructionError(s, lambda, q, n)).isLessThanOrEqualTo(1e-12);
        assertThat(orthogonalityError(q, n)).isLessThanOrEqualTo(1e-12);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 17, 64, 200})
    void eighReconstructsRandomSpdMatrixInF32(int n) {
        Tensor s32 = Tensor.fromArray(randomSpd(n, 200 + n), n, n).to(DType.F32);
        Linalg.Eigh e = Linalg.eigh(s32);
        assertThat(e.values().dtype()).isEqualTo(DType.F32);
        assertThat(e.vectors().dtype()).isEqualTo(DType.F32);
        double[] lambda = e.values().toDoubleArray(), q = e.vectors().toDoubleArray();
        assertAscending(lambda);
        assertThat(reconstructionError(s32.toDoubleArray(), lambda, q, n)).isLessThanOrEqualTo(1e-5);
        assertThat(orthogonalityError(q, n)).isLessThanOrEqualTo(1e-5);
    }

    @Test
    void eighOfLargeRandomSpdMatrixMeetsTheF64Bound() {
        int n = 1024;
        // At this size the matrix and the checks use matmul; its rounding errors on random data are far below the
        // bounds.
        Tensor b = new Rng(7).normal(DType.F64, 0, 1, n, n);
        Tensor sTensor = b.matmul(b.mT()).div(n).add(Tensor.eye(DType.F64, n).mul(0.5));
        Linalg.Eigh e = Linalg.eigh(sTensor);
        Tensor q = e.vectors();
        assertAscending(e.values().toDoubleArray());
        double recon = q.mul(e.values()).matmul(q.mT()).sub(sTensor).norm() / sTensor.norm();
        double orth = q.mT().matmul(q).sub(Tensor.eye(DType.F64, n)).norm();
        assertThat(recon).isLessThanOrEqualTo(1e-12);
        assertThat(orth).isLessThanOrEqualTo(1e-12);
    }

    @Test
    void eighRecoversRepeatedEigenvalues() {
        int n = 60;
        double[] lambda = new double[n];
        for (int i = 0; i < n; i++) lambda[i] = i < 20 ? -1 : i < 50 ? 2 : 5 + i;
        double[] s = withSpectrum(lambda, 11);
        Linalg.Eigh e = Linalg.eigh(Tensor.fromArray(s, n, n));
        double[] got = e.values().toDoubleArray(), q = e.vectors().toDoubleArray();
        for (int i = 0; i < n; i++) assertThat(got[i]).isCloseTo(lambda[i], within(1e-12 * 64));
        assertThat(reconstructionError(s, got, q, n)).isLessThanOrEqualTo(1e-13);
        assertThat(orthogonalityError(q, n)).isLessThanOrEqualTo(1e-13);
    }

    @Test
    void eighOfRankOneMatrixGivesZerosAndItsNorm() {
        int n = 90;
        double[] ones = new double[n * n];
        java.util.Arrays.fill(ones, 1.0);
        Linalg.Eigh e = Linalg.eigh(Tensor.fromArray(ones, n, n));
        double[] got = e.values().toDoubleArray(), q = e.vectors().toDoubleArray();
        for (int i = 0; i < n - 1; i++) assertThat(got[i]).isCloseTo(0, within(1e-12 * n));
        assertThat(got[n - 1]).isCloseTo(n, within(1e-12 * n));
        assertThat(orthogonalityError(q, n)).isLessThanOrEqualTo(1e-13);
        assertThat(reconstructionError(ones, got, q, n)).isLessThanOrEqualTo(1e-13);
    }

    @Test
    void eighOfDiagonalMatrixSortsTheDiagonalAndPermutesTheBasis() {
        double[] diag = {3, -1, 7, 0, -1, 2.5};
        int n = diag.length;
        double[] s = new double[n * n];
        for (int i = 0; i < n; i++) s[i * n + i] = diag[i];
        Linalg.Eigh e = Linalg.eigh(Tensor.fromArray(s, n, n));
        assertThat(e.values().toDoubleArray()).containsExactly(-1, -1, 0, 2.5, 3, 7);
        double[] q = e.vectors().toDoubleArray();
        for (int j = 0; j < n; j++) {
            int nonZero = 0;
            for (int i = 0; i < n; i++) {
                double v = Math.abs(q[i * n + j]);
                assertThat(v == 0 || v == 1).as("entry [%d, %d] = %s", i, j, v).isTrue();
                if (v == 1) {
                    nonZero++;
                    assertThat(diag[i]).isEqualTo(e.values().get(j));
                }
            }
            assertThat(nonZero).isEqualTo(1);
        }
    }

    @Test
    void eighOfKnownTwoByTwo() {
        Linalg.Eigh e = Linalg.eigh(Tensor.of(new double[][]{{2, 1}, {1, 2}}));
        assertThat(e.values().toDoubleArray()).containsExactly(new double[]{1, 3}, within(1e-15));
        double r = Math.sqrt(0.5);
        Tensor q = e.vectors();
        // Columns are ±(1, −1)/√2 and ±(1, 1)/√2.
        assertThat(Math.abs(q.get(0, 0))).isCloseTo(r, within(1e-15));
        assertThat(q.get(1, 0)).isCloseTo(-q.get(0, 0), within(1e-15));
        assertThat(Math.abs(q.get(0, 1))).isCloseTo(r, within(1e-15));
        assertThat(q.get(1, 1)).isCloseTo(q.get(0, 1), within(1e-15));
    }

    @Test
    void eighOfZeroMatrixIsZeroWithIdentityVectors() {
        Linalg.Eigh e = Linalg.eigh(Tensor.zeros(DType.F64, 4, 4));
        assertThat(e.values().toDoubleArray()).containsOnly(0.0);
        assertThat(e.vectors().toDoubleArray()).containsExactly(Tensor.eye(DType.F64, 4).toDoubleArray());
    }

    @Test
    void eighOfEmptyMatrixIsEmpty() {
        Linalg.Eigh e = Linalg.eigh(Tensor.zeros(DType.F64, 0, 0));
        assertThat(e.values().shape()).containsExactly(0);
        assertThat(e.vectors().shape()).containsExactly(0, 0);
    }

    @Test
    void eighReadsOnlyTheLowerTriangleOfAnyStridedView() {
        int n = 40;
        double[] s = randomSpd(n, 5);
        // The matrix sits transposed in every other row and column of a larger buffer, with NaN above the diagonal.
        double[] big = new double[4 * n * n];
        java.util.Arrays.fill(big, 7.0);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) big[(2 * j) * (2 * n) + 2 * i] = j > i ? Double.NaN : s[i * n + j];
        }
        Tensor view = Tensor.fromArray(big, 2 * n, 2 * n).slice(0, 0, 2 * n, 2).slice(1, 0, 2 * n, 2).mT();
        assertThat(view.isContiguous()).isFalse();
        Linalg.Eigh fromView = Linalg.eigh(view), plain = Linalg.eigh(Tensor.fromArray(s, n, n));
        assertThat(fromView.values().toDoubleArray()).containsExactly(plain.values().toDoubleArray());
        assertThat(fromView.vectors().toDoubleArray()).containsExactly(plain.vectors().toDoubleArray());
    }

    @Test
    void eighRejectsNonSquareAndNonFiniteInput() {
        assertThatThrownBy(() -> Linalg.eigh(Tensor.zeros(DType.F64, 2, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("eigh: expected a square matrix, got shape [2, 3]");
        assertThatThrownBy(() -> Linalg.eigh(Tensor.zeros(DType.F32, 3)))
                .hasMessage("eigh: expected a square matrix, got shape [3]");
        assertThatThrownBy(() -> Linalg.eigh(Tensor.of(new double[][]{{1, 0}, {Double.NaN, 1}})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("eigh: tensor of shape [2, 2] holds a non-finite value NaN at [1, 0]");
    }

    // ---------------------------------------------------------------- Cholesky

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 17, 64, 65, 200})
    void choleskyFactorMultipliesBackToTheMatrix(int n) {
        double[] a = randomSpd(n, 300 + n);
        double[] l = Linalg.cholesky(Tensor.fromArray(a, n, n)).toDoubleArray();
        for (int i = 0; i < n; i++) {
            assertThat(l[i * n + i]).isPositive();
            for (int j = i + 1; j < n; j++) assertThat(l[i * n + j]).isZero();
        }
        assertThat(relativeError(product(l, n, n, false, l, n, true), a)).isLessThanOrEqualTo(1e-14);
    }

    @Test
    void choleskyInF32IsAccurateToF32Rounding() {
        int n = 100;
        Tensor a = Tensor.fromArray(randomSpd(n, 9), n, n).to(DType.F32);
        Tensor l = Linalg.cholesky(a);
        assertThat(l.dtype()).isEqualTo(DType.F32);
        double[] ld = l.toDoubleArray();
        assertThat(relativeError(product(ld, n, n, false, ld, n, true), a.toDoubleArray())).isLessThanOrEqualTo(1e-6);
    }

    @Test
    void choleskyOfKnownMatrix() {
        Tensor a = Tensor.of(new double[][]{{4, 12, -16}, {12, 37, -43}, {-16, -43, 98}});
        assertThat(Linalg.cholesky(a).toDoubleArray()).containsExactly(2, 0, 0, 6, 1, 0, -8, 5, 3);
    }

    @Test
    void choleskyReadsOnlyTheLowerTriangle() {
        Tensor a = Tensor.of(new double[][]{{4, Double.NaN, 1e9}, {12, 37, -1}, {-16, -43, 98}});
        assertThat(Linalg.cholesky(a).toDoubleArray()).containsExactly(2, 0, 0, 6, 1, 0, -8, 5, 3);
    }

    @Test
    void choleskyOfIndefiniteMatrixNamesTheFailingPivot() {
        assertThatThrownBy(() -> Linalg.cholesky(Tensor.of(new double[][]{{1, 2}, {2, 1}})))
                .isInstanceOf(NotPositiveDefiniteException.class)
                .hasMessage("cholesky: matrix of size 2×2 is not positive definite: pivot 1 is -3.0")
                .satisfies(ex -> {
                    NotPositiveDefiniteException e = (NotPositiveDefiniteException) ex;
                    assertThat(e.pivot()).isEqualTo(1);
                    assertThat(e.value()).isEqualTo(-3.0);
                });
    }

    @Test
    void choleskyFindsTheFailingPivotInALaterBlock() {
        int n = 150;
        double[] m = Tensor.eye(DType.F64, n).toDoubleArray();
        m[130 * n + 130] = -0.5;
        assertThatThrownBy(() -> Linalg.cholesky(Tensor.fromArray(m, n, n)))
                .isInstanceOf(NotPositiveDefiniteException.class)
                .hasMessage("cholesky: matrix of size 150×150 is not positive definite: pivot 130 is -0.5");
    }

    @Test
    void choleskyNamesAPivotThatTheUpdateOfAnEarlierBlockMadeNegative() {
        // Column 5 (first block) makes the Schur complement at 130 (third block) 1 − 2² = −3.
        int n = 150;
        double[] m = Tensor.eye(DType.F64, n).toDoubleArray();
        m[130 * n + 5] = 2;
        m[5 * n + 130] = 2;
        assertThatThrownBy(() -> Linalg.cholesky(Tensor.fromArray(m, n, n)))
                .isInstanceOf(NotPositiveDefiniteException.class)
                .hasMessage("cholesky: matrix of size 150×150 is not positive definite: pivot 130 is -3.0");
    }

    /**
     * The blocked Cholesky and inverse against the textbook algorithms in F64, well and badly conditioned. Both
     * compute L to a backward error of order n·ε‖A‖, so they may differ by about n·ε·κ(A) relative, with κ bounded
     * here by ‖A‖_F / shift (the smallest eigenvalue of B Bᵀ/n + shift·I is at least the shift).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 63, 64, 65, 300, 513})
    void blockedCholeskyAndInverseMatchTheUnblockedAlgorithms(int n) {
        for (double shift : new double[]{0.5, 1e-6}) {
            double[] a = randomSpd(n, 700 + n);
            for (int i = 0; i < n; i++) a[i * n + i] += shift - 0.5;
            double kappa = norm(a) / shift, tolerance = 4 * n * EPS * kappa;
            double[] want = unblockedCholesky(a, n);
            Tensor l = Linalg.cholesky(Tensor.fromArray(a, n, n));
            assertThat(relativeError(l.toDoubleArray(), want)).as("L, shift %s", shift).isLessThanOrEqualTo(tolerance);
            double[] inverse = Linalg.choleskyInverse(l).toDoubleArray();
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < i; j++) assertThat(inverse[j * n + i]).isEqualTo(inverse[i * n + j]);
            }
            assertThat(relativeError(inverse, unblockedInverse(want, n))).as("inverse, shift %s", shift)
                    .isLessThanOrEqualTo(tolerance);
            assertThat(relativeError(product(a, n, n, false, inverse, n, false), identity(n)))
                    .as("A A⁻¹ − I, shift %s", shift).isLessThanOrEqualTo(tolerance);
        }
    }

    @Test
    void choleskyRejectsNonSquareInput() {
        assertThatThrownBy(() -> Linalg.cholesky(Tensor.zeros(DType.F64, 3, 2)))
                .hasMessage("cholesky: expected a square matrix, got shape [3, 2]");
    }

    @Test
    void choleskyInverseAndSolveInvertTheMatrix() {
        int n = 130;
        double[] a = randomSpd(n, 21);
        Tensor at = Tensor.fromArray(a, n, n);
        Tensor l = Linalg.cholesky(at);
        double[] inv = Linalg.choleskyInverse(l).toDoubleArray();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) assertThat(inv[i * n + j]).isEqualTo(inv[j * n + i]);
        }
        assertThat(relativeError(product(a, n, n, false, inv, n, false), identity(n))).isLessThanOrEqualTo(1e-12);
        double[] b = randomMatrix(n, 3, 22);
        double[] x = Linalg.choleskySolve(l, Tensor.fromArray(b, n, 3)).toDoubleArray();
        assertThat(relativeError(product(a, n, n, false, x, 3, false), b)).isLessThanOrEqualTo(1e-12);
    }

    // ---------------------------------------------------------------- triangular solves

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 130})
    void solveTriangularInvertsEveryVariant(int n) {
        for (boolean lower : new boolean[]{true, false}) {
            for (boolean transpose : new boolean[]{false, true}) {
                double[] t = randomTriangular(n, lower, 40 + n);
                double[] opT = transpose ? transposeOf(t, n, n) : t;
                // The other triangle holds junk that must not be read.
                double[] dirty = t.clone();
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) if (i != j && lower == (j > i)) dirty[i * n + j] = 1e6;
                }
                double[] b = randomMatrix(n, 4, 50 + n);
                double[] x = Linalg.solveTriangular(Tensor.fromArray(dirty, n, n), Tensor.fromArray(b, n, 4), lower,
                        transpose).toDoubleArray();
                assertThat(relativeError(product(opT, n, n, false, x, 4, false), b))
                        .as("lower=%s transpose=%s", lower, transpose).isLessThanOrEqualTo(1e-14);
                double[] bv = randomMatrix(n, 1, 60 + n);
                Tensor xv = Linalg.solveTriangular(Tensor.fromArray(dirty, n, n), Tensor.fromArray(bv, n), lower,
                        transpose);
                assertThat(xv.shape()).containsExactly(n);
                assertThat(relativeError(product(opT, n, n, false, xv.toDoubleArray(), 1, false), bv))
                        .isLessThanOrEqualTo(1e-14);
            }
        }
    }

    @Test
    void solveTriangularReadsOnlyItsTriangle() {
        Tensor lower = Tensor.of(new double[][]{{2, 0}, {1, 4}});
        Tensor dirty = Tensor.of(new double[][]{{2, Double.NaN}, {1, 4}});
        Tensor b = Tensor.of(2, 9);
        assertThat(Linalg.solveTriangular(dirty, b, true, false).toDoubleArray()).containsExactly(1, 2);
        assertThat(Linalg.solveTriangular(lower, b, true, false).toDoubleArray()).containsExactly(1, 2);
        // Transposed: [[2, 1], [0, 4]] x = (4, 8) gives x = (1, 2).
        assertThat(Linalg.solveTriangular(dirty, Tensor.of(4, 8), true, true).toDoubleArray()).containsExactly(1, 2);
    }

    @Test
    void solveTriangularRejectsSingularAndMismatchedInput() {
        assertThatThrownBy(() -> Linalg.solveTriangular(Tensor.of(new double[][]{{1, 0}, {3, 0}}), Tensor.of(1, 1),
                true, false))
                .isInstanceOf(ArithmeticException.class)
                .hasMessage("solveTriangular: triangular matrix of shape [2, 2] is singular: diagonal entry 1 is 0");
        assertThatThrownBy(() -> Linalg.solveTriangular(Tensor.eye(DType.F64, 3), Tensor.zeros(DType.F64, 2, 5),
                true, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("solveTriangular: right-hand side of shape [2, 5] does not match matrix of shape [3, 3]"
                        + " (expected shape [3] or [3, r])");
    }

    // ---------------------------------------------------------------- solve, inverse, logdet

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 100})
    void solveAndInverseOfRandomMatrix(int n) {
        double[] a = randomMatrix(n, n, 70 + n);
        double[] b = randomMatrix(n, 2, 80 + n);
        double[] x = Linalg.solve(Tensor.fromArray(a, n, n), Tensor.fromArray(b, n, 2)).toDoubleArray();
        // A random Gaussian matrix is mildly ill-conditioned: bound the backward error ‖AX − B‖ / (‖A‖‖X‖).
        double[] ax = product(a, n, n, false, x, 2, false);
        assertThat(norm(difference(ax, b)) / (norm(a) * norm(x))).isLessThanOrEqualTo(1e-15 * n);
        double[] inv = Linalg.inverse(Tensor.fromArray(a, n, n)).toDoubleArray();
        double[] left = product(inv, n, n, false, a, n, false), right = product(a, n, n, false, inv, n, false);
        assertThat(norm(difference(left, identity(n))) / (norm(a) * norm(inv))).isLessThanOrEqualTo(1e-15 * n);
        assertThat(norm(difference(right, identity(n))) / (norm(a) * norm(inv))).isLessThanOrEqualTo(1e-15 * n);
    }

    @Test
    void solveNeedsPivotingForAZeroLeadingEntry() {
        Tensor a = Tensor.of(new double[][]{{0, 1, 2}, {1, 0, 3}, {4, -3, 8}});
        // Ax = b for x = (1, 2, 3).
        Tensor b = Tensor.of(8, 10, 22);
        assertThat(Linalg.solve(a, b).toDoubleArray()).containsExactly(new double[]{1, 2, 3}, within(1e-14));
        assertThat(Linalg.inverse(Tensor.of(new double[][]{{0, 1}, {1, 0}})).toDoubleArray()).containsExactly(0, 1, 1, 0);
    }

    @Test
    void solveOfTransposedViewEqualsSolveOfItsCopy() {
        int n = 70;
        Tensor a = Tensor.fromArray(randomMatrix(n, n, 3), n, n).mT();
        Tensor b = Tensor.fromArray(randomMatrix(n, 1, 4), n);
        assertThat(Linalg.solve(a, b).toDoubleArray()).containsExactly(Linalg.solve(a.copy(), b).toDoubleArray());
    }

    @Test
    void inverseInF32() {
        int n = 50;
        Tensor a = Tensor.fromArray(randomSpd(n, 31), n, n).to(DType.F32);
        Tensor inv = Linalg.inverse(a);
        assertThat(inv.dtype()).isEqualTo(DType.F32);
        double[] p = product(a.toDoubleArray(), n, n, false, inv.toDoubleArray(), n, false);
        assertThat(relativeError(p, identity(n))).isLessThanOrEqualTo(1e-5);
    }

    @Test
    void singularMatrixIsReportedWithTheColumn() {
        Tensor singular = Tensor.of(new double[][]{{1, 2}, {2, 4}});
        assertThatThrownBy(() -> Linalg.solve(singular, Tensor.of(1, 1)))
                .isInstanceOf(ArithmeticException.class)
                .hasMessage("solve: matrix of shape [2, 2] is singular: no non-zero pivot in column 1 (LU with partial pivoting)");
        assertThatThrownBy(() -> Linalg.inverse(Tensor.zeros(DType.F32, 3, 3)))
                .hasMessage("inverse: matrix of shape [3, 3] is singular: no non-zero pivot in column 0 (LU with partial pivoting)");
        assertThatThrownBy(() -> Linalg.logdet(singular))
                .hasMessage("logdet: matrix of shape [2, 2] is singular: no non-zero pivot in column 1 (LU with partial pivoting)");
    }

    @Test
    void resultThatOverflowsIsAnErrorNotInfinity() {
        Tensor nearlySingular = Tensor.of(new double[][]{{1e-300, 0}, {0, 1}});
        assertThatThrownBy(() -> Linalg.solve(nearlySingular, Tensor.of(1e10, 1)))
                .isInstanceOf(ArithmeticException.class)
                .hasMessage("solve: the result for the matrix of shape [2, 2] overflows (Infinity): the matrix is"
                        + " singular to working precision or badly scaled");
        assertThatThrownBy(() -> Linalg.inverse(Tensor.of(new double[][]{{1e-310, 0}, {0, 1}})))
                .hasMessageStartingWith("inverse: the result for the matrix of shape [2, 2] overflows");
        assertThatThrownBy(() -> Linalg.solveTriangular(nearlySingular, Tensor.of(1e10, 1), true, false))
                .hasMessageStartingWith("solveTriangular: the result for the matrix of shape [2, 2] overflows");
    }

    @Test
    void solveRejectsMismatchedRightHandSide() {
        assertThatThrownBy(() -> Linalg.solve(Tensor.eye(DType.F64, 3), Tensor.zeros(DType.F64, 4)))
                .hasMessage("solve: right-hand side of shape [4] does not match matrix of shape [3, 3]"
                        + " (expected shape [3] or [3, r])");
        assertThatThrownBy(() -> Linalg.inverse(Tensor.zeros(DType.F64, 2, 3)))
                .hasMessage("inverse: expected a square matrix, got shape [2, 3]");
    }

    @Test
    void logdetOfKnownMatrices() {
        assertThat(Linalg.logdet(Tensor.of(new double[][]{{3, 1}, {2, 4}}))).isCloseTo(Math.log(10), within(1e-15));
        // Negative determinants: log |det|.
        assertThat(Linalg.logdet(Tensor.of(new double[][]{{1, 2}, {3, 4}}))).isCloseTo(Math.log(2), within(1e-15));
        assertThat(Linalg.logdet(Tensor.of(new double[][]{{0, 1}, {1, 0}}))).isEqualTo(0.0);
        assertThat(Linalg.logdet(Tensor.zeros(DType.F64, 0, 0))).isEqualTo(0.0);
    }

    @ParameterizedTest
    @ValueSource(ints = {50, 200})
    void logdetOfSpdMatrixIsTwiceTheLogOfTheCholeskyDiagonal(int n) {
        Tensor a = Tensor.fromArray(randomSpd(n, 90 + n), n, n);
        double[] l = Linalg.cholesky(a).toDoubleArray();
        double expected = 0;
        for (int i = 0; i < n; i++) expected += 2 * Math.log(l[i * n + i]);
        assertThat(Linalg.logdet(a)).isCloseTo(expected, within(1e-12 * Math.abs(expected) + 1e-12));
    }

    // ---------------------------------------------------------------- sizes, dtypes, determinism

    @Test
    void emptyMatricesGiveEmptyResults() {
        Tensor empty = Tensor.zeros(DType.F64, 0, 0), rhs = Tensor.zeros(DType.F64, 0, 2);
        assertThat(Linalg.cholesky(empty).shape()).containsExactly(0, 0);
        assertThat(Linalg.choleskyInverse(empty).shape()).containsExactly(0, 0);
        assertThat(Linalg.inverse(empty).shape()).containsExactly(0, 0);
        assertThat(Linalg.solve(empty, rhs).shape()).containsExactly(0, 2);
        assertThat(Linalg.solveTriangular(empty, Tensor.zeros(DType.F64, 0), true, false).shape()).containsExactly(0);
        assertThat(Linalg.trace(empty)).isZero();
        Tensor a = Tensor.of(new double[][]{{2, 0}, {1, 1}});
        assertThat(Linalg.solveTriangular(a, Tensor.zeros(DType.F64, 2, 0), true, false).shape()).containsExactly(2, 0);
    }

    @Test
    void mixedDtypesPromoteToF64() {
        Tensor a32 = Tensor.of(new double[][]{{4, 0}, {2, 1}}).to(DType.F32);
        Tensor b64 = Tensor.of(4, 3);
        assertThat(Linalg.solve(a32, b64).dtype()).isEqualTo(DType.F64);
        assertThat(Linalg.solveTriangular(a32, b64, true, false).toDoubleArray()).containsExactly(1, 1);
        assertThat(Linalg.solveTriangular(a32, b64.to(DType.F32), true, false).dtype()).isEqualTo(DType.F32);
        assertThat(Linalg.choleskySolve(Linalg.cholesky(Tensor.of(new double[][]{{4, 2}, {2, 5}})), Tensor.of(6, 7))
                .toDoubleArray()).containsExactly(new double[]{1, 1}, within(1e-15));
    }

    @Test
    void eighGivesTheSameBitsOnEveryRun() {
        int n = 150;
        Tensor s = Tensor.fromArray(randomSpd(n, 77), n, n);
        Linalg.Eigh first = Linalg.eigh(s), second = Linalg.eigh(s);
        assertThat(second.values().toDoubleArray()).containsExactly(first.values().toDoubleArray());
        assertThat(second.vectors().toDoubleArray()).containsExactly(first.vectors().toDoubleArray());
    }

    // ---------------------------------------------------------------- trace and kron

    @Test
    void traceSumsTheMainDiagonal() {
        assertThat(Linalg.trace(Tensor.of(new double[][]{{1, 2}, {3, 4}}))).isEqualTo(5.0);
        assertThat(Linalg.trace(Tensor.arange(DType.F32, 6).reshape(2, 3))).isEqualTo(4.0);
        assertThat(Linalg.trace(Tensor.arange(DType.F64, 9).reshape(3, 3).mT())).isEqualTo(12.0);
        assertThatThrownBy(() -> Linalg.trace(Tensor.zeros(DType.F64, 2, 2, 2)))
                .hasMessage("trace: expected a 2-D tensor, got shape [2, 2, 2]");
    }

    @Test
    void kronOfKnownMatrices() {
        Tensor a = Tensor.of(new double[][]{{1, 2}, {3, 4}});
        Tensor b = Tensor.of(new double[][]{{0, 5}, {6, 7}});
        Tensor k = Linalg.kron(a, b);
        assertThat(k.shape()).containsExactly(4, 4);
        assertThat(k.toDoubleArray()).containsExactly(
                0, 5, 0, 10,
                6, 7, 12, 14,
                0, 15, 0, 20,
                18, 21, 24, 28);
        Tensor rect = Linalg.kron(Tensor.of(new double[][]{{1, -1}}), Tensor.of(new double[][]{{1}, {2}, {3}}));
        assertThat(rect.shape()).containsExactly(3, 2);
        assertThat(rect.toDoubleArray()).containsExactly(1, -1, 2, -2, 3, -3);
        assertThat(Linalg.kron(Tensor.of(1, 2), Tensor.of(1, 10)).toDoubleArray()).containsExactly(1, 10, 2, 20);
        assertThat(Linalg.kron(Tensor.of(DType.F32, 2), Tensor.of(3)).dtype()).isEqualTo(DType.F64);
        assertThatThrownBy(() -> Linalg.kron(Tensor.zeros(DType.F64, 2, 2, 2), a))
                .hasMessage("kron: expected 1-D or 2-D tensors, got shapes [2, 2, 2] and [2, 2]");
    }

    // ---------------------------------------------------------------- references

    /** B Bᵀ/n + I/2 for a Gaussian B: symmetric positive definite with eigenvalues in about [0.5, 4.5]. */
    static double[] randomSpd(int n, long seed) {
        double[] b = randomMatrix(n, n, seed);
        double[] s = product(b, n, n, false, b, n, true);
        for (int i = 0; i < n * n; i++) s[i] /= Math.max(n, 1);
        for (int i = 0; i < n; i++) s[i * n + i] += 0.5;
        return s;
    }

    private static final double EPS = Math.ulp(1.0);

    /**
     * The textbook Cholesky, column by column:
     * L[j][j] = √(A[j][j] − Σ L[j][p]²), L[i][j] = (A[i][j] − Σ L[i][p] L[j][p]) / L[j][j].
     */
    private static double[] unblockedCholesky(double[] a, int n) {
        double[] l = new double[n * n];
        for (int j = 0; j < n; j++) {
            double d = a[j * n + j];
            for (int p = 0; p < j; p++) d -= l[j * n + p] * l[j * n + p];
            l[j * n + j] = Math.sqrt(d);
            for (int i = j + 1; i < n; i++) {
                double v = a[i * n + j];
                for (int p = 0; p < j; p++) v -= l[i * n + p] * l[j * n + p];
                l[i * n + j] = v / l[j * n + j];
            }
        }
        return l;
    }

    /** (L Lᵀ)⁻¹ one column at a time: forward substitution with L, then back substitution with Lᵀ. */
    private static double[] unblockedInverse(double[] l, int n) {
        double[] x = new double[n * n];
        double[] y = new double[n];
        for (int c = 0; c < n; c++) {
            for (int i = 0; i < n; i++) {
                double v = i == c ? 1 : 0;
                for (int p = 0; p < i; p++) v -= l[i * n + p] * y[p];
                y[i] = v / l[i * n + i];
            }
            for (int i = n - 1; i >= 0; i--) {
                double v = y[i];
                for (int p = i + 1; p < n; p++) v -= l[p * n + i] * x[p * n + c];
                x[i * n + c] = v / l[i * n + i];
            }
        }
        return x;
    }

    static double[] randomMatrix(int rows, int cols, long seed) {
        return new Rng(seed).normal(DType.F64, 0, 1, rows, cols).toDoubleArray();
    }

    /** A well-conditioned triangular matrix: diagonal in [1, 2), small entries in its triangle, zeros elsewhere. */
    private static double[] randomTriangular(int n, boolean lower, long seed) {
        double[] t = randomMatrix(n, n, seed);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i == j) t[i * n + j] = 1 + Math.abs(t[i * n + j]) % 1;
                else if (lower == (j < i)) t[i * n + j] /= n;
                else t[i * n + j] = 0;
            }
        }
        return t;
    }

    /** Q diag(λ) Qᵀ for an orthogonal Q made of three random Householder reflections. */
    private static double[] withSpectrum(double[] lambda, long seed) {
        int n = lambda.length;
        double[] q = identity(n);
        Rng rng = new Rng(seed);
        for (int h = 0; h < 3; h++) {
            double[] v = rng.normal(DType.F64, 0, 1, n).toDoubleArray();
            double vv = dot(v, 0, 1, v, 0, 1, n);
            for (int i = 0; i < n; i++) {
                double s = 2 * dot(q, i * n, 1, v, 0, 1, n) / vv;
                for (int j = 0; j < n; j++) q[i * n + j] -= s * v[j];
            }
        }
        double[] s = new double[n * n];
        double[] row = new double[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) row[k] = q[i * n + k] * lambda[k];
            for (int j = 0; j < n; j++) s[i * n + j] = dot(row, 0, 1, q, j * n, 1, n);
        }
        return s;
    }

    /** ‖Q diag(λ) Qᵀ − S‖_F / ‖S‖_F. */
    static double reconstructionError(double[] s, double[] lambda, double[] q, int n) {
        double[] row = new double[n], r = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) row[k] = q[i * n + k] * lambda[k];
            for (int j = 0; j < n; j++) r[i * n + j] = dot(row, 0, 1, q, j * n, 1, n);
        }
        return relativeError(r, s);
    }

    /** ‖QᵀQ − I‖_F. */
    static double orthogonalityError(double[] q, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double e = dot(q, i, n, q, j, n, n) - (i == j ? 1 : 0);
                sum += e * e;
            }
        }
        return Math.sqrt(sum);
    }

    /** op(X) · op(Y) for row-major X (xr×xc) and Y (·×yc), each optionally transposed; compensated sums. */
    private static double[] product(double[] x, int xr, int xc, boolean xt, double[] y, int yc, boolean yt) {
        int m = xt ? xc : xr, k = xt ? xr : xc, n = yt ? y.length / Math.max(yc, 1) : yc;
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                out[i * n + j] = dot(x, xt ? i : i * xc, xt ? xc : 1, y, yt ? j * yc : j, yt ? 1 : yc, k);
            }
        }
        return out;
    }

    private static double[] transposeOf(double[] x, int rows, int cols) {
        double[] t = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        }
        return t;
    }

    /**
     * Σ x[xo + i·xs] y[yo + i·ys] to about twice working precision: products split exactly with fma, sums with
     * Knuth's two-sum (Ogita, Rump and Oishi's Dot2), so the check is not limited by its own rounding.
     */
    static double dot(double[] x, int xo, int xs, double[] y, int yo, int ys, int n) {
        double s = 0, c = 0;
        for (int i = 0; i < n; i++) {
            double a = x[xo + i * xs], b = y[yo + i * ys];
            double p = a * b, pe = Math.fma(a, b, -p);
            double t = s + p, z = t - s;
            c += (s - (t - z)) + (p - z) + pe;
            s = t;
        }
        return s + c;
    }

    private static double[] identity(int n) {
        double[] e = new double[n * n];
        for (int i = 0; i < n; i++) e[i * n + i] = 1;
        return e;
    }

    private static double[] difference(double[] a, double[] b) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i] - b[i];
        return d;
    }

    private static double norm(double[] a) {
        return Math.sqrt(dot(a, 0, 1, a, 0, 1, a.length));
    }

    private static double relativeError(double[] got, double[] want) {
        return norm(difference(got, want)) / norm(want);
    }

    private static void assertAscending(double[] v) {
        for (int i = 1; i < v.length; i++) assertThat(v[i]).as("eigenvalue %d", i).isGreaterThanOrEqualTo(v[i - 1]);
    }
}
