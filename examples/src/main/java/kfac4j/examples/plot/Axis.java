package kfac4j.examples.plot;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The range and tick marks of one axis: "nice" ticks at 1, 2, 2.5 or 5 times a power of ten on a linear axis,
 * at powers of ten (with 2 and 5 when the range is short) on a logarithmic one.
 */
final class Axis {
    final double lo;
    final double hi;
    final boolean log;
    final List<Double> ticks = new ArrayList<>();
    final List<String> labels = new ArrayList<>();

    private Axis(double lo, double hi, boolean log) {
        this.lo = lo;
        this.hi = hi;
        this.log = log;
    }

    /**
     * An axis over data in [min, max] (NaN when there is none) with about {@code targetTicks} ticks; {@code snap}
     * widens the range to whole ticks (for y axes, so curves do not touch the frame).
     */
    static Axis fit(double min, double max, boolean log, int targetTicks, boolean snap) {
        return log ? fitLog(min, max) : fitLinear(min, max, Math.max(2, targetTicks), snap);
    }

    private static Axis fitLinear(double min, double max, int targetTicks, boolean snap) {
        if (Double.isNaN(min) || Double.isNaN(max)) {
            min = 0;
            max = 1;
        }
        if (min == max) {
            double d = min == 0 ? 1 : Math.abs(min) * 0.1;
            min -= d;
            max += d;
        }
        double step = niceStep((max - min) / (targetTicks - 1));
        double lo = snap ? Math.floor(min / step + 1e-9) * step : min;
        double hi = snap ? Math.ceil(max / step - 1e-9) * step : max;
        Axis a = new Axis(lo, hi, false);
        int decimals = decimals(step);
        for (long k = (long) Math.ceil(lo / step - 1e-9); k * step <= hi + 1e-9 * step; k++) {
            double t = k * step;
            a.ticks.add(t);
            a.labels.add(formatLinear(t, decimals, Math.max(Math.abs(lo), Math.abs(hi))));
        }
        return a;
    }

    private static Axis fitLog(double min, double max) {
        if (Double.isNaN(min) || Double.isNaN(max) || min <= 0) {
            min = 1;
            max = 10;
        }
        int e0 = (int) Math.floor(Math.log10(min) + 1e-12), e1 = (int) Math.ceil(Math.log10(max) - 1e-12);
        if (e1 <= e0) e1 = e0 + 1;
        Axis a = new Axis(Math.pow(10, e0), Math.pow(10, e1), true);
        int[] mantissas = e1 - e0 <= 2 ? new int[]{1, 2, 5} : new int[]{1};
        for (int e = e0; e <= e1; e++) {
            for (int m : mantissas) {
                double t = m * Math.pow(10, e);
                if (t > a.hi * (1 + 1e-9)) break;
                a.ticks.add(t);
                a.labels.add(formatLog(m, e));
            }
        }
        return a;
    }

    /** Where v falls along the axis: 0 at lo, 1 at hi. */
    double fraction(double v) {
        if (log) return (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
        return (v - lo) / (hi - lo);
    }

    /** The nearest of 1, 2, 2.5, 5, 10 times a power of ten to {@code raw} (so the tick count stays near the target). */
    static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / p;
        double nice = f < 1.5 ? 1 : f < 2.25 ? 2 : f < 3.5 ? 2.5 : f < 7.5 ? 5 : 10;
        return nice * p;
    }

    /** The decimals that a multiple of {@code step} needs to print exactly. */
    private static int decimals(double step) {
        for (int d = 0; d < 12; d++) {
            double scaled = step * Math.pow(10, d);
            if (Math.abs(scaled - Math.rint(scaled)) < 1e-6 * scaled) return d;
        }
        return 12;
    }

    static String formatLinear(double v, int decimals, double magnitude) {
        if (Math.abs(v) < 1e-12 * Math.max(1, magnitude)) return "0";
        if (magnitude >= 1e6 || magnitude < 1e-3) return String.format(Locale.ROOT, "%.3g", v);
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String formatLog(int mantissa, int exponent) {
        if (exponent >= -3 && exponent <= 4) {
            double v = mantissa * Math.pow(10, exponent);
            return formatLinear(v, Math.max(0, -exponent), v);
        }
        return mantissa + "e" + exponent;
    }
}
