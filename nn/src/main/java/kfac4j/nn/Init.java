package kfac4j.nn;

import java.util.Arrays;

import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * Weight initialisers with PyTorch's formulas ({@code torch.nn.init}), drawing from a seeded {@link Rng}. Fans follow
 * PyTorch: for a weight (out, in, k...), fan_in = in·Πk and fan_out = out·Πk.
 *
 * <p>The layers use PyTorch's defaults: Linear and Conv2d draw weight and bias from U(−1/√fan_in, 1/√fan_in) (that is
 * {@code kaiming_uniform(a=√5)} for the weight), Embedding from N(0, 1), LayerNorm starts at weight 1, bias 0.
 */
public final class Init {
    private Init() {
    }

    /** fan_in of a weight shape: the size of axis 1 times the receptive field (1 for a 1-D shape: its length). */
    public static int fanIn(int[] shape) {
        if (shape.length == 0) throw new IllegalArgumentException("fanIn: a scalar has no fan, shape []");
        if (shape.length == 1) return shape[0];
        return shape[1] * receptiveField(shape);
    }

    /** fan_out of a weight shape: the size of axis 0 times the receptive field. */
    public static int fanOut(int[] shape) {
        if (shape.length == 0) throw new IllegalArgumentException("fanOut: a scalar has no fan, shape []");
        return shape[0] * receptiveField(shape);
    }

    private static int receptiveField(int[] shape) {
        int r = 1;
        for (int i = 2; i < shape.length; i++) r *= shape[i];
        return r;
    }

    /** U(lo, hi). */
    public static Tensor uniform(Rng rng, DType dtype, double lo, double hi, int... shape) {
        return rng.uniform(dtype, lo, hi, shape);
    }

    /** N(mean, std²). */
    public static Tensor normal(Rng rng, DType dtype, double mean, double std, int... shape) {
        return rng.normal(dtype, mean, std, shape);
    }

    /** The gain of leaky ReLU with negative slope a: √(2 / (1 + a²)); a = 0 is ReLU's √2. */
    public static double leakyReluGain(double a) {
        return Math.sqrt(2.0 / (1 + a * a));
    }

    /** He/Kaiming uniform, fan_in mode: U(−b, b), b = gain·√(3 / fan_in), gain = √(2 / (1 + a²)). */
    public static Tensor kaimingUniform(Rng rng, DType dtype, double a, int... shape) {
        double bound = leakyReluGain(a) * Math.sqrt(3.0 / nonZeroFan("kaimingUniform", fanIn(shape), shape));
        return rng.uniform(dtype, -bound, bound, shape);
    }

    /** He/Kaiming normal, fan_in mode: N(0, σ²), σ = gain / √fan_in, gain = √(2 / (1 + a²)). */
    public static Tensor kaimingNormal(Rng rng, DType dtype, double a, int... shape) {
        double std = leakyReluGain(a) / Math.sqrt(nonZeroFan("kaimingNormal", fanIn(shape), shape));
        return rng.normal(dtype, 0, std, shape);
    }

    /** Glorot/Xavier uniform: U(−b, b), b = gain·√(6 / (fan_in + fan_out)). */
    public static Tensor xavierUniform(Rng rng, DType dtype, double gain, int... shape) {
        double bound = gain * Math.sqrt(6.0 / nonZeroFan("xavierUniform", fanIn(shape) + fanOut(shape), shape));
        return rng.uniform(dtype, -bound, bound, shape);
    }

    /** Glorot/Xavier normal: N(0, σ²), σ = gain·√(2 / (fan_in + fan_out)). */
    public static Tensor xavierNormal(Rng rng, DType dtype, double gain, int... shape) {
        double std = gain * Math.sqrt(2.0 / nonZeroFan("xavierNormal", fanIn(shape) + fanOut(shape), shape));
        return rng.normal(dtype, 0, std, shape);
    }

    /** PyTorch's default for Linear and Conv2d weights and biases: U(−1/√fan_in, 1/√fan_in). */
    static Tensor defaultUniform(Rng rng, DType dtype, int fanIn, int... shape) {
        double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
        return rng.uniform(dtype, -bound, bound, shape);
    }

    /** Re-draws a parameter in place from a fresh tensor of its shape and dtype (any of the methods above). */
    public static Parameter fill(Parameter p, Tensor values) {
        if (!Arrays.equals(values.shape(), p.shape())) {
            throw new IllegalArgumentException("Init.fill: values of shape " + Arrays.toString(values.shape())
                    + " for a parameter of shape " + Arrays.toString(p.shape()));
        }
        p.value().copyFromInPlace(values);
        return p;
    }

    private static int nonZeroFan(String op, int fan, int[] shape) {
        if (fan <= 0) {
            throw new IllegalArgumentException(op + ": zero fan for shape " + Arrays.toString(shape));
        }
        return fan;
    }
}
