package kfac4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

/**
 * The seeded generator: its stream matches the published xoshiro256** and SplitMix64 algorithms, the same seed
 * gives the same numbers, and every sampler has the right distribution. Statistical checks use a fixed seed and a
 * five-standard-deviation bound, so they are deterministic and far from their threshold.
 */
class RngTest {

    /** SplitMix64 (Steele, Lea, Flood 2014) and xoshiro256** (Blackman, Vigna 2018), from the papers. */
    private static final class ReferenceXoshiro {
        long a, b, c, d;

        ReferenceXoshiro(long seed) {
            long[] sm = new long[4];
            long state = seed;
            for (int i = 0; i < 4; i++) {
                state += 0x9E3779B97F4A7C15L;
                long z = state;
                z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
                z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
                sm[i] = z ^ (z >>> 31);
            }
            a = sm[0];
            b = sm[1];
            c = sm[2];
            d = sm[3];
        }

        long next() {
            long result = Long.rotateLeft(b * 5, 7) * 9;
            long t = b << 17;
            c ^= a;
            d ^= b;
            b ^= c;
            a ^= d;
            c ^= t;
            d = Long.rotateLeft(d, 45);
            return result;
        }
    }

    @Test
    void streamIsXoshiro256StarStarSeededBySplitMix64() {
        // SplitMix64 from state 0 starts 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4 (the published test vector), so the
        // first output is rotl(0x6E789E6AA1B965F4·5, 7)·9.
        assertThat(new Rng(0).nextLong()).isEqualTo(Long.rotateLeft(0x6E789E6AA1B965F4L * 5, 7) * 9);
        for (long seed : new long[]{0, 1, -7, 123456789L}) {
            Rng r = new Rng(seed);
            ReferenceXoshiro ref = new ReferenceXoshiro(seed);
            for (int i = 0; i < 1000; i++) assertThat(r.nextLong()).isEqualTo(ref.next());
        }
    }

    @Test
    void sameSeedSameNumbersDifferentSeedDifferentNumbers() {
        Rng a = new Rng(42), b = new Rng(42), c = new Rng(43);
        assertThat(a.normal(DType.F64, 0, 1, 5, 7).toDoubleArray()).containsExactly(b.normal(DType.F64, 0, 1, 5, 7).toDoubleArray());
        assertThat(a.uniform(DType.F32, -1, 1, 64).toFloatArray()).containsExactly(b.uniform(DType.F32, -1, 1, 64).toFloatArray());
        assertThat(a.permutation(50)).containsExactly(b.permutation(50));
        assertThat(a.categorical(Tensor.of(1, 2, 3).expand(20, 3))).containsExactly(b.categorical(Tensor.of(1, 2, 3).expand(20, 3)));
        assertThat(new Rng(42).nextLong()).isNotEqualTo(c.nextLong());
    }

    @Test
    void forkedStreamsGiveTheSameNumbersWhateverTheThreadCount() {
        // Work split into per-task streams forked in a fixed order gives one answer however the tasks are run.
        Rng parent = new Rng(7);
        Rng[] streams = IntStream.range(0, 8).mapToObj(i -> parent.fork()).toArray(Rng[]::new);
        double[] sequential = Arrays.stream(streams).mapToDouble(r -> r.normal(DType.F64, 0, 1, 100).sum().item()).toArray();
        Rng parent2 = new Rng(7);
        Rng[] again = IntStream.range(0, 8).mapToObj(i -> parent2.fork()).toArray(Rng[]::new);
        double[] parallel = IntStream.range(0, 8).parallel()
                .mapToDouble(i -> again[i].normal(DType.F64, 0, 1, 100).sum().item()).toArray();
        assertThat(parallel).containsExactly(sequential);
        assertThat(sequential[0]).isNotEqualTo(sequential[1]);
    }

    @Test
    void nextIntIsUniformAndUnbiased() {
        Rng r = new Rng(1);
        int n = 60_000;
        int[] counts = new int[3];
        for (int i = 0; i < n; i++) counts[r.nextInt(3)]++;
        double sd = Math.sqrt(n * (1 / 3.0) * (2 / 3.0));
        for (int c : counts) assertThat(Math.abs(c - n / 3.0)).isLessThan(5 * sd);
        for (int i = 0; i < 1000; i++) assertThat(r.nextInt(1)).isZero();
        int big = 1 << 30 | 1;
        for (int i = 0; i < 1000; i++) assertThat(r.nextInt(big)).isBetween(0, big - 1);
        assertThatThrownBy(() -> r.nextInt(0)).hasMessage("nextInt: bound must be positive, got 0");
    }

    @Test
    void uniformStaysInItsHalfOpenIntervalWithTheRightMoments() {
        Rng r = new Rng(2);
        int n = 100_000;
        for (DType dt : DType.values()) {
            double[] v = r.uniform(dt, -3, 5, n).toDoubleArray();
            double mean = Arrays.stream(v).average().orElseThrow();
            for (double x : v) assertThat(x).isGreaterThanOrEqualTo(-3).isLessThan(5);
            // U(a, b): mean (a+b)/2, sd (b−a)/√12; the sample mean has sd (b−a)/√(12n).
            assertThat(Math.abs(mean - 1)).isLessThan(5 * 8 / Math.sqrt(12.0 * n));
        }
        assertThat(r.uniform(DType.F32, 2, 2, 3).toDoubleArray()).containsOnly(2);
        assertThatThrownBy(() -> r.uniform(DType.F32, 1, 0, 3)).hasMessage("uniform: needs finite lo ≤ hi, got [1.0, 0.0)");
        assertThatThrownBy(() -> r.uniform(DType.F32, 0, Double.POSITIVE_INFINITY, 3))
                .hasMessage("uniform: needs finite lo ≤ hi, got [0.0, Infinity)");
        assertThatThrownBy(() -> r.uniform(DType.F32, 0, 1, -3)).hasMessage("uniform: negative size in shape [-3]");
    }

    @Test
    void floatUniformNeverRoundsUpToTheUpperBound() {
        // With seed 1, one of the first 2^19 doubles u lies within 2^-25 of 1, so (float) u rounds up to 1.
        int n = 1 << 19;
        Rng replica = new Rng(1);
        boolean roundsUp = false;
        for (int i = 0; i < n; i++) roundsUp |= (float) replica.nextDouble() == 1f;
        assertThat(roundsUp).as("the stream contains a draw that rounds to 1f").isTrue();
        float[] v = new Rng(1).uniform(DType.F32, 0, 1, n).toFloatArray();
        float max = 0;
        for (float x : v) max = Math.max(max, x);
        assertThat(max).isEqualTo(Math.nextDown(1f));
    }

    @Test
    void normalHasTheRightMeanAndVariance() {
        Rng r = new Rng(4);
        int n = 100_000;
        double[] v = r.normal(DType.F64, 2, 3, n).toDoubleArray();
        double mean = Arrays.stream(v).average().orElseThrow();
        double var = Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / (n - 1);
        assertThat(Math.abs(mean - 2)).isLessThan(5 * 3 / Math.sqrt(n));
        // The sample variance of a normal has sd σ²·√(2/(n−1)).
        assertThat(Math.abs(var - 9)).isLessThan(5 * 9 * Math.sqrt(2.0 / (n - 1)));
        long beyond3 = Arrays.stream(v).filter(x -> Math.abs(x - 2) > 9).count();
        double p3 = 0.0026997960632601866; // P(|Z| > 3)
        assertThat(Math.abs(beyond3 - n * p3)).isLessThan(5 * Math.sqrt(n * p3));
        assertThatThrownBy(() -> r.normal(DType.F32, 0, -1, 2))
                .hasMessage("normal: needs a finite mean and a finite std ≥ 0, got mean 0.0 and std -1.0");
    }

    @Test
    void bernoulliHasTheRightFrequency() {
        Rng r = new Rng(5);
        int n = 50_000;
        double p = 0.3;
        double ones = r.bernoulli(DType.F32, p, n).sum().item();
        assertThat(Math.abs(ones - n * p)).isLessThan(5 * Math.sqrt(n * p * (1 - p)));
        assertThat(r.bernoulli(DType.F64, 0, 100).toDoubleArray()).containsOnly(0);
        assertThat(r.bernoulli(DType.F64, 1, 100).toDoubleArray()).containsOnly(1);
        assertThatThrownBy(() -> r.bernoulli(DType.F32, 1.5, 2)).hasMessage("bernoulli: p must be in [0, 1], got 1.5");
        assertThatThrownBy(() -> r.bernoulli(DType.F32, Double.NaN, 2)).hasMessage("bernoulli: p must be in [0, 1], got NaN");
    }

    @Test
    void categoricalFrequenciesFollowTheWeights() {
        Rng r = new Rng(6);
        int n = 40_000;
        // Unnormalised weights, a zero class, and a second row with a different distribution.
        double[] w0 = {1, 0, 6, 3}, w1 = {5, 5, 0, 0};
        Tensor probs = Tensor.of(new double[][]{w0, w1}).reshape(2, 1, 4).expand(2, n, 4).to(DType.F32);
        int[] draws = r.categorical(probs);
        assertThat(draws).hasSize(2 * n);
        int[][] counts = new int[2][4];
        for (int i = 0; i < 2 * n; i++) counts[i / n][draws[i]]++;
        double[][] w = {w0, w1};
        for (int row = 0; row < 2; row++) {
            double total = Arrays.stream(w[row]).sum();
            for (int c = 0; c < 4; c++) {
                double p = w[row][c] / total;
                if (p == 0) assertThat(counts[row][c]).isZero();
                else assertThat(Math.abs(counts[row][c] - n * p)).isLessThan(5 * Math.sqrt(n * p * (1 - p)));
            }
        }
        assertThat(r.categorical(Tensor.of(0, 0, 1))).containsExactly(2);
    }

    @Test
    void categoricalErrorsNameTheRowAndTheWeight() {
        Rng r = new Rng(7);
        assertThatThrownBy(() -> r.categorical(Tensor.of(new double[][]{{1, 2}, {0.5, -1}})))
                .hasMessage("categorical: row 1 has an invalid weight -1.0 at class 1");
        assertThatThrownBy(() -> r.categorical(Tensor.of(1, Double.NaN)))
                .hasMessage("categorical: row 0 has an invalid weight NaN at class 1");
        assertThatThrownBy(() -> r.categorical(Tensor.of(Double.POSITIVE_INFINITY)))
                .hasMessage("categorical: row 0 has an invalid weight Infinity at class 0");
        assertThatThrownBy(() -> r.categorical(Tensor.of(new double[][]{{1, 2}, {0, 0}})))
                .hasMessage("categorical: row 1 has zero total weight");
        assertThatThrownBy(() -> r.categorical(Tensor.zeros(DType.F32, 3, 0)))
                .hasMessage("categorical: probabilities need shape (..., C) with C ≥ 1, got [3, 0]");
        assertThatThrownBy(() -> r.categorical(Tensor.scalar(DType.F32, 1)))
                .hasMessage("categorical: probabilities need shape (..., C) with C ≥ 1, got []");
    }

    @Test
    void multinomialWithAndWithoutReplacement() {
        Rng r = new Rng(8);
        int[][] with = r.multinomial(Tensor.of(new double[][]{{0, 1, 0}, {1, 1, 1}}), 50, true);
        assertThat(with[0]).containsOnly(1);
        assertThat(with[1]).hasSize(50).contains(0, 1, 2);
        int[][] without = r.multinomial(Tensor.of(new double[][]{{1, 2, 0, 4, 8}}), 4, false);
        assertThat(without[0]).containsExactlyInAnyOrder(0, 1, 3, 4);
        // Without replacement the heaviest class comes first most often: P = 8/15.
        int n = 20_000, first = 0;
        for (int i = 0; i < n; i++) if (r.multinomial(Tensor.of(1, 2, 4, 8), 2, false)[0][0] == 3) first++;
        double p = 8 / 15.0;
        assertThat(Math.abs(first - n * p)).isLessThan(5 * Math.sqrt(n * p * (1 - p)));
        assertThatThrownBy(() -> r.multinomial(Tensor.of(1, 0, 1), 3, false))
                .hasMessage("multinomial: cannot draw 3 samples without replacement from row 0, which has only 2 "
                        + "classes of non-zero weight");
        assertThatThrownBy(() -> r.multinomial(Tensor.of(1, 1), -1, true))
                .hasMessage("multinomial: number of samples must be ≥ 0, got -1");
    }

    @Test
    void permutationIsAUniformShuffle() {
        Rng r = new Rng(9);
        int[] p = r.permutation(100);
        assertThat(p).containsExactlyInAnyOrder(IntStream.range(0, 100).toArray());
        assertThat(r.permutation(0)).isEmpty();
        int n = 30_000, size = 5;
        int[] whereZero = new int[size];
        for (int i = 0; i < n; i++) {
            int[] q = r.permutation(size);
            for (int k = 0; k < size; k++) if (q[k] == 0) whereZero[k]++;
        }
        double sd = Math.sqrt(n * 0.2 * 0.8);
        for (int c : whereZero) assertThat(Math.abs(c - n * 0.2)).isLessThan(5 * sd);
        assertThatThrownBy(() -> r.permutation(-1)).hasMessage("permutation: size must be ≥ 0, got -1");
    }
}
