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
        Tensor t = Tensor.allocate(dtype, shape);
        int n = t.numel();
        for (int i = 0; i < n; i++) t.setFlat(i, lo + (hi - lo) * nextDouble());
        return t;
    }

    /** Normal values with the given mean and standard deviation. */
    public Tensor normal(DType dtype, double mean, double std, int... shape) {
        Tensor t = Tensor.allocate(dtype, shape);
        int n = t.numel();
        for (int i = 0; i < n; i++) t.setFlat(i, mean + std * nextGaussian());
        return t;
    }

    /** 1 with probability p, else 0. */
    public Tensor bernoulli(DType dtype, double p, int... shape) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("bernoulli: p must be in [0, 1], got " + p);
        Tensor t = Tensor.allocate(dtype, shape);
        int n = t.numel();
        for (int i = 0; i < n; i++) t.setFlat(i, nextDouble() < p ? 1 : 0);
        return t;
    }

    /**
     * One class index per row of {@code probs} (shape (..., C), non-negative weights, not necessarily normalised),
     * drawn by inverse transform sampling.
     */
    public int[] categorical(Tensor probs) {
        if (probs.rank() < 1 || probs.size(-1) == 0) {
            throw new IllegalArgumentException("categorical: probabilities need shape (..., C) with C ≥ 1, got "
                    + Shapes.str(probs.shapeRef()));
        }
        int c = probs.size(-1);
        double[] p = probs.toDoubleArray();
        int rows = p.length / c;
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            double total = 0;
            for (int j = 0; j < c; j++) {
                double v = p[r * c + j];
                if (!(v >= 0) || Double.isInfinite(v)) {
                    throw new IllegalArgumentException("categorical: row " + r + " has an invalid weight " + v);
                }
                total += v;
            }
            if (total <= 0) throw new IllegalArgumentException("categorical: row " + r + " has zero total weight");
            double u = nextDouble() * total, acc = 0;
            int k = c - 1;
            for (int j = 0; j < c; j++) {
                acc += p[r * c + j];
                if (u < acc) {
                    k = j;
                    break;
                }
            }
            // Never return a zero-probability class through rounding at the end of the row.
            while (p[r * c + k] == 0 && k > 0) k--;
            out[r] = k;
        }
        return out;
    }

    /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
    public int[] permutation(int n) {
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
