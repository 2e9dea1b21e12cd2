package kfac4j.tensor.kernel;

import java.util.Arrays;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels on the JDK Vector API, at the width fixed by {@link VectorWidth}. Loops run whole vectors and hand the
 * last partial vector to the scalar reference (a short scalar tail is cheaper than masked loads).
 *
 * <p>Agreement with {@link ScalarKernels}: bit-identical wherever the vector code performs the same IEEE operations in
 * the same order (negation, abs, sqrt, square, reciprocal, relu, sign, the arithmetic and comparison binary ops, axpy,
 * max, and GEMM, which runs the same fma chain per element; F64 erf, GELU and GELU', see {@link VectorErf}). Sums and
 * dot products add in a different order, F32 exp and sigmoid are polynomial approximations (within 1 and 2 ulps), and
 * F32 erf, GELU and GELU' are computed in float; the tests state the bounds.
 *
 * <p>The other transcendentals stay scalar. The Vector API's lanewise EXP, LOG, TANH are 7–25× faster once C2
 * compiles them to vector math-library calls, but those differ from the per-lane {@link Math} calls the same code makes
 * before compilation (measured: 54 of 4096 F32 exp values changed by an ulp when the loop got compiled). Results would
 * then depend on JIT timing, and the same seed would no longer give the same run; code built from basic IEEE
 * operations, like {@link #exp(FloatVector)}, does not have that problem.
 *
 * <p>Loaded reflectively by {@link KernelSelection}, so nothing links against the incubator module unless it is there.
 */
final class VectorKernels implements Kernels {
    static final VectorKernels INSTANCE = new VectorKernels();

    private static final VectorSpecies<Float> F32 = VectorWidth.F32;
    private static final VectorSpecies<Float> F32H = VectorWidth.F32_HALF;
    private static final VectorSpecies<Double> F64 = VectorWidth.F64;
    private static final int F32L = F32.length(), F64L = F64.length();

    private VectorKernels() {
    }

    @Override
    public String name() {
        return VectorWidth.describe();
    }

    // ================================================================== F32

    @Override
    public void unary(UnaryOp op, float[] x, int xOff, float[] y, int yOff, int n) {
        int up = F32.loopBound(n), i = 0;
        switch (op) {
            // Each op's loop is a method of its own, as binary's are (a large method of them was seen recompiled
            // without the Vector API's intrinsics).
            case NEG -> i = negate(x, xOff, y, yOff, up);
            case ABS -> i = absolute(x, xOff, y, yOff, up);
            case SQRT -> i = squareRoot(x, xOff, y, yOff, up);
            case SQUARE -> i = square(x, xOff, y, yOff, up);
            case RECIPROCAL -> i = reciprocal(x, xOff, y, yOff, up);
            case RELU -> i = relu(x, xOff, y, yOff, up);
            case SIGN -> i = signum(x, xOff, y, yOff, up);
            case EXP -> i = exponential(x, xOff, y, yOff, up);
            case SIGMOID -> i = sigmoid(x, xOff, y, yOff, up);
            case ERF, GELU_ERF, GELU_ERF_GRAD -> i = VectorErf.apply(op, x, xOff, y, yOff, n);
            default -> {
                // RSQRT (two float roundings would differ from the scalar's one) and the other transcendentals.
            }
        }
        if (i < n) ScalarKernels.INSTANCE.unary(op, x, xOff + i, y, yOff + i, n - i);
    }

    private static int negate(float[] x, int xOff, float[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F32L) FloatVector.fromArray(F32, x, xOff + i).neg().intoArray(y, yOff + i);
        return i;
    }

    private static int absolute(float[] x, int xOff, float[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F32L) FloatVector.fromArray(F32, x, xOff + i).abs().intoArray(y, yOff + i);
        return i;
    }

    private static int squareRoot(float[] x, int xOff, float[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F32L) FloatVector.fromArray(F32, x, xOff + i).sqrt().intoArray(y, yOff + i);
        return i;
    }

    private static int square(float[] x, int xOff, float[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F32L) {
            FloatVector v = FloatVector.fromArray(F32, x, xOff + i);
            v.mul(v).intoArray(y, yOff + i);
        }
        return i;
    }

    private static int reciprocal(float[] x, int xOff, float[] y, int yOff, int up) {
        int i = 0;
        FloatVector one = FloatVector.broadcast(F32, 1f);
        for (; i < up; i += F32L) one.div(FloatVector.fromArray(F32, x, xOff + i)).intoArray(y, yOff + i);
        return i;
    }

    private static int relu(float[] x, int xOff, float[] y, int yOff, int up) {
        int i = 0;
        // x > 0 ? x : 0, so NaN and −0 give +0 exactly as the scalar definition.
        FloatVector zero = FloatVector.zero(F32);
        for (; i < up; i += F32L) {
            FloatVector v = FloatVector.fromArray(F32, x, xOff + i);
            zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, yOff + i);
        }
        return i;
    }

    private static int signum(float[] x, int xOff, float[] y, int yOff, int up) {
        int i = 0;
        // Math.signum: ±1 off zero, and ±0 and NaN passed through.
        FloatVector one = FloatVector.broadcast(F32, 1f), minusOne = FloatVector.broadcast(F32, -1f);
        for (; i < up; i += F32L) {
            FloatVector v = FloatVector.fromArray(F32, x, xOff + i);
            v.blend(one, v.compare(VectorOperators.GT, 0f)).blend(minusOne, v.compare(VectorOperators.LT, 0f))
                    .intoArray(y, yOff + i);
        }
        return i;
    }

    private static int exponential(float[] x, int xOff, float[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F32L) exp(FloatVector.fromArray(F32, x, xOff + i)).intoArray(y, yOff + i);
        return i;
    }

    private static int sigmoid(float[] x, int xOff, float[] y, int yOff, int up) {
        int i = 0;
        // The scalar definition's two branches, both from e = exp(−|x|) ≤ 1: 1/(1+e) for x ≥ 0, e/(1+e) below.
        FloatVector one = FloatVector.broadcast(F32, 1f);
        for (; i < up; i += F32L) {
            FloatVector v = FloatVector.fromArray(F32, x, xOff + i);
            FloatVector e = exp(v.abs().neg()), d = one.add(e);
            one.div(d).blend(e.div(d), v.compare(VectorOperators.LT, 0f)).intoArray(y, yOff + i);
        }
        return i;
    }

    @Override
    public void binary(BinaryOp op, float[] a, int aOff, int aStep, float[] b, int bOff, int bStep, float[] y,
                       int yOff, int n) {
        if (n == 0) return;
        if (aStep == 0 && bStep == 0) {
            Arrays.fill(y, yOff, yOff + n, (float) op.apply(a[aOff], b[bOff]));
            return;
        }
        int up = F32.loopBound(n), i = 0;
        // A step-0 operand is read from a row of copies of its value, at a step of 0, so that every operand is the
        // same load whatever the steps: a vector chosen between a broadcast and a load in two branches is what C2
        // was seen to recompile without the Vector API's intrinsics, once the branch profile changed (every binary
        // op then ran on boxed vectors, several times slower, for the rest of the run).
        if (aStep == 0) {
            a = repeated(a[aOff]);
            aOff = 0;
        }
        if (bStep == 0) {
            b = repeated(b[bOff]);
            bOff = 0;
        }
        FloatVector zero = FloatVector.zero(F32), one = FloatVector.broadcast(F32, 1f);
        switch (op) {
            // Each arithmetic op's loop is a method of its own: in one large method, C2 was seen to recompile these
            // loops without the Vector API's intrinsics once more of the ops had been used (boxed vectors, several
            // times slower, for the rest of the run), the method's size having outgrown what it inlines.
            case ADD -> i = add(a, aOff, aStep, b, bOff, bStep, y, yOff, up);
            case SUB -> i = sub(a, aOff, aStep, b, bOff, bStep, y, yOff, up);
            case MUL -> i = mul(a, aOff, aStep, b, bOff, bStep, y, yOff, up);
            case DIV -> i = div(a, aOff, aStep, b, bOff, bStep, y, yOff, up);
            // Lanewise MIN and MAX are Math.min and Math.max: NaN wins, and −0 < +0, as BinaryOp defines them.
            case MIN -> i = min(a, aOff, aStep, b, bOff, bStep, y, yOff, up);
            case MAX -> i = max(a, aOff, aStep, b, bOff, bStep, y, yOff, up);
            case EQ -> {
                for (; i < up; i += F32L) {
                    zero.blend(one, ld(a, aOff, aStep, i).compare(VectorOperators.EQ, ld(b, bOff, bStep, i)))
                            .intoArray(y, yOff + i);
                }
            }
            case NE -> {
                for (; i < up; i += F32L) {
                    zero.blend(one, ld(a, aOff, aStep, i).compare(VectorOperators.NE, ld(b, bOff, bStep, i)))
                            .intoArray(y, yOff + i);
                }
            }
            case LT -> {
                for (; i < up; i += F32L) {
                    zero.blend(one, ld(a, aOff, aStep, i).compare(VectorOperators.LT, ld(b, bOff, bStep, i)))
                            .intoArray(y, yOff + i);
                }
            }
            case LE -> {
                for (; i < up; i += F32L) {
                    zero.blend(one, ld(a, aOff, aStep, i).compare(VectorOperators.LE, ld(b, bOff, bStep, i)))
                            .intoArray(y, yOff + i);
                }
            }
            case GT -> {
                for (; i < up; i += F32L) {
                    zero.blend(one, ld(a, aOff, aStep, i).compare(VectorOperators.GT, ld(b, bOff, bStep, i)))
                            .intoArray(y, yOff + i);
                }
            }
            case GE -> {
                for (; i < up; i += F32L) {
                    zero.blend(one, ld(a, aOff, aStep, i).compare(VectorOperators.GE, ld(b, bOff, bStep, i)))
                            .intoArray(y, yOff + i);
                }
            }
            default -> {
                // POW: scalar below.
            }
        }
        if (i < n) ScalarKernels.INSTANCE.binary(op, a, aOff + i * aStep, aStep, b, bOff + i * bStep, bStep, y, yOff + i, n - i);
    }

    /** Elements [0, up) of y = a add b (steps 0 or 1): see {@link #binary}. */
    private static int add(float[] a, int aOff, int as, float[] b, int bOff, int bs, float[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F32L) ld(a, aOff, as, i).add(ld(b, bOff, bs, i)).intoArray(y, yOff + i);
        return i;
    }

    private static int sub(float[] a, int aOff, int as, float[] b, int bOff, int bs, float[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F32L) ld(a, aOff, as, i).sub(ld(b, bOff, bs, i)).intoArray(y, yOff + i);
        return i;
    }

    private static int mul(float[] a, int aOff, int as, float[] b, int bOff, int bs, float[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F32L) ld(a, aOff, as, i).mul(ld(b, bOff, bs, i)).intoArray(y, yOff + i);
        return i;
    }

    private static int div(float[] a, int aOff, int as, float[] b, int bOff, int bs, float[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F32L) ld(a, aOff, as, i).div(ld(b, bOff, bs, i)).intoArray(y, yOff + i);
        return i;
    }

    private static int min(float[] a, int aOff, int as, float[] b, int bOff, int bs, float[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F32L) ld(a, aOff, as, i).min(ld(b, bOff, bs, i)).intoArray(y, yOff + i);
        return i;
    }

    private static int max(float[] a, int aOff, int as, float[] b, int bOff, int bs, float[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F32L) ld(a, aOff, as, i).max(ld(b, bOff, bs, i)).intoArray(y, yOff + i);
        return i;
    }

    /**
     * e^x in F32 from basic IEEE operations only, so that it gives the same bits interpreted and compiled (unlike the
     * lanewise EXP, see the class comment); within 1 ulp of {@code (float) Math.exp(x)}, tested.
     * x = n·ln 2 + r with n = round(x/ln 2) and |r| ≤ ln 2 / 2 (ln 2 split in two so that r is exact to float
     * precision); e^r by its Taylor series to r⁷ (the next term is below 10⁻⁸ relative); then scaled by 2^n in two
     * halves, so that n down to −150 (subnormal results) and up to 128 (overflow to ∞) come out right.
     */
    private static FloatVector exp(FloatVector x) {
        FloatVector v = x.max(-104f).min(89f); // beyond these e^x is 0 or ∞ in F32; NaN stays NaN
        // Adding 1.5·2²³ rounds to an integer (ties to even) and leaves it in the low bits of the sum.
        FloatVector shifted = v.fma(FloatVector.broadcast(F32, 1.44269504f), FloatVector.broadcast(F32, 12582912f));
        FloatVector n = shifted.sub(12582912f);
        FloatVector r = n.fma(FloatVector.broadcast(F32, -0.693359375f), v);
        r = n.fma(FloatVector.broadcast(F32, 2.12194440e-4f), r);
        FloatVector p = r.fma(FloatVector.broadcast(F32, 1f / 5040), FloatVector.broadcast(F32, 1f / 720));
        p = p.fma(r, FloatVector.broadcast(F32, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(F32, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(F32, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(F32, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F32, 1f));
        p = p.fma(r, FloatVector.broadcast(F32, 1f));
        IntVector k = (IntVector) shifted.reinterpretAsInts().sub(0x4B400000); // n as an integer
        IntVector k1 = k.lanewise(VectorOperators.ASHR, 1), k2 = k.sub(k1);
        FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /** Operand element i of a binary op: at {@code off + i·step}, step 0 (a row of copies) or 1. */
    private static FloatVector ld(float[] a, int off, int step, int i) {
        return FloatVector.fromArray(F32, a, off + i * step);
    }

    /** A vector's worth of copies of v: a step-0 operand of {@link #binary}. */
    private static float[] repeated(float v) {
        float[] row = new float[F32L];
        Arrays.fill(row, v);
        return row;
    }

    @Override
    public void axpy(int n, double alpha, float[] x, int xOff, float[] y, int yOff) {
        // y + a·x with a separate multiply and add (no fma), so it rounds exactly as the scalar definition.
        float a = (float) alpha;
        int up = F32.loopBound(n), i = 0;
        for (; i < up; i += F32L) {
            FloatVector.fromArray(F32, x, xOff + i).mul(a).add(FloatVector.fromArray(F32, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    @Override
    public void keepWherePositive(float[] g, int gOff, float[] x, int xOff, float[] y, int yOff, int n) {
        // x > 0 is false for NaN, ±0 and negatives, as in the scalar bit test; the dropped lanes are +0.
        FloatVector zero = FloatVector.zero(F32);
        int up = F32.loopBound(n), i = 0;
        for (; i < up; i += F32L) {
            zero.blend(FloatVector.fromArray(F32, g, gOff + i),
                    FloatVector.fromArray(F32, x, xOff + i).compare(VectorOperators.GT, 0f)).intoArray(y, yOff + i);
        }
        if (i < n) ScalarKernels.INSTANCE.keepWherePositive(g, gOff + i, x, xOff + i, y, yOff + i, n - i);
    }

    @Override
    public void gather(float[] x, int xOff, int[] index, int iOff, float[] y, int yOff, int n) {
        // One gather instruction per vector (AVX-512 and AVX2 have them): ~4× the scalar loop on im2col's rows.
        int up = F32.loopBound(n), i = 0;
        for (; i < up; i += F32L) FloatVector.fromArray(F32, x, xOff, index, iOff + i).intoArray(y, yOff + i);
        for (; i < n; i++) y[yOff + i] = x[xOff + index[iOff + i]];
    }

    @Override
    public void gatherSum(float[] x, int xOff, int[] index, boolean[] present, int iOff, int terms, int stride, float[] y,
                          int yOff, int n) {
        // One gather per term and vector, added under the term's mask: lanes it does not reach keep their sum, so each
        // lane adds exactly the scalar loop's values in its order.
        int up = F32.loopBound(n), i = 0;
        for (; i < up; i += F32L) {
            FloatVector acc = FloatVector.zero(F32);
            for (int s = 0, at = iOff + i; s < terms; s++, at += stride) {
                acc = acc.add(FloatVector.fromArray(F32, x, xOff, index, at), VectorMask.fromArray(F32, present, at));
            }
            acc.intoArray(y, yOff + i);
        }
        if (i < n) ScalarKernels.INSTANCE.gatherSum(x, xOff, index, present, iOff + i, terms, stride, y, yOff + i, n - i);
    }

    @Override
    public void addRows(int rows, int cols, float[] x, int xOff, int xStride, float[] y, int yOff, int yStride) {
        // Whole vectors, then single values. (A half-width vector for rows of 8 was seen running on boxed vectors,
        // without the intrinsics, in a long run; the scalar rest is safe.)
        int up = F32.loopBound(cols);
        for (int r = 0, xs = xOff, ys = yOff; r < rows; r++, xs += xStride, ys += yStride) {
            int j = 0;
            for (; j < up; j += F32L) {
                FloatVector.fromArray(F32, y, ys + j).add(FloatVector.fromArray(F32, x, xs + j)).intoArray(y, ys + j);
            }
            for (; j < cols; j++) y[ys + j] += x[xs + j];
        }
    }

    @Override
    public double sum(float[] x, int off, int n) {
        // Half-width float loads widen to one double vector each; two accumulators hide the add latency.
        int step = F32H.length(), up = n - n % (2 * step), i = 0;
        DoubleVector s0 = DoubleVector.zero(F64), s1 = DoubleVector.zero(F64);
        for (; i < up; i += 2 * step) {
            s0 = s0.add(widen(x, off + i));
            s1 = s1.add(widen(x, off + i + step));
        }
        double s = sumLanes(s0.add(s1));
        for (; i < n; i++) s += x[off + i];
        return s;
    }

    @Override
    public void accumulate(float[] x, int xOff, double[] acc, int accOff, int n) {
        // Half-width float loads widen to one double vector each, as in sum; element by element, so the same bits.
        int step = F32H.length(), up = n - n % step, i = 0;
        for (; i < up; i += step) {
            DoubleVector.fromArray(F64, acc, accOff + i).add(widen(x, xOff + i)).intoArray(acc, accOff + i);
        }
        for (; i < n; i++) acc[accOff + i] += x[xOff + i];
    }

    @Override
    public double max(float[] x, int off, int n) {
        int up = F32.loopBound(n), i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (up > 0) {
            // Lanewise MAX propagates NaN, so a NaN anywhere makes the result NaN, as in the scalar definition.
            FloatVector acc = FloatVector.fromArray(F32, x, off);
            for (i = F32L; i < up; i += F32L) acc = acc.max(FloatVector.fromArray(F32, x, off + i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) m = Math.max(m, x[off + i]);
        return m;
    }

    @Override
    public double dot(float[] x, int xOff, float[] y, int yOff, int n) {
        // Products of two widened floats are exact in double, so fma here rounds once, like the scalar's add.
        int step = F32H.length(), up = n - n % (2 * step), i = 0;
        DoubleVector s0 = DoubleVector.zero(F64), s1 = DoubleVector.zero(F64);
        for (; i < up; i += 2 * step) {
            s0 = widen(x, xOff + i).fma(widen(y, yOff + i), s0);
            s1 = widen(x, xOff + i + step).fma(widen(y, yOff + i + step), s1);
        }
        double s = sumLanes(s0.add(s1));
        for (; i < n; i++) s += (double) x[xOff + i] * y[yOff + i];
        return s;
    }

    /**
     * The lanes added in lane order, from +0. (reduceLanes(ADD) leaves the order open, and the compiled and
     * interpreted forms do differ, which would make a sum depend on JIT timing.) The lanes are read one by one at
     * constant indices rather than through an array: escape analysis did not always remove that array, and softmax
     * and layer norm call this once per row.
     */
    private static double sumLanes(DoubleVector v) {
        double s = 0.0 + v.lane(0);
        if (F64L == 1) return s;
        s += v.lane(1);
        if (F64L == 2) return s;
        s = s + v.lane(2) + v.lane(3);
        if (F64L == 4) return s;
        s = s + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7);
        for (int i = 8; i < F64L; i++) s += v.lane(i);
        return s;
    }

    /** F64.length() floats from x[i..], widened to one double vector. */
    private static DoubleVector widen(float[] x, int i) {
        return (DoubleVector) FloatVector.fromArray(F32H, x, i).convertShape(VectorOperators.F2D, F64, 0);
    }

    @Override
    public void gemm(int m, int n, int k, float[] a, int aOff, int aRs, int aCs, float[] b, int bOff, int bRs,
                     int bCs, float[] c, int cOff, int cRs, boolean accumulate) {
        GemmF32.gemm(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, cRs, accumulate);
    }

    @Override
    public void gemmWindowed(int m, int n, int k, float[] panels, int aOff, float[] x, int xOff, int[] rowStart,
                             float[] c, int cOff, int cRs, boolean accumulate) {
        GemmF32.windowed(m, n, k, panels, aOff, x, xOff, rowStart, c, cOff, cRs, accumulate);
    }

    @Override
    public void gemmBatch(int count, int m, int n, int k, float[] a, int[] aOffs, int aRs, int aCs, float[] b, int[] bOffs,
                          int bRs, int bCs, float[] c, int[] cOffs, int cRs, boolean accumulate) {
        // Products too small to split are shared out whole over the threads instead (attention's many heads).
        int parts = GemmF32.batchParts(count, m, n, k);
        ComputePool.run(parts, part -> {
            for (int t = part * count / parts, end = (part + 1) * count / parts; t < end; t++) {
                GemmF32.gemm(m, n, k, a, aOffs[t], aRs, aCs, b, bOffs[t], bRs, bCs, c, cOffs[t], cRs, accumulate);
            }
        });
    }

    // ================================================================== F64

    @Override
    public void unary(UnaryOp op, double[] x, int xOff, double[] y, int yOff, int n) {
        int up = F64.loopBound(n), i = 0;
        switch (op) {
            // Each op's loop is a method of its own, as binary's are (a large method of them was seen recompiled
            // without the Vector API's intrinsics).
            case NEG -> i = negate(x, xOff, y, yOff, up);
            case ABS -> i = absolute(x, xOff, y, yOff, up);
            case SQRT -> i = squareRoot(x, xOff, y, yOff, up);
            case SQUARE -> i = square(x, xOff, y, yOff, up);
            case RECIPROCAL -> i = reciprocal(x, xOff, y, yOff, up);
            case RELU -> i = relu(x, xOff, y, yOff, up);
            case SIGN -> i = signum(x, xOff, y, yOff, up);
            case RSQRT -> i = reciprocalSqrt(x, xOff, y, yOff, up);
            case ERF, GELU_ERF, GELU_ERF_GRAD -> i = VectorErf.apply(op, x, xOff, y, yOff, n);
            default -> {
                // The other transcendentals: scalar below.
            }
        }
        if (i < n) ScalarKernels.INSTANCE.unary(op, x, xOff + i, y, yOff + i, n - i);
    }

    private static int negate(double[] x, int xOff, double[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F64L) DoubleVector.fromArray(F64, x, xOff + i).neg().intoArray(y, yOff + i);
        return i;
    }

    private static int absolute(double[] x, int xOff, double[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F64L) DoubleVector.fromArray(F64, x, xOff + i).abs().intoArray(y, yOff + i);
        return i;
    }

    private static int squareRoot(double[] x, int xOff, double[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F64L) DoubleVector.fromArray(F64, x, xOff + i).sqrt().intoArray(y, yOff + i);
        return i;
    }

    private static int square(double[] x, int xOff, double[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F64L) {
            DoubleVector v = DoubleVector.fromArray(F64, x, xOff + i);
            v.mul(v).intoArray(y, yOff + i);
        }
        return i;
    }

    private static int reciprocal(double[] x, int xOff, double[] y, int yOff, int up) {
        int i = 0;
        DoubleVector one = DoubleVector.broadcast(F64, 1.0);
        for (; i < up; i += F64L) one.div(DoubleVector.fromArray(F64, x, xOff + i)).intoArray(y, yOff + i);
        return i;
    }

    private static int relu(double[] x, int xOff, double[] y, int yOff, int up) {
        int i = 0;
        // x > 0 ? x : 0, so NaN and −0 give +0 exactly as the scalar definition.
        DoubleVector zero = DoubleVector.zero(F64);
        for (; i < up; i += F64L) {
            DoubleVector v = DoubleVector.fromArray(F64, x, xOff + i);
            zero.blend(v, v.compare(VectorOperators.GT, 0.0)).intoArray(y, yOff + i);
        }
        return i;
    }

    private static int signum(double[] x, int xOff, double[] y, int yOff, int up) {
        int i = 0;
        // Math.signum: ±1 off zero, and ±0 and NaN passed through.
        DoubleVector one = DoubleVector.broadcast(F64, 1.0), minusOne = DoubleVector.broadcast(F64, -1.0);
        for (; i < up; i += F64L) {
            DoubleVector v = DoubleVector.fromArray(F64, x, xOff + i);
            v.blend(one, v.compare(VectorOperators.GT, 0.0)).blend(minusOne, v.compare(VectorOperators.LT, 0.0))
                    .intoArray(y, yOff + i);
        }
        return i;
    }

    private static int reciprocalSqrt(double[] x, int xOff, double[] y, int yOff, int up) {
        int i = 0;
        DoubleVector one = DoubleVector.broadcast(F64, 1.0);
        for (; i < up; i += F64L) one.div(DoubleVector.fromArray(F64, x, xOff + i).sqrt()).intoArray(y, yOff + i);
        return i;
    }

    @Override
    public void binary(BinaryOp op, double[] a, int aOff, int aStep, double[] b, int bOff, int bStep, double[] y,
                       int yOff, int n) {
        if (n == 0) return;
        if (aStep == 0 && bStep == 0) {
            Arrays.fill(y, yOff, yOff + n, op.apply(a[aOff], b[bOff]));
            return;
        }
        int up = F64.loopBound(n), i = 0;
        // A step-0 operand is read from a row of copies of its value, as in the F32 binary.
        if (aStep == 0) {
            a = repeated(a[aOff]);
            aOff = 0;
        }
        if (bStep == 0) {
            b = repeated(b[bOff]);
            bOff = 0;
        }
        DoubleVector zero = DoubleVector.zero(F64), one = DoubleVector.broadcast(F64, 1.0);
        switch (op) {
            // Each arithmetic op's loop is a method of its own: in one large method, C2 was seen to recompile these
            // loops without the Vector API's intrinsics once more of the ops had been used (boxed vectors, several
            // times slower, for the rest of the run), the method's size having outgrown what it inlines.
            case ADD -> i = add(a, aOff, aStep, b, bOff, bStep, y, yOff, up);
            case SUB -> i = sub(a, aOff, aStep, b, bOff, bStep, y, yOff, up);
            case MUL -> i = mul(a, aOff, aStep, b, bOff, bStep, y, yOff, up);
            case DIV -> i = div(a, aOff, aStep, b, bOff, bStep, y, yOff, up);
            // Lanewise MIN and MAX are Math.min and Math.max: NaN wins, and −0 < +0, as BinaryOp defines them.
            case MIN -> i = min(a, aOff, aStep, b, bOff, bStep, y, yOff, up);
            case MAX -> i = max(a, aOff, aStep, b, bOff, bStep, y, yOff, up);
            case EQ -> {
                for (; i < up; i += F64L) {
                    zero.blend(one, ld(a, aOff, aStep, i).compare(VectorOperators.EQ, ld(b, bOff, bStep, i)))
                            .intoArray(y, yOff + i);
                }
            }
            case NE -> {
                for (; i < up; i += F64L) {
                    zero.blend(one, ld(a, aOff, aStep, i).compare(VectorOperators.NE, ld(b, bOff, bStep, i)))
                            .intoArray(y, yOff + i);
                }
            }
            case LT -> {
                for (; i < up; i += F64L) {
                    zero.blend(one, ld(a, aOff, aStep, i).compare(VectorOperators.LT, ld(b, bOff, bStep, i)))
                            .intoArray(y, yOff + i);
                }
            }
            case LE -> {
                for (; i < up; i += F64L) {
                    zero.blend(one, ld(a, aOff, aStep, i).compare(VectorOperators.LE, ld(b, bOff, bStep, i)))
                            .intoArray(y, yOff + i);
                }
            }
            case GT -> {
                for (; i < up; i += F64L) {
                    zero.blend(one, ld(a, aOff, aStep, i).compare(VectorOperators.GT, ld(b, bOff, bStep, i)))
                            .intoArray(y, yOff + i);
                }
            }
            case GE -> {
                for (; i < up; i += F64L) {
                    zero.blend(one, ld(a, aOff, aStep, i).compare(VectorOperators.GE, ld(b, bOff, bStep, i)))
                            .intoArray(y, yOff + i);
                }
            }
            default -> {
                // POW: scalar below.
            }
        }
        if (i < n) ScalarKernels.INSTANCE.binary(op, a, aOff + i * aStep, aStep, b, bOff + i * bStep, bStep, y, yOff + i, n - i);
    }

    /** Elements [0, up) of y = a add b (steps 0 or 1): see {@link #binary}. */
    private static int add(double[] a, int aOff, int as, double[] b, int bOff, int bs, double[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F64L) ld(a, aOff, as, i).add(ld(b, bOff, bs, i)).intoArray(y, yOff + i);
        return i;
    }

    private static int sub(double[] a, int aOff, int as, double[] b, int bOff, int bs, double[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F64L) ld(a, aOff, as, i).sub(ld(b, bOff, bs, i)).intoArray(y, yOff + i);
        return i;
    }

    private static int mul(double[] a, int aOff, int as, double[] b, int bOff, int bs, double[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F64L) ld(a, aOff, as, i).mul(ld(b, bOff, bs, i)).intoArray(y, yOff + i);
        return i;
    }

    private static int div(double[] a, int aOff, int as, double[] b, int bOff, int bs, double[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F64L) ld(a, aOff, as, i).div(ld(b, bOff, bs, i)).intoArray(y, yOff + i);
        return i;
    }

    private static int min(double[] a, int aOff, int as, double[] b, int bOff, int bs, double[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F64L) ld(a, aOff, as, i).min(ld(b, bOff, bs, i)).intoArray(y, yOff + i);
        return i;
    }

    private static int max(double[] a, int aOff, int as, double[] b, int bOff, int bs, double[] y, int yOff, int up) {
        int i = 0;
        for (; i < up; i += F64L) ld(a, aOff, as, i).max(ld(b, bOff, bs, i)).intoArray(y, yOff + i);
        return i;
    }

    private static DoubleVector ld(double[] a, int off, int step, int i) {
        return DoubleVector.fromArray(F64, a, off + i * step);
    }

    private static double[] repeated(double v) {
        double[] row = new double[F64L];
        Arrays.fill(row, v);
        return row;
    }

    @Override
    public void axpy(int n, double alpha, double[] x, int xOff, double[] y, int yOff) {
        // y + a·x with a separate multiply and add (no fma), so it rounds exactly as the scalar definition.
        double a = alpha;
        int up = F64.loopBound(n), i = 0;
        for (; i < up; i += F64L) {
            DoubleVector.fromArray(F64, x, xOff + i).mul(a).add(DoubleVector.fromArray(F64, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    @Override
    public void keepWherePositive(double[] g, int gOff, double[] x, int xOff, double[] y, int yOff, int n) {
        DoubleVector zero = DoubleVector.zero(F64);
        int up = F64.loopBound(n), i = 0;
        for (; i < up; i += F64L) {
            zero.blend(DoubleVector.fromArray(F64, g, gOff + i),
                    DoubleVector.fromArray(F64, x, xOff + i).compare(VectorOperators.GT, 0.0)).intoArray(y, yOff + i);
        }
        if (i < n) ScalarKernels.INSTANCE.keepWherePositive(g, gOff + i, x, xOff + i, y, yOff + i, n - i);
    }

    @Override
    public void gather(double[] x, int xOff, int[] index, int iOff, double[] y, int yOff, int n) {
        int up = F64.loopBound(n), i = 0;
        for (; i < up; i += F64L) DoubleVector.fromArray(F64, x, xOff, index, iOff + i).intoArray(y, yOff + i);
        for (; i < n; i++) y[yOff + i] = x[xOff + index[iOff + i]];
    }

    @Override
    public void gatherSum(double[] x, int xOff, int[] index, boolean[] present, int iOff, int terms, int stride,
                          double[] y, int yOff, int n) {
        int up = F64.loopBound(n), i = 0;
        for (; i < up; i += F64L) {
            DoubleVector acc = DoubleVector.zero(F64);
            for (int s = 0, at = iOff + i; s < terms; s++, at += stride) {
                acc = acc.add(DoubleVector.fromArray(F64, x, xOff, index, at), VectorMask.fromArray(F64, present, at));
            }
            acc.intoArray(y, yOff + i);
        }
        if (i < n) ScalarKernels.INSTANCE.gatherSum(x, xOff, index, present, iOff + i, terms, stride, y, yOff + i, n - i);
    }

    @Override
    public void addRows(int rows, int cols, double[] x, int xOff, int xStride, double[] y, int yOff, int yStride) {
        int up = F64.loopBound(cols);
        for (int r = 0, xs = xOff, ys = yOff; r < rows; r++, xs += xStride, ys += yStride) {
            int j = 0;
            for (; j < up; j += F64L) {
                DoubleVector.fromArray(F64, y, ys + j).add(DoubleVector.fromArray(F64, x, xs + j)).intoArray(y, ys + j);
            }
            for (; j < cols; j++) y[ys + j] += x[xs + j];
        }
    }

    @Override
    public double sum(double[] x, int off, int n) {
        int up = n - n % (2 * F64L), i = 0;
        DoubleVector s0 = DoubleVector.zero(F64), s1 = DoubleVector.zero(F64);
        for (; i < up; i += 2 * F64L) {
            s0 = s0.add(DoubleVector.fromArray(F64, x, off + i));
            s1 = s1.add(DoubleVector.fromArray(F64, x, off + i + F64L));
        }
        double s = sumLanes(s0.add(s1));
        for (; i < n; i++) s += x[off + i];
        return s;
    }

    @Override
    public double max(double[] x, int off, int n) {
        int up = F64.loopBound(n), i = 0;
        double m = Double.NEGATIVE_INFINITY;
        if (up > 0) {
            DoubleVector acc = DoubleVector.fromArray(F64, x, off);
            for (i = F64L; i < up; i += F64L) acc = acc.max(DoubleVector.fromArray(F64, x, off + i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) m = Math.max(m, x[off + i]);
        return m;
    }

    @Override
    public double dot(double[] x, int xOff, double[] y, int yOff, int n) {
        int up = n - n % (2 * F64L), i = 0;
        DoubleVector s0 = DoubleVector.zero(F64), s1 = DoubleVector.zero(F64);
        for (; i < up; i += 2 * F64L) {
            s0 = DoubleVector.fromArray(F64, x, xOff + i).fma(DoubleVector.fromArray(F64, y, yOff + i), s0);
            s1 = DoubleVector.fromArray(F64, x, xOff + i + F64L).fma(DoubleVector.fromArray(F64, y, yOff + i + F64L), s1);
        }
        double s = sumLanes(s0.add(s1));
        for (; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }

    @Override
    public void gemm(int m, int n, int k, double[] a, int aOff, int aRs, int aCs, double[] b, int bOff, int bRs,
                     int bCs, double[] c, int cOff, int cRs, boolean accumulate) {
        GemmF64.gemm(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, cRs, accumulate);
    }

    @Override
    public void gemmWindowed(int m, int n, int k, double[] panels, int aOff, double[] x, int xOff, int[] rowStart,
                             double[] c, int cOff, int cRs, boolean accumulate) {
        // Double precision has no windowed micro-kernel: the windows are copied out as rows of B, and gemm runs the
        // same chains on them, one panel of A (its rows one apart, its columns PANEL_ROWS apart) at a time.
        double[] b = new double[k * n];
        for (int p = 0; p < k; p++) System.arraycopy(x, xOff + rowStart[p], b, p * n, n);
        for (int i = 0; i < m; i += PANEL_ROWS) {
            GemmF64.gemm(Math.min(PANEL_ROWS, m - i), n, k, panels, aOff + i * k, 1, PANEL_ROWS, b, 0, n, 1, c,
                    cOff + i * cRs, cRs, accumulate);
        }
    }

    @Override
    public void gemmBatch(int count, int m, int n, int k, double[] a, int[] aOffs, int aRs, int aCs, double[] b, int[] bOffs,
                          int bRs, int bCs, double[] c, int[] cOffs, int cRs, boolean accumulate) {
        // Products too small to split are shared out whole over the threads instead (attention's many heads).
        int parts = GemmF64.batchParts(count, m, n, k);
        ComputePool.run(parts, part -> {
            for (int t = part * count / parts, end = (part + 1) * count / parts; t < end; t++) {
                GemmF64.gemm(m, n, k, a, aOffs[t], aRs, aCs, b, bOffs[t], bRs, bCs, c, cOffs[t], cRs, accumulate);
            }
        });
    }
}
