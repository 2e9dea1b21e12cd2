package kfac4j.tensor.kernel;

/** Elementwise functions of one argument. Each carries its scalar definition, the reference for every kernel. */
public enum UnaryOp {
    NEG { public double apply(double x) { return -x; } },
    EXP { public double apply(double x) { return Math.exp(x); } },
    LOG { public double apply(double x) { return Math.log(x); } },
    LOG1P { public double apply(double x) { return Math.log1p(x); } },
    SQRT { public double apply(double x) { return Math.sqrt(x); } },
    RSQRT { public double apply(double x) { return 1.0 / Math.sqrt(x); } },
    ABS { public double apply(double x) { return Math.abs(x); } },
    SIGN { public double apply(double x) { return Math.signum(x); } },
    TANH { public double apply(double x) { return Math.tanh(x); } },
    /** Logistic function, written to avoid overflow of exp for large |x|. */
    SIGMOID {
        public double apply(double x) {
            if (x >= 0) return 1.0 / (1.0 + Math.exp(-x));
            double e = Math.exp(x);
            return e / (1.0 + e);
        }
    },
    RELU { public double apply(double x) { return x > 0 ? x : 0.0; } },
    /** GELU, tanh form: x/2 (1 + tanh(√(2/π)(x + 0.044715 x³))). */
    GELU_TANH {
        public double apply(double x) {
            return 0.5 * x * (1.0 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
        }
    },
    /** GELU, exact form: x Φ(x) = x/2 (1 + erf(x/√2)). */
    GELU_ERF { public double apply(double x) { return 0.5 * x * (1.0 + Erf.erf(x * Erf.INV_SQRT_2)); } },
    /** The derivative of exact GELU, Φ(x) + x φ(x) = (1 + erf(x/√2))/2 + x e^(−x²/2)/√(2π), in one pass. */
    GELU_ERF_GRAD {
        public double apply(double x) {
            return 0.5 * (1.0 + Erf.erf(x * Erf.INV_SQRT_2)) + x * Erf.gaussian(x) * Erf.INV_SQRT_2PI;
        }
    },
    /** The error function. */
    ERF { public double apply(double x) { return Erf.erf(x); } },
    SIN { public double apply(double x) { return Math.sin(x); } },
    COS { public double apply(double x) { return Math.cos(x); } },
    RECIPROCAL { public double apply(double x) { return 1.0 / x; } },
    SQUARE { public double apply(double x) { return x * x; } };

    static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /** The function on one value, in double precision. */
    public abstract double apply(double x);
}
