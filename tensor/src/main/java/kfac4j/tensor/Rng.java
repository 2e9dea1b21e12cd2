package kfac4j.tensor;

/**
 * A seeded random number generator (xoshiro256** seeded through SplitMix64). It is an object, not global state: the
 * same seed gives the same numbers on every run, and it is never shared between threads by the library.
 */
public final class Rng {
    private long s0, s1, s2, s3;
    private double spareNormal = Double.NaN;

    public Rng(long seed) {
        long x = seed;
        s0 = splitMix(x += 0x9E3779B97F4A7C15L);
        s1 = splitMix(x += 0x9E3779B97F4A7C15L);
        s2 = splitMix(x += 0x9E3779B97F4A7C15L);
        s3 = splitMix(x + 0x9E3779B97F4A7C15L);
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The next 64 random bits. */
    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** A new generator whose stream is independent of this one's continuation (for per-component streams). */
    public Rng fork() {
        return new Rng(nextLong());
    }

    /** Uniform in [0, 1), 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform integer in [0, bound), without modulo bias. */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("nextInt: bound must be positive, got " + bound);
        long r = (nextLong() >>> 33) * bound;
        int low = (int) r & 0x7FFFFFFF;
        if (low < bound) {
            // Lemire's rejection: draw again in the rare biased zone.
            int threshold = (int) ((0x80000000L - bound) % bound);
            while (low < threshold) {
                r = (nextLong() >>> 33) * bound;
                low = (int) r & 0x7FFFFFFF;
            }
        }
        return (int) (r >>> 31);
    }

    /** Standard normal, by the Box–Muller transform (pairs, the second kept for the next call). */
    public double nextGaussian() {
        if (!Double.isNaN(spareNormal)) {
            double v = spareNormal;
            spareNormal = Double.NaN;
            return v;
        }
        double u1 = 1.0 - nextDouble(); // in (0, 1]: log is finite
        double u2 = nextDouble();
        double r = Math.sqrt(-2.0 * Math.log(u1));
        spareNormal = r * Math.sin(2 * Math.PI * u2);
        return r * Math.cos(2 * Math.PI * u2);
    }

    /** Uniform values in [lo, hi). */
    public Tensor uniform(DType dtype, double lo, double hi, int... shape) {
        if (!(lo <= hi) || !Double.isFinite(hi - lo)) {
            throw new IllegalArgumentException("uniform: needs finite lo ≤ hi, got [" + lo + ", " + hi + ")");
        }
        Tensor t = Tensor.allocate("uniform", dtype, shape);
        int n = t.numel();
        // Rounding (to float above all) can land on hi itself when u is close to 1; capping at the largest value
        // below hi keeps the interval half-open.
        if (dtype == DType.F64) {
            double[] d = t.f64();
            double top = Math.max(lo, Math.nextDown(hi));
            for (int i = 0; i < n; i++) d[i] = Math.min(lo + (hi - lo) * nextDouble(), top);
        } else {
            float[] f = t.f32();
            float top = Math.max((float) lo, Math.nextDown((float) hi));
            for (int i = 0; i < n; i++) f[i] = Math.min((float) (lo + (hi - lo) * nextDouble()), top);
        }
        return t;
    }

    /** Normal values with the given mean and standard deviation. */
    public Tensor normal(DType dtype, double mean, double std, int... shape) {
        if (!(std >= 0) || !Double.isFinite(std) || !Double.isFinite(mean)) {
            throw new IllegalArgumentException("normal: needs a finite mean and a finite std ≥ 0, got mean " + mean
                    + " and std " + std);
        }
        Tensor t = Tensor.allocate("normal", dtype, shape);
        int n = t.numel();
        for (int i = 0; i < n; i++) t.setFlat(i, mean + std * nextGaussian());
        return t;
    }

    /** 1 with probability p, else 0. */
    public Tensor bernoulli(DType dtype, double p, int... shape) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("bernoulli: p must be in [0, 1], got " + p);
        Tensor t = Tensor.allocate("bernoulli", dtype, shape);
        int n = t.numel();
        for (int i = 0; i < n; i++) t.setFlat(i, nextDouble() < p ? 1 : 0);
        return t;
    }

    /**
     * One class index per row of {@code probs} (shape (..., C), non-negative weights, not necessarily normalised),
     * drawn by inverse transform sampling.
     */
    public int[] categorical(Tensor probs) {
        double[] p = weights("categorical", probs);
        int c = probs.size(-1), rows = p.length / c;
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) out[r] = draw("categorical", p, r * c, c, r);
        return out;
    }

    /**
     * {@code samples} class indices per row of {@code probs} (shape (..., C), non-negative weights): with replacement,
     * independent categorical draws; without, each drawn class leaves the pool (so {@code samples} may not exceed the
     * number of classes of non-zero weight). Returns one array per row.
     */
    public int[][] multinomial(Tensor probs, int samples, boolean replacement) {
        if (samples < 0) throw new IllegalArgumentException("multinomial: number of samples must be ≥ 0, got " + samples);
        double[] p = weights("multinomial", probs);
        int c = probs.size(-1), rows = p.length / c;
        int[][] out = new int[rows][samples];
        for (int r = 0; r < rows; r++) {
            if (!replacement) {
                int positive = 0;
                for (int j = 0; j < c; j++) if (p[r * c + j] > 0) positive++;
                if (samples > positive) {
                    throw new IllegalArgumentException("multinomial: cannot draw " + samples + " samples without "
                            + "replacement from row " + r + ", which has only " + positive + " classes of non-zero weight");
                }
            }
            for (int k = 0; k < samples; k++) {
                int j = draw("multinomial", p, r * c, c, r);
                out[r][k] = j;
                if (!replacement) p[r * c + j] = 0;
            }
        }
        return out;
    }

    /** The weights of probs as a row-major array, checked: shape (..., C) with C ≥ 1, each finite and ≥ 0. */
    private static double[] weights(String op, Tensor probs) {
        if (probs.rank() < 1 || probs.size(-1) == 0) {
            throw new IllegalArgumentException(op + ": probabilities need shape (..., C) with C ≥ 1, got "
                    + Shapes.str(probs.shapeRef()));
        }
        double[] p = probs.toDoubleArray();
        int c = probs.size(-1);
        for (int i = 0; i < p.length; i++) {
            if (!(p[i] >= 0) || Double.isInfinite(p[i])) {
                throw new IllegalArgumentException(op + ": row " + i / c + " has an invalid weight " + p[i]
                        + " at class " + i % c);
            }
        }
        return p;
    }

    /** One index in [0, c) with probability p[off + j] / Σ p[off..off+c), by inverse transform sampling. */
    private int draw(String op, double[] p, int off, int c, int row) {
        double total = 0;
        for (int j = 0; j < c; j++) total += p[off + j];
        if (total <= 0) throw new IllegalArgumentException(op + ": row " + row + " has zero total weight");
        double u = nextDouble() * total, acc = 0;
        int k = c - 1;
        for (int j = 0; j < c; j++) {
            acc += p[off + j];
            if (u < acc) {
                k = j;
                break;
            }
        }
        // Never return a zero-probability class through rounding at the end of the row.
        while (p[off + k] == 0 && k > 0) k--;
        return k;
    }

    /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
    public int[] permutation(int n) {
        if (n < 0) throw new IllegalArgumentException("permutation: size must be ≥ 0, got " + n);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
